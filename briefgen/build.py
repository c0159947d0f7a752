"""The composer: load → link → render → write, on one screen."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jinja2

from briefgen.config import Config
from briefgen.errors import BriefgenError, Diagnostic, diag
from briefgen.model import LinkGraph, OutputFile, PageSpec, Related
from briefgen.pipeline.email import email_warnings, plan_emails
from briefgen.pipeline.feeds import extras, feed_outputs
from briefgen.pipeline.link import (
    Ranked,
    RankJob,
    build_graph,
    commit_ranking,
    ranking_helper,
    start_ranking,
)
from briefgen.pipeline.load import find_brief_files, load_briefs, load_entity_defs
from briefgen.pipeline.parallel import (
    Helper,
    default_workers,
    freeze_for_workers,
    no_cycle_collection,
)
from briefgen.pipeline.render import render_bodies, render_into, render_pages
from briefgen.pipeline.theme import Engine, Theme, find_theme, static_files
from briefgen.pipeline.views import plan_cards, plan_listing_pages, plan_ranked_pages, site_view
from briefgen.pipeline.write import StagedFolder, check_paths, staging, write_files
from briefgen.publish import search
from briefgen.source.files import files_under
from briefgen.store.cache import BuildCache
from briefgen.store.lock import build_lock
from briefgen.store.manifest import folder_id, site_manifest, unchanged_brief_count


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    """What a build produced: the files and every diagnostic (warnings included)."""

    outputs: tuple[OutputFile, ...]
    diagnostics: tuple[Diagnostic, ...]
    brief_count: int
    file_count: int = 0  # files written (``outputs`` holds them only for in-memory builds)
    up_to_date: bool = False  # nothing changed since the last build: nothing was written
    drafts: int = 0  # brief files left out as drafts
    unreadable: int = 0  # brief files left out because of an error in them

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the diagnostics that fail the build."""
        return tuple(d for d in self.diagnostics if d.severity == "error")


def _never() -> None:
    """The default cancellation check: never cancel."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Gathered:
    """Everything a build knows before it renders pages: the shared first half of a build."""

    graph: LinkGraph
    bodies: dict[str, str]
    pages: list[PageSpec]
    feeds: list[OutputFile]
    theme: Theme
    brief_count: int
    problems: list[Diagnostic]
    drafts: int = 0
    unreadable: int = 0


def gather(config: Config, memo: BuildCache, *, workers: int = 1,
           check: Callable[[], None] = _never, chunk: int = 0,
           helper: Helper[RankJob, Ranked] | None = None,
           related: Mapping[str, tuple[Related, ...]] | None = None,
           state_dir: Path | None = None) -> Gathered:
    """Load, link, render bodies and plan pages. ``check`` runs between steps (and between
    body chunks of ``chunk`` briefs) and may raise to cancel; the dev server uses it.

    ``helper`` (see ``link.ranking_helper``), when given, ranks the related briefs; the
    caller closes it. Without one, the ranking child is forked once the graph is linked.
    ``related``, when given, is an earlier ranking used as it is (briefs gone from the
    digest dropped): the dev server shows an edit at once and re-ranks when typing pauses.
    ``state_dir``, when given, holds the ranking state of the last successful build: the
    ranking then redoes only what changed, and leaves its new state there as pending
    (``commit_ranking`` adopts it once the build succeeded).
    """
    root = config.root
    problems: list[Diagnostic] = []
    paths, found = find_brief_files(config.path(config.briefs_dir), root)
    problems += found
    briefs, found = load_briefs(paths, root, memo.briefs, workers=workers,
                                stats=memo.file_stats)
    problems += found
    published = [b for b in briefs if config.build_drafts or not b.draft]
    entity_defs, found = load_entity_defs(config.path(config.entities_file), root)
    problems += found
    check()
    graph, found = build_graph(published, entity_defs, rank=False)
    problems += found
    # Related briefs are ranked in a child process while this one renders the bodies.
    ranked = (_kept(related, graph) if related is not None else
              start_ranking(graph, related_count=config.related_count,
                            half_life_days=config.related_half_life_days, memo=memo.related,
                            helper=helper, state_dir=state_dir))
    bodies: dict[str, str] = {}
    step = chunk or max(1, len(graph.order))
    for start in range(0, len(graph.order), step):
        check()
        part = dataclasses.replace(graph, order=graph.order[start : start + step])
        bodies.update(render_bodies(part, autolink=config.autolink_entities, memo=memo.bodies,
                                    workers=workers))
    check()
    # Work that does not need the ranking is done while the child still ranks.
    cards = plan_cards(graph)  # cards do not show related briefs
    pages = plan_listing_pages(config, graph, cards)
    feed_files = feed_outputs(config, graph, bodies, memo.bodies)
    graph = dataclasses.replace(graph, related=ranked())
    emails = plan_emails(config, graph)
    problems += email_warnings(config, emails)  # one warning for all of them, not one each
    pages += plan_ranked_pages(graph, bodies, cards, config) + emails
    return Gathered(graph=graph, bodies=bodies, pages=pages, feeds=feed_files,
                    theme=find_theme(config),
                    brief_count=len(published), problems=problems,
                    drafts=len(briefs) - len(published), unreadable=len(paths) - len(briefs))


def other_outputs(config: Config, gathered: Gathered) -> list[OutputFile]:
    """Everything but the rendered pages: theme assets, feeds, index.json, sitemap, extras."""
    return (static_files(gathered.theme.static_dirs(), gathered.theme.allowed())
            + gathered.feeds
            + extras(config, gathered.graph))


Record = dict[str, tuple[str, int]]  # output path -> (hash of its inputs, size)


class Sink(Protocol):
    """Where the engine puts a build's files: a staging folder or memory."""

    def pages(self, env: jinja2.Environment, pages: Sequence[PageSpec], site: Mapping[str, Any],
              root: Path, fingerprints: Mapping[str, str], workers: int,
              check: Callable[[], None]) -> tuple[Record, list[Diagnostic]]:
        """Render ``pages`` into the sink, reusing what an earlier build made from the same
        inputs; return a record per page and the template problems."""
        ...

    def files(self, outputs: Sequence[OutputFile], workers: int) -> Record:
        """Put finished files (assets, feeds, extras) into the sink."""
        ...


@dataclass(slots=True)
class MemorySink:
    """Files kept in memory (``check`` and ``serve``); pages come from the page memo
    when their inputs are unchanged."""

    memo: BuildCache
    chunk: int = 0  # pages between cancellation checks (0: all at once)
    files_out: dict[str, OutputFile] = dataclasses.field(default_factory=dict)

    def pages(self, env: jinja2.Environment, pages: Sequence[PageSpec], site: Mapping[str, Any],
              root: Path, fingerprints: Mapping[str, str], workers: int,
              check: Callable[[], None]) -> tuple[Record, list[Diagnostic]]:
        problems: dict[tuple[str, int, str], Diagnostic] = {}
        record: Record = {}
        step = self.chunk or max(1, len(pages))
        for start in range(0, len(pages), step):
            check()
            done, found = render_pages(env, pages[start : start + step], site, root,
                                       memo=self.memo.pages, fingerprints=fingerprints,
                                       workers=workers)
            for item in found:  # the same template error repeats on every page using it
                problems.setdefault((item.pos.path, item.pos.line, item.code), item)
            for output in done:
                self.files_out[output.path] = output
                record[output.path] = ("", len(output.data))
        return record, list(problems.values())

    def files(self, outputs: Sequence[OutputFile], workers: int) -> Record:
        for output in outputs:
            self.files_out[output.path] = output
        return {o.path: ("", len(o.data)) for o in outputs}


@dataclass(slots=True)
class FolderSink:
    """Files written into a staging folder by the write stage; pages unchanged since the
    last build are linked from the previous site (``previous``, ``known``) instead of
    rendered. Render workers hand each page to the folder themselves (``render_into``)."""

    stage: Path
    previous: Path | None
    known: Mapping[str, tuple[str, int]]

    def pages(self, env: jinja2.Environment, pages: Sequence[PageSpec], site: Mapping[str, Any],
              root: Path, fingerprints: Mapping[str, str], workers: int,
              check: Callable[[], None]) -> tuple[Record, list[Diagnostic]]:
        check()
        folder = StagedFolder(self.stage, self.previous, self.known)
        return render_into(env, pages, site, root, folder, fingerprints=fingerprints,
                           workers=workers)

    def files(self, outputs: Sequence[OutputFile], workers: int) -> Record:
        return write_files(self.stage, list(outputs), previous=self.previous,
                           known=self.known, workers=workers)


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One engine run: what was gathered, the record of every output, and all problems."""

    gathered: Gathered
    record: Record
    diagnostics: tuple[Diagnostic, ...]
    rendered: bool  # False when errors stopped the run before anything reached the sink

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the diagnostics that fail the build."""
        return tuple(d for d in self.diagnostics if d.severity == "error")


def run(config: Config, memo: BuildCache, sink: Sink, *, workers: int = 1,
        check: Callable[[], None] = _never, chunk: int = 0, stop_on_error: bool = False,
        helper: Helper[RankJob, Ranked] | None = None,
        related: Mapping[str, tuple[Related, ...]] | None = None,
        before_render: Callable[[], None] = _never, state_dir: Path | None = None,
        engine: Engine | None = None) -> Run:
    """The one build path of ``build``, ``check`` and ``serve``: gather → plan → render →
    sink. Every step reuses the memos in ``memo``, so a run after a small edit redoes only
    the work whose inputs changed; a cold run is the same code with empty memos. ``engine``
    holds the template environment between runs (the dev server keeps one); without it,
    this run makes its own."""
    engine = engine if engine is not None else Engine()
    done = gather(config, memo, workers=workers, check=check, chunk=chunk, helper=helper,
                  related=related, state_dir=state_dir)
    others = other_outputs(config, done)
    problems = list(done.problems)
    problems += check_paths([OutputFile(path=p.path, data=b"", source=p.source or p.template)
                             for p in done.pages] + others)
    if stop_on_error and any(d.severity == "error" for d in problems):
        return Run(gathered=done, record={}, rendered=False,
                   diagnostics=tuple(sorted(problems, key=Diagnostic.sort_key)))
    check()
    before_render()
    prints = engine.fingerprints(done.theme)
    record, found = sink.pages(engine.env(done.theme, prints), done.pages, site_view(config),
                               config.root, prints, workers, check)
    problems += found
    record.update(sink.files(others, workers))
    return Run(gathered=done, record=record, rendered=True,
               diagnostics=tuple(sorted(problems, key=Diagnostic.sort_key)))


def build_site(config: Config, cache: BuildCache | None = None) -> BuildResult:
    """Run the engine into memory (``briefgen check``); nothing is written.

    With a ``cache``, unchanged inputs reuse earlier results; the output is the same.
    """
    sink = MemorySink(memo=cache or BuildCache())
    done = run(config, sink.memo, sink, workers=config.workers or default_workers())
    outputs = sorted(sink.files_out.values(), key=lambda o: o.path)
    return BuildResult(outputs=tuple(outputs), file_count=len(outputs),
                       diagnostics=done.diagnostics, brief_count=done.gathered.brief_count,
                       drafts=done.gathered.drafts, unreadable=done.gathered.unreadable)


def build(config: Config, *, finish: Callable[[Path], None] | None = None,
          use_cache: bool = True) -> BuildResult:
    """Build and, when there is no error, write ``site/`` atomically; raise on errors.

    Pages are rendered straight into a staging folder that replaces ``site/`` at the end.
    With ``use_cache``, results are kept in ``.briefgen/`` and reused: a page whose inputs
    are unchanged is linked from the previous ``site/`` instead of rendered, and when no
    input changed at all and ``site/`` is there, nothing is done.
    """
    manifest = site_manifest(config, find_theme(config).dirs)
    if use_cache and (count := unchanged_brief_count(config, manifest)) is not None:
        return BuildResult(outputs=(), diagnostics=(), brief_count=count, up_to_date=True)
    workers = config.workers or default_workers()
    with build_lock(config.root, config.path(config.cache_dir), record=use_cache):  # one at a time
        return _locked_build(config, manifest, workers, finish, use_cache)


def _locked_build(config: Config, manifest: str, workers: int,
                  finish: Callable[[Path], None] | None, use_cache: bool) -> BuildResult:
    # Forked before the cache is loaded: the ranking child then holds only its own data.
    helper = ranking_helper(len(files_under(str(config.path(config.briefs_dir)), ".md")),
                            config.related_count)
    try:
        with no_cycle_collection():
            cache = BuildCache.load(config.path(config.cache_dir)) if use_cache else BuildCache()
            return _build(config, cache, manifest, workers, finish, use_cache, helper)
    finally:
        if helper is not None:
            helper.close()


def _build(config: Config, cache: BuildCache, manifest: str, workers: int,
           finish: Callable[[Path], None] | None, use_cache: bool,
           helper: Helper[RankJob, Ranked] | None) -> BuildResult:
    out_dir = config.path(config.output_dir)
    previous = cache.previous_site(out_dir)
    late: list[Diagnostic] = []
    removals: list[threading.Thread] = []  # the old site goes while the cache is saved
    try:
        with staging(out_dir, removals) as stage:
            sink = FolderSink(stage=stage, previous=previous, known=cache.outputs)
            done = run(config, cache, sink, workers=workers, helper=helper,
                       stop_on_error=True, before_render=freeze_for_workers,
                       state_dir=cache.folder)
            if done.errors:
                raise BriefgenError(list(done.diagnostics))
            record = done.record
            # The index is built inside the staging folder, so search and pages swap in together.
            if config.search:
                late.extend(search.index_site(stage, where=config.output_dir))
            if finish is not None:
                finish(stage)
        problems = list(done.diagnostics)
        result = BuildResult(outputs=(), file_count=len(record),
                             brief_count=done.gathered.brief_count,
                             drafts=done.gathered.drafts, unreadable=done.gathered.unreadable,
                             diagnostics=tuple(sorted(problems + late, key=Diagnostic.sort_key)))
        if not use_cache:
            return result
        # After a search warning, keep the memo but not the manifest: the next build retries.
        result = _save_cache(config, cache, "" if late else manifest, result, record)
        commit_ranking(cache.folder)  # the ranking state now describes the built site
        return result
    finally:
        for thread in removals:
            thread.join()


def _kept(related: Mapping[str, tuple[Related, ...]],
          graph: LinkGraph) -> Callable[[], Ranked]:
    """An earlier ranking, without briefs that are gone; new briefs have none yet."""
    kept = {slug: tuple(r for r in related.get(slug, ()) if r.id in graph.briefs)
            for slug in graph.order}
    return lambda: kept


def _save_cache(config: Config, cache: BuildCache, manifest: str, result: BuildResult,
                record: dict[str, tuple[str, int]]) -> BuildResult:
    """Keep this build's results for the next one; a failure to save is only a warning."""
    cache.brief_count = result.brief_count
    cache.outputs = record
    cache.site_id = folder_id(config.path(config.output_dir))
    try:
        cache.save(manifest)
    except OSError as exc:  # the site is written; only the next build's head start is lost
        warning = diag(str(config.path(config.cache_dir)), 0, 0, "BG-IO005",
                       f"could not save the build cache: {exc.strerror or exc}",
                       "the site was built; the next build starts cold", severity="warning")
        result = dataclasses.replace(result, diagnostics=tuple(sorted(
            (*result.diagnostics, warning), key=Diagnostic.sort_key)))
    return result


