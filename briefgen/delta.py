"""Incremental rebuild by what pages read: apply body edits to an earlier in-memory run.

Every page but a brief's own reads a brief only through its front matter fields (and the
wikilinks in its body): cards, listings, emails, editions, the link graph. The body itself,
and what is counted from it, is read by the brief's own page and the feeds' entries alone
(and by the related ranking, which this path leaves as it was: the dev server ranks again
when typing pauses). So when an edit leaves every other field as it was, the graph is the
same and the pages to make again are the brief's own page and the feeds holding it. Any
other edit returns None and the caller runs the engine whole. Fields are compared by what
is *not* read elsewhere (``_BODY_ONLY``), so a field added to ``Brief`` later is compared
too: a forgotten field costs time, never a stale page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from briefgen import build as build_mod
from briefgen.config import Config
from briefgen.errors import Diagnostic
from briefgen.model import Brief, LinkGraph, OutputFile, PageSpec
from briefgen.pipeline import feeds
from briefgen.pipeline.load import load_briefs
from briefgen.pipeline.render import render_bodies, render_pages
from briefgen.pipeline.theme import Engine, Theme
from briefgen.pipeline.views import brief_view, site_view
from briefgen.store.cache import BuildCache
from briefgen.urls import brief_path

_LOAD_CODES = ("BG-FM", "BG-IO")  # what parsing one file reports; link errors come later
# Fields of a brief that only its own page and its feed entries read (see the module note).
_BODY_ONLY: dict[str, Any] = {"body": "", "body_line": 0, "key_lines": {}, "content_hash": "",
                              "word_count": 0}


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    """An in-memory run, with what an edit needs: pages, files and the recorded reads."""

    graph: LinkGraph
    bodies: Mapping[str, str]
    theme: Theme
    pages: Mapping[str, PageSpec]
    files: Mapping[str, OutputFile]
    diagnostics: tuple[Diagnostic, ...]


def state_of(done: build_mod.Run, files: Mapping[str, OutputFile]) -> State:
    """The State of a finished run into a memory sink."""
    pages = done.gathered.pages
    return State(graph=done.gathered.graph, bodies=done.gathered.bodies,
                 theme=done.gathered.theme, pages={p.path: p for p in pages}, files=files,
                 diagnostics=done.diagnostics)


def apply_edits(config: Config, memo: BuildCache, state: State, rels: Sequence[str],
                engine: Engine | None = None) -> tuple[State, list[str]] | None:
    """``state`` with the edited brief files ``rels`` applied, and the output paths that
    changed; None when an edit reaches beyond the brief's body (or breaks the file).
    ``engine``: the one the run that made ``state`` used (its templates are compiled);
    without it, a fresh one."""
    slug_of = {b.path: b.slug for b in state.graph.briefs.values()}
    if not rels or any(rel not in slug_of for rel in rels):
        return None  # a new, unpublished or broken file: the graph changes
    if any(d.pos.path in rels and d.code.startswith("BG-LK") for d in state.diagnostics):
        return None  # link errors point into the body: let a whole run place them again
    loaded, found = load_briefs([config.root / rel for rel in rels], config.root, memo.briefs)
    if len(loaded) != len(rels) or any(d.severity == "error" for d in found):
        return None
    briefs = dict(state.graph.briefs)
    dirty: list[str] = []
    for brief in loaded:
        old = briefs[slug_of[brief.path]]
        if _face(brief) != _face(old):
            return None
        if brief != old:
            briefs[brief.slug] = brief
            dirty.append(brief.slug)
    graph = dataclasses.replace(state.graph, briefs=briefs)  # the same links, tags, entities
    kept = [d for d in state.diagnostics
            if not (d.pos.path in rels and d.code.startswith(_LOAD_CODES))]
    diagnostics = tuple(sorted({*kept, *found}, key=Diagnostic.sort_key))
    if not dirty:
        return dataclasses.replace(state, graph=graph, diagnostics=diagnostics), []
    bodies = {**state.bodies, **render_bodies(dataclasses.replace(graph, order=tuple(dirty)),
                                              autolink=config.autolink_entities,
                                              memo=memo.bodies)}
    pages = dict(state.pages)
    for slug in dirty:
        own = pages[brief_path(slug)]
        # Threads follow links and the ranking, which a body-only edit leaves as they were.
        thread = own.view.get("thread")
        view = brief_view(graph.briefs[slug], graph, bodies[slug],
                          thread=thread if isinstance(thread, dict) else None)
        pages[own.path] = dataclasses.replace(own, view={**own.view, **view})
    specs = [pages[brief_path(slug)] for slug in dirty]
    engine = engine if engine is not None else Engine()
    prints = engine.fingerprints(state.theme)
    outputs, problems = render_pages(engine.env(state.theme, prints), specs,
                                     site_view(config), config.root, memo=memo.pages,
                                     fingerprints=prints)
    plans = [plan for plan in feeds.feed_plans(config, graph)
             if any(slug in plan[4][: plan[5]] for slug in dirty)]
    outputs += feeds.feed_files(config, graph, bodies, plans, memo.bodies)
    files = dict(state.files)
    changed = [o.path for o in outputs if files.get(o.path) != o]
    files.update((o.path, o) for o in outputs)
    diagnostics = tuple(sorted({*diagnostics, *problems}, key=Diagnostic.sort_key))
    return State(graph=graph, bodies=bodies, theme=state.theme, pages=pages, files=files,
                 diagnostics=diagnostics), changed


def _face(brief: Brief) -> Brief:
    """The brief with the fields only its own page and feed entries read blanked out (and
    its wikilinks' targets without their positions, which only diagnostics show)."""
    targets = tuple((target, 0, 0) for target, _, _ in brief.wikilinks)
    return dataclasses.replace(brief, wikilinks=targets, **_BODY_ONLY)
