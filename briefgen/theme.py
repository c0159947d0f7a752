"""Theme lookup and the Jinja environment: site overrides first, then the built-in default."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, pass_context
from jinja2.runtime import Context

from briefgen.cache import digest
from briefgen.config import Config

DEFAULT_THEME = "default"


def builtin_theme_dir() -> Path:
    """The default theme shipped with briefgen (inside the wheel, or the repo's themes/)."""
    here = Path(__file__).resolve().parent
    packaged = here / "themes" / DEFAULT_THEME
    if packaged.is_dir():
        return packaged
    return here.parent / "themes" / DEFAULT_THEME


@dataclass(frozen=True, slots=True, kw_only=True)
class Theme:
    """Folders searched for templates and static files, most specific first."""

    dirs: tuple[Path, ...]

    def static_dirs(self) -> tuple[Path, ...]:
        """Static asset folders, most specific first."""
        return tuple(d / "static" for d in self.dirs if (d / "static").is_dir())

    def template_files(self) -> dict[str, Path]:
        """Every template name and the file it resolves to."""
        names: dict[str, Path] = {}
        for folder in reversed(self.dirs):
            for path in sorted((folder / "templates").rglob("*")):
                if path.is_file():
                    names[path.relative_to(folder / "templates").as_posix()] = path
        return names


def find_theme(config: Config) -> Theme:
    """The site's theme folders: ``themes/<theme>``, then ``themes/default``, then built-in."""
    dirs: list[Path] = []
    site_themes = config.path(config.themes_dir)
    for name in (config.theme, DEFAULT_THEME):
        candidate = site_themes / name
        if candidate.is_dir() and candidate.resolve() not in [d.resolve() for d in dirs]:
            dirs.append(candidate)
    builtin = builtin_theme_dir()
    if builtin.resolve() not in [d.resolve() for d in dirs]:
        dirs.append(builtin)
    return Theme(dirs=tuple(dirs))


# Links in templates are written with this marker standing for "the site root, relative to
# the page being rendered"; ``finish_page`` replaces it. A link's text then does not depend on
# the page, so a card rendered once serves every page (see ``remember``), and no per-link
# relative path is computed. NUL never survives into escaped template output otherwise.
ROOT_MARK = "\x00root\x00"


@pass_context
def _url(context: Context, target: str) -> str:
    """A link from the page being rendered to ``target`` (a site-root path)."""
    if target.startswith("#"):
        return target
    if target == "" or target.endswith("/"):
        target += "index.html"  # a folder names its index.html, so file:// works too
    if context["page_path"] == "404.html" and context.get("site", {}).get("base_url"):
        # 404.html is served at any missing path; absolute links work from every depth.
        return str(context["site"]["base_url"]) + target
    return ROOT_MARK + target


def finish_page(text: str, page_path: str) -> str:
    """Rendered template text with every root marker made relative to ``page_path``."""
    return text.replace(ROOT_MARK, "../" * page_path.count("/"))


def _remember(store: dict[tuple[str, str], Any], key: str, macro: Callable[..., Any],
              *args: Any) -> Any:
    """``macro(*args)``, rendered once per ``key`` during one render run: in a template,
    ``remember(b.path ~ heading, brief_card, b, heading)``. Cards repeat on many listing
    pages, and their links carry the root marker, so their text is page-independent."""
    full = (getattr(macro, "name", ""), key)
    found = store.get(full)
    if found is None:
        found = store[full] = macro(*args)
    return found


def reset_memo(env: jinja2.Environment) -> None:
    """Forget remembered fragments; the render functions call it before each run."""
    env.globals["remember"] = functools.partial(_remember, {})


class _Environment(jinja2.Environment):
    """Jinja whose ``a.b`` looks in a plain dict's keys first.

    Views are plain dicts, and stock Jinja tries ``getattr`` first, which raises and catches
    an AttributeError on every ``page.title``; this makes the common case one dict lookup.
    A key shadows a dict method of the same name (``page.items`` is the key when there is one).
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def make_env(theme: Theme) -> jinja2.Environment:
    """Jinja with autoescape, strict undefined, and the theme search path."""
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader([str(d / "templates") for d in theme.dirs]),
        # "default/base.html" always names the built-in template, for themes that extend it.
        jinja2.PrefixLoader({DEFAULT_THEME: jinja2.FileSystemLoader(
            str(builtin_theme_dir() / "templates"))}),
    ])
    env = _Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html", "xml", "htm"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.globals["url"] = _url
    reset_memo(env)
    return env


def template_fingerprints(env: jinja2.Environment, theme: Theme) -> dict[str, str]:
    """For each template, a hash of its text and of every template it extends, includes or
    imports, so a template edit re-renders only the pages that use it."""
    files = theme.template_files()
    texts = {name: path.read_text(encoding="utf-8", errors="replace")
             for name, path in files.items()}
    everything = digest(*(f"{name}\0{text}" for name, text in sorted(texts.items())))
    refs: dict[str, set[str | None]] = {}
    for name, text in texts.items():
        try:
            refs[name] = set(meta.find_referenced_templates(env.parse(text)))
        except jinja2.TemplateSyntaxError:
            refs[name] = {None}  # unknown: depend on everything
    prints: dict[str, str] = {}
    for name in texts:
        closure, todo = {name}, [name]
        while todo:
            for ref in refs.get(todo.pop(), set()):
                if ref is None or ref not in texts:  # computed or built-in: be safe
                    closure = set(texts)
                    todo = []
                    break
                if ref not in closure:
                    closure.add(ref)
                    todo.append(ref)
        prints[name] = everything if closure == set(texts) else \
            digest(*(f"{n}\0{texts[n]}" for n in sorted(closure)))
    return prints
