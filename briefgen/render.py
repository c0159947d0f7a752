"""Render stage: Markdown bodies and Jinja pages into in-memory output files."""

from __future__ import annotations

import posixpath
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from briefgen.cache import Memo, digest, json_digest
from briefgen.errors import Diagnostic, diag
from briefgen.link import LinkGraph
from briefgen.markdown import make_markdown, render_body
from briefgen.mdplugins.entitylinks import EntityLink
from briefgen.model import Brief, OutputFile, PageSpec
from briefgen.slugs import relative_url
from briefgen.views import brief_path, entity_path


def render_bodies(
    graph: LinkGraph, *, autolink: bool = True, memo: Memo | None = None
) -> dict[str, str]:
    """Each published brief's body as safe HTML, with links relative to its own page."""
    md = make_markdown()
    by_path = {b.path: b.slug for b in graph.briefs.values()}
    md_targets = tuple(sorted(by_path.items()))
    bodies: dict[str, str] = {}
    for slug in graph.order:
        brief = graph.briefs[slug]
        wikilinks = _wikilink_table(brief, graph)
        entity_links = _entity_links(brief, graph) if autolink else ()
        key = ""
        if memo is not None:
            # .md links can point at any brief, so the set of brief paths is an input too
            # (only when the body has one: most do not).
            targets = repr(md_targets) if ".md" in brief.body else ""
            key = digest(brief.path, brief.body, repr(sorted(wikilinks.items())),
                         repr(entity_links), targets)
            cached = memo.get(key)
            if cached is not None:
                bodies[slug] = cached
                continue
        bodies[slug] = render_body(md, brief.body, wikilinks=wikilinks,
                                   entity_links=entity_links,
                                   resolve_md=_md_resolver(brief, by_path))
        if memo is not None:
            memo.put(key, bodies[slug])
    return bodies


def _wikilink_table(brief: Brief, graph: LinkGraph) -> dict[str, tuple[str, str]]:
    here = brief_path(brief.slug)
    return {
        target: (relative_url(brief_path(slug), here), graph.briefs[slug].title)
        for target, slug in graph.wikilinks.get(brief.slug, {}).items()
    }


def _entity_links(brief: Brief, graph: LinkGraph) -> tuple[EntityLink, ...]:
    here = brief_path(brief.slug)
    links: list[EntityLink] = []
    for key in graph.brief_entities.get(brief.slug, ()):
        info = graph.entities[key]
        url = relative_url(entity_path(key), here)
        for name in (info.name, *info.aliases):
            if len(name) > 1:
                links.append(EntityLink(key=key, name=name, url=url))
    return tuple(links)


def _md_resolver(brief: Brief, by_path: Mapping[str, str]) -> Callable[[str], str | None]:
    here = brief_path(brief.slug)
    folder = posixpath.dirname(brief.path)

    def resolve(href: str) -> str | None:
        target = posixpath.normpath(posixpath.join(folder, href))
        slug = by_path.get(target)
        return relative_url(brief_path(slug), here) if slug else None

    return resolve


def render_pages(
    env: jinja2.Environment, pages: Sequence[PageSpec], site: Mapping[str, Any],
    root: Path, *, memo: Memo | None = None, fingerprint: str = "",
) -> tuple[list[OutputFile], list[Diagnostic]]:
    """Render every page; template problems become diagnostics with the template's line.

    With ``memo``, a page whose view data, site values and theme ``fingerprint`` are
    unchanged since the last build is taken from the cache instead of rendered again.
    """
    outputs: list[OutputFile] = []
    problems: dict[tuple[str, int, str], Diagnostic] = {}
    site_key = json_digest(site) if memo is not None else ""
    for page in pages:
        key = ""
        if memo is not None:
            key = digest(fingerprint, site_key, page.path, page.template, json_digest(page.view))
            cached = memo.get(key)
            if cached is not None:
                outputs.append(OutputFile(path=page.path, data=cached,
                                          source=page.source or page.template))
                continue
        try:
            template = env.get_template(page.template)
            text = template.render(page=page.view, site=site, page_path=page.path)
        except jinja2.TemplateNotFound as exc:
            path, line = _template_frame(exc, root)
            found = diag(path or page.template, line, 0, "BG-TP001",
                         f"unknown template {exc.name!r}",
                         "add the file to your theme's templates/ folder or fix the name")
            problems.setdefault((found.pos.path, line, found.code), found)
            continue
        except jinja2.TemplateSyntaxError as exc:
            found = diag(_rel(exc.filename, root) or str(exc.name), exc.lineno or 0, 0,
                         "BG-TP002", f"template syntax error: {exc.message}",
                         "fix the Jinja syntax at this line")
            problems.setdefault((found.pos.path, found.pos.line, found.code), found)
            continue
        except Exception as exc:
            path, line = _template_frame(exc, root)
            found = diag(path or page.template, line, 0, "BG-TP003",
                         f"template error while rendering {page.path}: "
                         f"{type(exc).__name__}: {exc}",
                         "check the variables this line uses")
            problems.setdefault((found.pos.path, found.pos.line, found.code), found)
            continue
        data = text.encode("utf-8")
        if memo is not None:
            memo.put(key, data)
        outputs.append(OutputFile(path=page.path, data=data, source=page.source or page.template))
    return outputs, list(problems.values())


def _template_frame(exc: BaseException, root: Path) -> tuple[str, int]:
    """The innermost traceback frame that is in a template file."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt", ".j2")):
            return _rel(frame.filename, root), frame.lineno or 0
    return "", 0


def _rel(filename: str | None, root: Path) -> str:
    if not filename:
        return ""
    path = Path(filename)
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
