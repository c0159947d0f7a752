"""The Jinja environment of a theme (found by ``source/themes.py``: site overrides first, then
the built-in default), page finishing and template fingerprints."""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from jinja2 import meta, pass_context
from jinja2.loaders import split_template_path
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from briefgen.errors import BriefgenError, diag
from briefgen.hashing import digest
from briefgen.model import OutputFile
from briefgen.source.files import MAX_ASSET, UnsafeFile, read_inside, regular_files, stamp
from briefgen.source.themes import DEFAULT_THEME, Theme, builtin_theme_dir, find_theme

# The theme's folders are found without Jinja (the no-change check needs them): re-exported.
__all__ = ["DEFAULT_THEME", "Theme", "builtin_theme_dir", "find_theme", "finish_page",
           "make_env", "reset_memo", "template_fingerprints"]

_MAX_TEMPLATE = 2 * 1024 * 1024  # a template this large is not one


# Links in templates are written with this marker standing for "the site root, relative to
# the page being rendered"; ``finish_page`` replaces it. A link's text then does not depend on
# the page, so a card rendered once serves every page (see ``remember``), and no per-link
# relative path is computed. The marker holds NUL, which no input may contain (briefs,
# entities.yaml and briefgen.yaml refuse control characters), and a random part drawn per
# process, so even text that slipped a NUL through could not spell it.
ROOT_MARK = f"\x00root-{secrets.token_hex(12)}\x00"


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


def nobr(text: str) -> markupsafe.Markup:
    """``text`` escaped, each short word with an inner hyphen ("S-400") wrapped in
    ``<span class="nobr">`` so it never breaks at the hyphen. A filter, not a template loop:
    headlines and summaries pass through it on every card, and a loop over words in the
    sandbox cost a third of a listing page's render time."""
    words = str(text).split(" ") if not isinstance(text, markupsafe.Markup) else text.split(" ")
    return markupsafe.Markup(" ").join(
        markupsafe.Markup('<span class="nobr">%s</span>') % w
        if "-" in w[1:-1] and len(w) <= 24 else markupsafe.escape(w) for w in words)


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


class DictFirst(jinja2.Environment):
    """Jinja whose ``a.b`` looks in a plain dict's keys first.

    Views are plain dicts, and stock Jinja tries ``getattr`` first, which raises and catches
    an AttributeError on every ``page.title``; this makes the common case one dict lookup.
    A key shadows a dict method of the same name (``page.items`` is the key when there is one).
    A dict's values are view data, so returning one is as safe as the sandbox's own lookup.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class _Environment(DictFirst, SandboxedEnvironment):
    """Sandboxed Jinja with the dict-first lookup of ``DictFirst``.

    A theme comes with the digest, which may be someone else's: templates run in Jinja's
    sandbox, so ``{{ cycler.__init__.__globals__.os.popen(...) }}`` is a SecurityError
    rather than a shell command (as safe as building a cloned Hugo site).
    """


class _ThemeLoader(jinja2.BaseLoader):
    """Templates from the theme folders, read only when the file is a regular file whose
    resolved path lies inside ``roots`` (``FileSystemLoader`` follows any link)."""

    def __init__(self, dirs: tuple[Path, ...], roots: tuple[Path, ...]) -> None:
        self.dirs = dirs
        self.roots = roots

    def get_source(self, environment: jinja2.Environment,
                   template: str) -> tuple[str, str, Callable[[], bool]]:
        parts = split_template_path(template)  # refuses ".." (TemplateNotFound)
        for folder in self.dirs:
            path = folder.joinpath(*parts)
            if not os.path.lexists(path):
                continue
            try:
                data, when = read_inside(path, self.roots, _MAX_TEMPLATE)
            except UnsafeFile as exc:  # reported as a template error naming the reason
                raise jinja2.TemplateError(f"template {template!r} refused: {exc.reason}"
                                           f" ({exc.hint})") from exc
            except OSError:
                continue
            text = data.decode("utf-8", errors="replace")
            return text, str(path), lambda path=path, when=when: stamp(path) == when
        raise jinja2.TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        found: set[str] = set()
        for folder in self.dirs:
            found.update(p.relative_to(folder).as_posix()
                         for p in regular_files(folder, self.roots))
        return sorted(found)


def make_env(theme: Theme) -> jinja2.Environment:
    """Jinja with autoescape, strict undefined, and the theme search path."""
    builtin = builtin_theme_dir() / "templates"
    loader = jinja2.ChoiceLoader([
        _ThemeLoader(tuple(d / "templates" for d in theme.dirs), theme.allowed()),
        # "default/base.html" always names the built-in template, for themes that extend it.
        jinja2.PrefixLoader({DEFAULT_THEME: _ThemeLoader((builtin,), (builtin,))}),
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
    env.filters["nobr"] = nobr
    reset_memo(env)
    return env


def template_fingerprints(env: jinja2.Environment, theme: Theme) -> dict[str, str]:
    """For each template, a hash of its text and of every template it extends, includes or
    imports, so a template edit re-renders only the pages that use it."""
    files = theme.template_files()
    texts = {name: _template_text(path, theme) for name, path in files.items()}
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


def _template_text(path: Path, theme: Theme) -> str:
    """A template's text for fingerprints; an unreadable one is reported when it renders."""
    try:
        return read_inside(path, theme.allowed(), _MAX_TEMPLATE)[0].decode("utf-8", "replace")
    except OSError:
        return ""


@dataclass(slots=True)
class Engine:
    """What a caller keeps between engine runs: the Jinja environment and the template
    fingerprints, each made again only when a template changed. ``build`` and ``check``
    use one per run; the dev server keeps one while it serves, because compiling the
    templates again on every rebuild cost more than rendering the edit."""

    # theme folders and template prints -> environment; the last one only
    envs: dict[str, jinja2.Environment] = field(default_factory=dict)
    # template files' stamps -> fingerprints; the last one only
    prints: dict[str, dict[str, str]] = field(default_factory=dict)

    def env(self, theme: Theme, prints: Mapping[str, str]) -> jinja2.Environment:
        """A Jinja environment for ``theme``, kept while its templates are unchanged."""
        key = digest(repr(theme), *(f"{k}\0{v}" for k, v in sorted(prints.items())))
        if key not in self.envs:
            self.envs.clear()
            self.envs[key] = make_env(theme)
        return self.envs[key]

    def fingerprints(self, theme: Theme) -> dict[str, str]:
        """``template_fingerprints``, parsed again only when a template file changed (size
        or time): parsing every template cost a dev-server rebuild a third of a second."""
        stamps = []
        for name, path in sorted(theme.template_files().items()):
            try:
                stat = path.stat()
            except OSError:
                stamps.append(f"{name}\0{path}\0-")
                continue
            stamps.append(f"{name}\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
        key = digest(*stamps)
        if key not in self.prints:
            self.prints.clear()
            self.prints[key] = template_fingerprints(make_env(theme), theme)
        return self.prints[key]


def static_files(dirs: tuple[Path, ...], roots: tuple[Path, ...] = ()) -> list[OutputFile]:
    """Theme assets under ``assets/``: regular files whose resolved path is inside ``roots``
    (else the folder); the most specific theme wins a name."""
    files: dict[str, OutputFile] = {}
    for folder in dirs:  # most specific first: the first file of a name wins
        allowed = roots or (folder,)
        for path in regular_files(folder, allowed, hidden=False):
            rel = "assets/" + path.relative_to(folder).as_posix()
            if rel not in files:
                try:
                    data = read_inside(path, allowed, MAX_ASSET)[0]
                except OSError as exc:
                    raise BriefgenError([diag(path.as_posix(), 0, 0, "BG-IO003",
                                              f"cannot read theme asset: {exc}",
                                              "replace it with a regular file in the theme")
                                         ]) from exc
                files[rel] = OutputFile(path=rel, data=data, source=path.as_posix())
    return list(files.values())
