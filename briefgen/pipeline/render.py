"""Render stage: Markdown bodies and Jinja pages, as bytes.

Pages are returned (``render_pages``) or handed one by one to a ``PageOut`` the composer
passes in (``render_into``); this stage never touches the output folder itself.
"""

from __future__ import annotations

import posixpath
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import jinja2
from markdown_it import MarkdownIt

from briefgen.errors import Diagnostic, diag
from briefgen.hashing import Memo, data_digest, digest, json_digest
from briefgen.model import Brief, LinkGraph, OutputFile, PageSpec
from briefgen.pipeline.parallel import fork_map
from briefgen.pipeline.theme import finish_page, reset_memo
from briefgen.slugs import relative_url
from briefgen.source.markdown import finish_body, make_markdown, render_body
from briefgen.source.mdplugins.entitylinks import EntityLink
from briefgen.urls import brief_path, entity_path


def render_bodies(
    graph: LinkGraph, *, autolink: bool = True, memo: Memo | None = None, workers: int = 1,
) -> dict[str, str]:
    """Each published brief's body as safe HTML, with links relative to its own page."""
    by_path = {b.path: b.slug for b in graph.briefs.values()}
    md_targets = tuple(sorted(by_path.items()))
    entries = memo.entries if memo is not None else {}
    mds: list[MarkdownIt] = []  # one per process, made on first use

    def one(slug: str) -> tuple[str, str | None]:
        # Runs in a worker: the link tables, the memo key, and the HTML unless the memo
        # (the parent's, read-only here) has it; the parent stores new results.
        brief = graph.briefs[slug]
        wikilinks = _wikilink_table(brief, graph)
        entity_links = _entity_links(brief, graph) if autolink else ()
        # .md links can point at any brief, so the brief paths are an input when used.
        targets = md_targets if ".md" in brief.body else ()
        key = ""
        if memo is not None:
            key = digest(brief.path, brief.body, repr(sorted(wikilinks.items())),
                         repr(entity_links), repr(targets))
            if key in entries:
                return key, None
        if not mds:
            mds.append(make_markdown())
        resolve = _md_resolver(slug, brief.path, dict(targets))
        if brief.prepared is not None:  # parsed and rendered at load: only the slots to fill
            return key, finish_body(mds[0], brief.prepared, wikilinks=wikilinks,
                                    entity_links=entity_links, resolve_md=resolve)
        return key, render_body(mds[0], brief.body, wikilinks=wikilinks,
                                entity_links=entity_links, resolve_md=resolve)

    bodies: dict[str, str] = {}
    for slug, (key, html) in zip(graph.order, fork_map(one, graph.order, workers), strict=True):
        if memo is None:
            assert html is not None  # nosec B101 - without a memo every body is rendered
        elif html is None:
            html = memo.get(key)
        else:
            memo.put(key, html)
        bodies[slug] = html
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


def _md_resolver(slug: str, path: str,
                 by_path: Mapping[str, str]) -> Callable[[str], str | None]:
    here = brief_path(slug)
    folder = posixpath.dirname(path)

    def resolve(href: str) -> str | None:
        target = posixpath.normpath(posixpath.join(folder, href))
        found = by_path.get(target)
        return relative_url(brief_path(found), here) if found else None

    return resolve


def render_pages(
    env: jinja2.Environment, pages: Sequence[PageSpec], site: Mapping[str, Any],
    root: Path, *, memo: Memo | None = None, fingerprints: Mapping[str, str] | None = None,
    workers: int = 1,
) -> tuple[list[OutputFile], list[Diagnostic]]:
    """Render every page; template problems become diagnostics with the template's line.

    With ``memo``, a page whose view data, site values and template fingerprint (see
    ``page_key``) are unchanged since the last build is taken from the cache instead of
    rendered again. With ``workers`` > 1, pages are rendered in worker processes.
    """
    reset_memo(env)  # remembered cards hold view data, which may have changed since
    done: dict[str, bytes] = {}
    keys: dict[str, str] = {}
    todo: list[PageSpec] = []
    site_key = json_digest(site) if memo is not None else ""
    for page in pages:
        if memo is not None:
            keys[page.path] = page_key(page, fingerprints or {}, site_key)
            cached = memo.get(keys[page.path])
            if cached is not None:
                done[page.path] = cached
                continue
        todo.append(page)
    results = fork_map(lambda page: _render_one(env, site, root, page), todo, workers)
    problems: dict[tuple[str, int, str], Diagnostic] = {}
    for page, (data, problem) in zip(todo, results, strict=True):
        if problem is not None:
            _keep_first(problems, problem)
            continue
        assert data is not None  # nosec B101 - narrows the type for mypy
        done[page.path] = data
        if memo is not None:
            memo.put(keys[page.path], data)
    outputs = [OutputFile(path=p.path, data=done[p.path], source=p.source or p.template)
               for p in pages if p.path in done]
    return outputs, list(problems.values())


_Rendered = tuple[bytes | None, Diagnostic | None]


def page_key(page: PageSpec, fingerprints: Mapping[str, str], site_key: str) -> str:
    """A hash of everything a page's text depends on: its path, view data, the site values
    (``site_key``) and ``fingerprints[template]``, the hash of its template and of every
    template that one uses (see ``theme.template_fingerprints``)."""
    return digest(fingerprints.get(page.template, "?" + page.template), site_key, page.path,
                  page.template, data_digest(page.view))


def _keep_first(problems: dict[tuple[str, int, str], Diagnostic], problem: Diagnostic) -> None:
    """The same template error repeats on every page using it: keep it once."""
    problems.setdefault((problem.pos.path, problem.pos.line, problem.code), problem)


class PageOut(Protocol):
    """Where rendered pages go, one by one (the write stage's ``StagedFolder``). Its methods
    run in forked workers, so page bytes never travel back to the parent process."""

    def prepare(self, paths: Iterable[str]) -> None:
        """Get ready for pages at ``paths``; called once, before workers are forked."""
        ...

    def keep(self, path: str, key: str) -> int | None:
        """Reuse what an earlier build made from inputs hashing to ``key``; its size, or
        None when the page must be rendered."""
        ...

    def put(self, path: str, data: bytes) -> None:
        """Take a rendered page."""
        ...


def render_into(
    env: jinja2.Environment, pages: Sequence[PageSpec], site: Mapping[str, Any], root: Path,
    out: PageOut, *, fingerprints: Mapping[str, str], workers: int = 1,
) -> tuple[dict[str, tuple[str, int]], list[Diagnostic]]:
    """Render every page and hand it to ``out``; return each page's record (hash of its
    inputs, size) and the template problems.

    A page ``out`` can keep from an earlier build with the same ``page_key`` is not
    rendered, so a template edit re-renders only the pages that use that template. Worker
    processes inherit the pages and hand the bytes to ``out`` themselves, so no view data or
    page bytes are copied between processes.
    """
    reset_memo(env)  # remembered cards hold view data, which may have changed since
    site_key = json_digest(site)
    out.prepare(p.path for p in pages)

    def one(page: PageSpec) -> tuple[str, int, Diagnostic | None]:
        key = page_key(page, fingerprints, site_key)
        kept = out.keep(page.path, key)
        if kept is not None:
            return key, kept, None
        data, problem = _render_one(env, site, root, page)
        if data is None:
            return key, -1, problem
        out.put(page.path, data)
        return key, len(data), None

    record: dict[str, tuple[str, int]] = {}
    problems: dict[tuple[str, int, str], Diagnostic] = {}
    for page, (key, size, problem) in zip(pages, fork_map(one, pages, workers), strict=True):
        if problem is not None:
            _keep_first(problems, problem)
        else:
            record[page.path] = (key, size)
    return record, list(problems.values())


def _render_one(env: jinja2.Environment, site: Mapping[str, Any], root: Path,
                page: PageSpec) -> _Rendered:
    try:
        template = env.get_template(page.template)
        text = finish_page(template.render(page=page.view, site=site, page_path=page.path),
                           page.path)
    except jinja2.TemplateNotFound as exc:
        path, line = _template_frame(exc, root)
        return None, diag(path or page.template, line, 0, "BG-TP001",
                          f"unknown template {exc.name!r}",
                          "add the file to your theme's templates/ folder or fix the name")
    except jinja2.TemplateSyntaxError as exc:
        return None, diag(_rel(exc.filename, root) or str(exc.name), exc.lineno or 0, 0,
                          "BG-TP002", f"template syntax error: {exc.message}",
                          "fix the Jinja syntax at this line")
    except Exception as exc:  # any runtime error in a template becomes a diagnostic
        path, line = _template_frame(exc, root)
        return None, diag(path or page.template, line, 0, "BG-TP003",
                          f"template error while rendering {page.path}: "
                          f"{type(exc).__name__}: {exc}",
                          "check the variables this line uses")
    return text.encode("utf-8"), None


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
