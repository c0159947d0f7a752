"""Rebuilds for the dev server: a full build that keeps its intermediate data, and a fast
path for one edited brief.

``full_build`` runs the same stages as ``build.build_site`` (with the same memos, kept in
memory between rebuilds) but returns a ``Snapshot`` that also holds the link graph, the page
views and the Jinja environment. ``edit_brief`` uses them to re-render one brief's page in a
few milliseconds; ``refresh_listings`` then updates the pages that show its card.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from briefgen import build as build_mod
from briefgen.cache import BuildCache
from briefgen.config import Config
from briefgen.errors import Diagnostic
from briefgen.link import LinkGraph
from briefgen.load import SourceFile, parse_brief
from briefgen.model import Brief, OutputFile, PageSpec
from briefgen.render import render_bodies, render_pages
from briefgen.theme import make_env, template_fingerprints
from briefgen.views import brief_path, brief_view, card, site_view
from briefgen.write import check_paths

_WIKI_TARGET = re.compile(r"\[\[([^\[\]\n|]*)")
_LOAD_CODES = ("BG-FM", "BG-IO")  # what parsing one file reports; link errors come later
_CHUNK = 50  # items between cancellation checks in the long loops
_BRIEFS = brief_path("x").removesuffix("x.html")  # the folder of brief pages


class Cancelled(Exception):
    """A newer change arrived: this build's result would be stale."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """A built site in memory together with the intermediate data a rebuild can reuse."""

    config: Config
    cache: BuildCache  # the build memos; only the full-build thread touches it
    env: jinja2.Environment
    slug_of: Mapping[str, str]  # brief file (site-root relative) -> slug, published only
    graph: LinkGraph
    bodies: Mapping[str, str]
    pages: Mapping[str, PageSpec]
    files: Mapping[str, OutputFile]
    diagnostics: tuple[Diagnostic, ...]
    listed_in: Mapping[str, tuple[str, ...]]  # brief page -> other pages showing that brief

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
    cache: BuildCache | None = None,
    check: Callable[[], None] = _never,
) -> Snapshot:
    """Build the whole site like ``build_site`` does, reusing the memos of ``previous``.

    ``check`` is called between steps and may raise ``Cancelled`` to abandon the build.
    """
    memo = cache or (previous.cache if previous is not None else BuildCache())
    # The same first half as `briefgen build`; workers stay off because this process has
    # threads (forking it is unsafe), and bodies come in chunks so a newer edit can cancel.
    done = build_mod.gather(config, memo, workers=1, check=check, chunk=_CHUNK)
    graph, bodies, pages, theme = done.graph, done.bodies, done.pages, done.theme
    problems = list(done.problems)
    check()
    env = make_env(theme)
    outputs, found = _render(env, pages, config, memo, template_fingerprints(env, theme), check)
    problems += found
    check()
    outputs += build_mod.other_outputs(config, done)
    problems += check_paths(outputs)
    for kind in (memo.briefs, memo.bodies, memo.pages, memo.related):
        kind.compact()  # in memory for hours: keep only what this build used
        kind.used = set()
    return Snapshot(
        config=config, cache=memo, env=env,
        slug_of={b.path: b.slug for b in graph.briefs.values()}, graph=graph, bodies=bodies,
        pages={p.path: p for p in pages}, files={o.path: o for o in outputs},
        diagnostics=tuple(sorted(problems, key=Diagnostic.sort_key)),
        listed_in=_listings(pages),
    )


def load_cache(config: Config) -> BuildCache:
    """The memos ``briefgen build`` left in the cache folder, for a warm first build."""
    return BuildCache.load(Path(config.path(config.cache_dir)))


def edit_brief(snap: Snapshot, rel: str, data: bytes) -> Edit | None:
    """Re-render one edited brief's own page, or None when the edit needs a full build.

    The fast path applies when the brief keeps everything other pages derive their structure
    from (slug, title, date, tags, entities, quotes, links): only its body and card change.
    """
    slug = snap.slug_of.get(rel)
    if slug is None:
        return None  # new, unpublished, duplicate or unparsable: the graph must change
    kept = [d for d in snap.diagnostics
            if not (d.pos.path == rel and d.code.startswith(_LOAD_CODES))]
    unchanged = hashlib.sha256(data).hexdigest() == snap.graph.briefs[slug].content_hash
    if unchanged and len(kept) == len(snap.diagnostics):
        return Edit(snapshot=snap, changed=(), slug=slug)
    brief, found = parse_brief(SourceFile(path=rel, data=data))
    diagnostics = tuple(sorted([*kept, *found], key=Diagnostic.sort_key))
    if brief is None:  # broken: keep serving the last good page, report the errors
        return Edit(snapshot=dataclasses.replace(snap, diagnostics=diagnostics), changed=(),
                    slug=slug)
    if _shape(brief) != _shape(snap.graph.briefs[slug]):
        return None
    graph = dataclasses.replace(snap.graph, briefs={**snap.graph.briefs, slug: brief})
    body = render_bodies(dataclasses.replace(graph, order=(slug,)),
                         autolink=snap.config.autolink_entities)[slug]
    old_spec = snap.pages[brief_path(slug)]
    thread = old_spec.view.get("thread")  # threads follow links and ranking: unchanged here
    view = brief_view(brief, graph, body, thread=thread if isinstance(thread, dict) else None)
    spec = dataclasses.replace(old_spec, view={**old_spec.view, **view})
    outputs, found_render = render_pages(snap.env, [spec], site_view(snap.config),
                                         snap.config.root)
    new = dataclasses.replace(
        snap, graph=graph, bodies={**snap.bodies, slug: body},
        pages={**snap.pages, spec.path: spec}, files={**snap.files, **{o.path: o for o in outputs}},
        diagnostics=_merged(diagnostics, found_render),
    )
    return Edit(snapshot=new, changed=tuple(o.path for o in outputs), slug=slug)


def refresh_listings(before: Snapshot, after: Snapshot, slug: str) -> Edit:
    """Re-render the index, tag, entity and edition pages that show the edited brief's card."""
    old_card = card(before.graph.briefs[slug], before.graph)
    new_card = card(after.graph.briefs[slug], after.graph)
    if old_card == new_card:
        return Edit(snapshot=after, changed=(), slug=slug)
    specs = []
    for path in after.listed_in.get(brief_path(slug), ()):
        spec = after.pages[path]
        specs.append(dataclasses.replace(
            spec, view=_swap_card(spec.view, brief_path(slug), new_card)))
    outputs, found = render_pages(after.env, specs, site_view(after.config), after.config.root)
    new = dataclasses.replace(
        after, pages={**after.pages, **{s.path: s for s in specs}},
        files={**after.files, **{o.path: o for o in outputs}},
        diagnostics=_merged(after.diagnostics, found),
    )
    return Edit(snapshot=new, changed=tuple(o.path for o in outputs), slug=slug)


def _merged(*groups: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Diagnostics of several steps, each once, in file order (a broken template reports
    the same error on every render)."""
    every = dict.fromkeys(item for group in groups for item in group)
    return tuple(sorted(every, key=Diagnostic.sort_key))


def _shape(brief: Brief) -> tuple[object, ...]:
    """What other pages and the link graph depend on, besides the card's text."""
    return (brief.path, brief.slug, brief.title, brief.date, brief.time, brief.tags,
            brief.entities, brief.draft, brief.lead, brief.updates, brief.quotes,
            sorted(t.strip() for t in _WIKI_TARGET.findall(brief.body)))


def _render(
    env: jinja2.Environment, pages: Sequence[PageSpec], config: Config, memo: BuildCache,
    prints: Mapping[str, str], check: Callable[[], None],
) -> tuple[list[OutputFile], list[Diagnostic]]:
    """``render_pages`` in chunks, so a newer change can cancel between them; each page's
    cache key covers only the templates it uses (``prints``)."""
    outputs: list[OutputFile] = []
    problems: list[Diagnostic] = []
    site = site_view(config)
    seen: set[tuple[str, int, str]] = set()
    for start in range(0, len(pages), _CHUNK):
        chunk = pages[start : start + _CHUNK]
        check()
        done, found = render_pages(env, chunk, site, config.root, memo=memo.pages,
                                   fingerprints=prints)
        outputs += done
        for item in found:  # the same template error repeats on every page using it
            key = (item.pos.path, item.pos.line, item.code)
            if key not in seen:
                seen.add(key)
                problems.append(item)
    return outputs, problems


def _brief_refs(view: object) -> set[str]:
    """Brief page paths that a view shows a card, excerpt or link of."""
    found: set[str] = set()
    stack = [view]
    while stack:
        value = stack.pop()
        if type(value) is dict:  # views are plain dicts and lists; exact checks are faster
            path = value.get("path")
            if type(path) is str and path.startswith(_BRIEFS) and "title" in value:
                found.add(path)  # a card or link: its own chips never point at briefs
                continue
            stack.extend(v for v in value.values() if type(v) is dict or type(v) is list)
        elif type(value) is list:
            stack.extend(v for v in value if type(v) is dict or type(v) is list)
    return found


def _listings(pages: Iterable[PageSpec]) -> dict[str, tuple[str, ...]]:
    """For each brief page, the other non-brief pages whose view shows that brief."""
    index: dict[str, list[str]] = {}
    for page in pages:
        if page.template == "brief.html":
            continue
        for path in _brief_refs(page.view):
            index.setdefault(path, []).append(page.path)
    return {path: tuple(paths) for path, paths in index.items()}


def _swap_card(value: Any, path: str, new: Mapping[str, Any]) -> Any:
    """A copy of view data where every entry about the brief at ``path`` (a card, an
    excerpt, a link) takes the values it shares with the brief's new card."""
    if type(value) is dict:
        if value.get("path") == path and "title" in value:
            return {k: new.get(k, v) for k, v in value.items()}
        return {k: _swap_card(v, path, new) for k, v in value.items()}
    if type(value) is list:
        return [_swap_card(v, path, new) for v in value]
    return value
