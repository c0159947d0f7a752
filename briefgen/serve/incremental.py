"""Rebuilds for the dev server: a memoised full build and a fast path for one edited brief.

A full build here runs the same stages as ``build.build_site`` but keeps what they produced
(parsed briefs, link graph, bodies, page views) in a ``Snapshot``. The next build reuses
whatever did not change: briefs by content hash, bodies by their inputs, pages by their view.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2

from briefgen import build as build_mod
from briefgen.config import Config
from briefgen.errors import Diagnostic
from briefgen.link import LinkGraph, build_graph
from briefgen.load import (
    SourceFile,
    check_duplicates,
    find_brief_files,
    load_entity_defs,
    parse_brief,
    read_source,
)
from briefgen.model import Brief, OutputFile, PageSpec
from briefgen.render import render_bodies, render_pages
from briefgen.theme import find_theme, make_env
from briefgen.views import brief_path, brief_view, card, plan_pages, site_view
from briefgen.write import check_paths

_WIKI_TARGET = re.compile(r"\[\[([^\[\]\n|]*)")
_LOAD_CODES = ("BG-FM", "BG-IO")  # what parsing one file reports; link errors come later
_CHUNK = 40  # items between cancellation checks in the long loops


class Cancelled(Exception):
    """A newer change arrived: this build's result would be stale."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Parsed:
    """One brief file's parse result, keyed by the hash of its bytes."""

    digest: str
    brief: Brief | None
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """A built site in memory together with the intermediate data a rebuild can reuse."""

    config: Config
    env: jinja2.Environment
    parsed: Mapping[str, Parsed]  # brief file (site-root relative) -> parse result
    slug_of: Mapping[str, str]  # brief file -> slug, for published briefs
    graph: LinkGraph
    bodies: Mapping[str, str]
    body_keys: Mapping[str, object]
    pages: Mapping[str, PageSpec]
    files: Mapping[str, OutputFile]
    diagnostics: tuple[Diagnostic, ...]
    listed_in: Mapping[str, tuple[str, ...]]  # slug -> listing pages whose view shows its card

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the diagnostics that fail a build."""
        return tuple(d for d in self.diagnostics if d.severity == "error")


@dataclass(frozen=True, slots=True, kw_only=True)
class Edit:
    """The outcome of a fast-path step: the new snapshot and the output paths it changed."""

    snapshot: Snapshot
    changed: tuple[str, ...]
    slug: str = ""


def _never() -> None:
    """The default cancellation check: never cancel."""


def full_build(
    config: Config,
    previous: Snapshot | None = None,
    *,
    templates_changed: bool = False,
    check: Callable[[], None] = _never,
) -> Snapshot:
    """Build the whole site, reusing ``previous`` where inputs are unchanged.

    ``check`` is called between steps and may raise ``Cancelled`` to abandon the build.
    """
    root = config.root
    reuse = previous is not None and previous.config == config and not templates_changed
    problems: list[Diagnostic] = []
    paths, found = find_brief_files(config.path(config.briefs_dir), root)
    problems += found
    old = previous.parsed if previous is not None else {}
    parsed: dict[str, Parsed] = {}
    for number, path in enumerate(paths):
        if number % _CHUNK == 0:
            check()
        source, problem = read_source(path, root)
        if source is None:
            problems += [problem] if problem is not None else []
            continue
        digest = hashlib.sha256(source.data).hexdigest()
        hit = old.get(source.path)
        parsed[source.path] = hit if hit is not None and hit.digest == digest else _parse(source)
    for item in parsed.values():
        problems += item.diagnostics
    briefs = [p.brief for p in parsed.values() if p.brief is not None]
    duplicates = check_duplicates(briefs)
    problems += duplicates
    flagged = {d.pos.path for d in duplicates}
    published = [b for b in briefs if b.path not in flagged and (config.build_drafts or not b.draft)]
    entity_defs, found = load_entity_defs(config.path(config.entities_file), root)
    problems += found
    check()
    graph, found = build_graph(published, entity_defs, related_count=config.related_count,
                               half_life_days=config.related_half_life_days)
    problems += found
    check()
    bodies, body_keys = _bodies(graph, config, previous if reuse else None, check)
    pages = plan_pages(config, graph, bodies)
    check()
    theme = find_theme(config)
    env = previous.env if reuse and previous is not None else make_env(theme)
    files, found = _render(env, pages, config, previous if reuse else None, check)
    problems += found
    extra = build_mod._static_files(theme.static_dirs())
    extra += build_mod._feeds(config, graph, bodies)
    extra += build_mod._extras(config, graph)
    files.update({o.path: o for o in extra})
    problems += check_paths(list(files.values()))
    return Snapshot(
        config=config, env=env, parsed=parsed,
        slug_of={b.path: b.slug for b in graph.briefs.values()}, graph=graph, bodies=bodies,
        body_keys=body_keys, pages={p.path: p for p in pages}, files=files,
        diagnostics=tuple(sorted(problems, key=Diagnostic.sort_key)),
        listed_in=_listings(pages),
    )


def edit_brief(snap: Snapshot, rel: str, data: bytes) -> Edit | None:
    """Re-render one edited brief's own page, or None when the edit needs a full build.

    The fast path applies when the brief keeps everything other pages derive their structure
    from (slug, title, date, tags, entities, quotes, links): only its body and card change.
    """
    slug = snap.slug_of.get(rel)
    if slug is None:
        return None  # new, unpublished, duplicate or never parsed: the graph must change
    digest = hashlib.sha256(data).hexdigest()
    known = snap.parsed.get(rel)
    if known is not None and known.digest == digest:
        return Edit(snapshot=snap, changed=(), slug=slug)
    parsed = _parse(SourceFile(path=rel, data=data))
    kept = [d for d in snap.diagnostics
            if not (d.pos.path == rel and d.code.startswith(_LOAD_CODES))]
    diagnostics = tuple(sorted([*kept, *parsed.diagnostics], key=Diagnostic.sort_key))
    all_parsed = {**snap.parsed, rel: parsed}
    brief = parsed.brief
    if brief is None:  # broken: keep serving the last good page, report the errors
        return Edit(snapshot=dataclasses.replace(snap, parsed=all_parsed,
                                                 diagnostics=diagnostics), changed=(), slug=slug)
    if _shape(brief) != _shape(snap.graph.briefs[slug]):
        return None
    graph = dataclasses.replace(snap.graph, briefs={**snap.graph.briefs, slug: brief})
    body = render_bodies(dataclasses.replace(graph, order=(slug,)),
                         autolink=snap.config.autolink_entities)[slug]
    old_spec = snap.pages[brief_path(slug)]
    spec = dataclasses.replace(old_spec, view={**old_spec.view, **brief_view(brief, graph, body)})
    outputs, found = render_pages(snap.env, [spec], site_view(snap.config), snap.config.root)
    new = dataclasses.replace(
        snap, parsed=all_parsed, graph=graph, bodies={**snap.bodies, slug: body},
        pages={**snap.pages, spec.path: spec}, files={**snap.files, **{o.path: o for o in outputs}},
        diagnostics=tuple(sorted([*diagnostics, *found], key=Diagnostic.sort_key)),
    )
    return Edit(snapshot=new, changed=tuple(o.path for o in outputs), slug=slug)


def refresh_listings(before: Snapshot, after: Snapshot, slug: str) -> Edit:
    """Re-render the index, tag, entity and edition pages that show the edited brief's card."""
    old_card = card(before.graph.briefs[slug], before.graph)
    new_card = card(after.graph.briefs[slug], after.graph)
    if old_card == new_card:
        return Edit(snapshot=after, changed=(), slug=slug)
    specs = []
    for path in after.listed_in.get(slug, ()):
        spec = after.pages[path]
        specs.append(dataclasses.replace(spec, view=_swap_card(spec.view, slug, new_card)))
    outputs, found = render_pages(after.env, specs, site_view(after.config), after.config.root)
    new = dataclasses.replace(
        after, pages={**after.pages, **{s.path: s for s in specs}},
        files={**after.files, **{o.path: o for o in outputs}},
        diagnostics=tuple(sorted([*after.diagnostics, *found], key=Diagnostic.sort_key)),
    )
    return Edit(snapshot=new, changed=tuple(o.path for o in outputs), slug=slug)


def _parse(source: SourceFile) -> Parsed:
    brief, found = parse_brief(source)
    return Parsed(digest=hashlib.sha256(source.data).hexdigest(), brief=brief,
                  diagnostics=tuple(found))


def _shape(brief: Brief) -> tuple[object, ...]:
    """What other pages and the link graph depend on, besides the card's text."""
    return (brief.path, brief.slug, brief.title, brief.date, brief.time, brief.tags,
            brief.entities, brief.draft, brief.updates, brief.quotes,
            sorted(t.strip() for t in _WIKI_TARGET.findall(brief.body)))


def _bodies(
    graph: LinkGraph, config: Config, previous: Snapshot | None, check: Callable[[], None]
) -> tuple[dict[str, str], dict[str, object]]:
    """Every body as HTML, reusing the previous render when its inputs are the same."""
    paths_key = hash(tuple(sorted((b.path, s) for s, b in graph.briefs.items())))
    keys = {slug: _body_key(graph, slug, paths_key) for slug in graph.order}
    bodies: dict[str, str] = {}
    todo: list[str] = []
    for slug, key in keys.items():
        if previous is not None and previous.body_keys.get(slug) == key:
            bodies[slug] = previous.bodies[slug]
        else:
            todo.append(slug)
    for start in range(0, len(todo), _CHUNK):
        check()
        part = dataclasses.replace(graph, order=tuple(todo[start : start + _CHUNK]))
        bodies.update(render_bodies(part, autolink=config.autolink_entities))
    return bodies, dict(keys)


def _body_key(graph: LinkGraph, slug: str, paths_key: int) -> object:
    """Everything a body's HTML depends on: its text, link targets and entity names."""
    brief = graph.briefs[slug]
    links = tuple(sorted((t, s, graph.briefs[s].title)
                         for t, s in graph.wikilinks.get(slug, {}).items()))
    names = tuple((k, graph.entities[k].name, graph.entities[k].aliases)
                  for k in graph.brief_entities.get(slug, ()))
    # Relative .md links resolve against every brief's path; only then does that set matter.
    return (brief.body, brief.path, links, names, paths_key if ".md" in brief.body else 0)


def _render(
    env: jinja2.Environment, pages: Sequence[PageSpec], config: Config,
    previous: Snapshot | None, check: Callable[[], None],
) -> tuple[dict[str, OutputFile], list[Diagnostic]]:
    """Render pages whose spec changed; reuse the previous bytes for the rest."""
    files: dict[str, OutputFile] = {}
    todo: list[PageSpec] = []
    for page in pages:
        before = previous.pages.get(page.path) if previous is not None else None
        done = previous.files.get(page.path) if previous is not None else None
        if before == page and done is not None:
            files[page.path] = done
        else:
            todo.append(page)
    problems: list[Diagnostic] = []
    site = site_view(config)
    seen: set[tuple[str, int, str]] = set()
    for start in range(0, len(todo), _CHUNK):
        check()
        outputs, found = render_pages(env, todo[start : start + _CHUNK], site, config.root)
        files.update({o.path: o for o in outputs})
        for item in found:  # the same template error repeats on every page using it
            key = (item.pos.path, item.pos.line, item.code)
            if key not in seen:
                seen.add(key)
                problems.append(item)
    return files, problems


def _is_card(value: Mapping[str, Any]) -> bool:
    return "slug" in value and "summary" in value and "tags" in value and "path" in value


def _card_slugs(value: object, found: set[str]) -> None:
    if isinstance(value, Mapping):
        if _is_card(value):
            found.add(str(value["slug"]))
            return
        for item in value.values():
            _card_slugs(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _card_slugs(item, found)


def _listings(pages: Iterable[PageSpec]) -> dict[str, tuple[str, ...]]:
    """For each brief, the non-brief pages whose view holds its card."""
    index: dict[str, list[str]] = {}
    for page in pages:
        if page.template == "brief.html":
            continue
        found: set[str] = set()
        _card_slugs(page.view, found)
        for slug in found:
            index.setdefault(slug, []).append(page.path)
    return {slug: tuple(paths) for slug, paths in index.items()}


def _swap_card(value: Any, slug: str, new: Mapping[str, Any]) -> Any:
    """A copy of view data with the card of ``slug`` replaced by ``new``."""
    if isinstance(value, Mapping):
        if _is_card(value) and value["slug"] == slug:
            return dict(new)
        return {k: _swap_card(v, slug, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap_card(v, slug, new) for v in value]
    return value
