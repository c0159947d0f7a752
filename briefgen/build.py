"""The composer: load → link → render → write, on one screen."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jinja2

from briefgen.config import Config
from briefgen.errors import BriefgenError, Diagnostic, diag
from briefgen.hashing import Memo, digest
from briefgen.model import Brief, LinkGraph, OutputFile, PageSpec, Related
from briefgen.pipeline import feeds
from briefgen.pipeline.email import email_warnings, plan_emails
from briefgen.pipeline.link import (
    Ranked,
    RankJob,
    build_graph,
    ranking_helper,
    start_ranking,
)
from briefgen.pipeline.load import find_brief_files, load_briefs, load_entity_defs
from briefgen.pipeline.parallel import Helper, default_workers
from briefgen.pipeline.render import render_bodies, render_into, render_pages
from briefgen.pipeline.theme import Theme, find_theme, make_env, template_fingerprints
from briefgen.pipeline.views import plan_cards, plan_listing_pages, plan_ranked_pages, site_view
from briefgen.pipeline.write import StagedFolder, check_paths, staging, write_files
from briefgen.publish import search
from briefgen.source.files import MAX_ASSET, files_under, read_inside, regular_files
from briefgen.store.cache import BuildCache, folder_id, site_manifest, unchanged_brief_count
from briefgen.store.lock import build_lock
from briefgen.urls import brief_path, entity_path, tag_path


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
           related: Mapping[str, tuple[Related, ...]] | None = None) -> Gathered:
    """Load, link, render bodies and plan pages. ``check`` runs between steps (and between
    body chunks of ``chunk`` briefs) and may raise to cancel; the dev server uses it.

    ``helper`` (see ``link.ranking_helper``), when given, ranks the related briefs; the
    caller closes it. Without one, the ranking child is forked once the graph is linked.
    ``related``, when given, is an earlier ranking used as it is (briefs gone from the
    digest dropped): the dev server shows an edit at once and re-ranks when typing pauses.
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
                            helper=helper))
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
    feed_files = _feeds(config, graph, bodies, memo.bodies)
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
        before_render: Callable[[], None] = _never, engine: Engine | None = None) -> Run:
    """The one build path of ``build``, ``check`` and ``serve``: gather → plan → render →
    sink. Every step reuses the memos in ``memo``, so a run after a small edit redoes only
    the work whose inputs changed; a cold run is the same code with empty memos. ``engine``
    holds the template environment between runs (the dev server keeps one); without it,
    this run makes its own."""
    engine = engine if engine is not None else Engine()
    done = gather(config, memo, workers=workers, check=check, chunk=chunk, helper=helper,
                  related=related)
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
        with _no_cycle_collection():
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
                       stop_on_error=True, before_render=_freeze)
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
        return _save_cache(config, cache, "" if late else manifest, result, record)
    finally:
        for thread in removals:
            thread.join()


def _freeze() -> None:
    """Move the gathered data out of the collector's sight (see _no_cycle_collection): forked
    render workers then share its memory pages untouched."""
    gc.freeze()
    gc.enable()


def _kept(related: Mapping[str, tuple[Related, ...]],
          graph: LinkGraph) -> Callable[[], Ranked]:
    """An earlier ranking, without briefs that are gone; new briefs have none yet."""
    kept = {slug: tuple(r for r in related.get(slug, ()) if r.id in graph.briefs)
            for slug in graph.order}
    return lambda: kept


@dataclass(slots=True)
class Engine:
    """What a caller keeps between engine runs: the Jinja environment and the template
    fingerprints, each made again only when a template changed. ``build`` and ``check``
    use one per run; the dev server keeps one while it serves, because compiling the
    templates again on every rebuild cost more than rendering the edit."""

    # theme folders and template prints -> environment; the last one only
    envs: dict[str, jinja2.Environment] = dataclasses.field(default_factory=dict)
    # template files' stamps -> fingerprints; the last one only
    prints: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)

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


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while a build allocates its data.

    A build makes millions of long-lived objects and almost no reference cycles, so each of
    the collector's full passes walks everything and frees nothing: about a fifth of a large
    build's time. The build may freeze its data (the collector then skips it, here and in
    forked workers); when the block ends, everything is as before.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


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


FeedPlan = tuple[str, str, str, str, tuple[str, ...], int]  # path, page, titles, briefs, limit


def feed_plans(config: Config, graph: LinkGraph) -> list[FeedPlan]:
    """The digest's feed, and one per tag and entity with enough briefs."""
    # Topic feeds carry fewer entries than the main feed, and summaries rather than whole
    # briefs: there are thousands of them in a large digest (Hugo's feeds carry summaries too).
    topic_limit = min(config.feed_items, 20)
    plans: list[FeedPlan] = [("feed.xml", "index.html", config.title, config.description,
                              graph.order, config.feed_items)]
    least = config.feed_min_briefs
    for tag in graph.tags.values():
        if feeds.topic_feed(f"tags/{tag.slug}.xml", len(tag.briefs), least):
            plans.append((f"tags/{tag.slug}.xml", tag_path(tag.slug),
                          f"{config.title}: #{tag.name}", f"Briefs tagged {tag.name}",
                          tag.briefs, topic_limit))
    for info in graph.entities.values():
        if feeds.topic_feed(f"entities/{info.key}.xml", len(info.briefs), least):
            plans.append((f"entities/{info.key}.xml", entity_path(info.key),
                          f"{config.title}: {info.name}", f"Briefs mentioning {info.name}",
                          info.briefs, topic_limit))
    return plans


def feed_files(config: Config, graph: LinkGraph, bodies: Mapping[str, str],
               plans: Sequence[FeedPlan], memo: Memo | None = None) -> list[OutputFile]:
    """Each planned feed in Atom and JSON Feed."""
    rendered: dict[str, feeds.Entry] = {}

    def entries(slugs: tuple[str, ...], limit: int) -> list[feeds.Entry]:
        for slug in slugs[:limit]:
            if slug not in rendered:  # a brief sits in many feeds; render its entry once
                rendered[slug] = _entry(graph.briefs[slug], bodies[slug], config.site_url, memo)
        return [rendered[s] for s in slugs[:limit]]

    out: list[OutputFile] = []
    for path, page, title, subtitle, slugs, limit in plans:
        meta = feeds.FeedMeta(title=title, subtitle=subtitle, path=path, page_path=page,
                              site_url=config.site_url, language=config.language,
                              author=config.author)
        items = entries(slugs, limit)
        full = path == "feed.xml"
        out.append(OutputFile(path=path, data=feeds.atom(meta, items, full=full), source=page))
        out.append(OutputFile(path=path.removesuffix(".xml") + ".json",
                              data=feeds.json_feed(meta, items, full=full), source=page))
    return out


def _feeds(config: Config, graph: LinkGraph, bodies: dict[str, str],
           memo: Memo | None = None) -> list[OutputFile]:
    """The digest's feed, and one per tag and entity with enough briefs, in Atom and JSON Feed."""
    return feed_files(config, graph, bodies, feed_plans(config, graph), memo)


def _entry(brief: Brief, body: str, site_url: str, memo: Memo | None) -> feeds.Entry:
    """A brief's feed entry, from the memo when the brief file and its body HTML are the same
    (kept as a plain tuple of strings, so the memo stays plain data)."""
    path = brief_path(brief.slug)
    key = digest("feed-entry", brief.path, brief.content_hash, path, site_url, body)
    found = memo.get(key) if memo is not None else None
    if found is not None:
        return feeds.Entry(**dict(zip(_ENTRY_FIELDS, found, strict=True)))
    made = feeds.entry(brief, path, body, site_url)
    if memo is not None:
        memo.put(key, tuple(getattr(made, name) for name in _ENTRY_FIELDS))
    return made


_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(feeds.Entry))


def extras(config: Config, graph: LinkGraph) -> list[OutputFile]:
    """Files made from the link graph alone: index.json, sitemaps, robots.txt, CNAME."""
    out = [OutputFile(path=".nojekyll", data=b"", source="briefgen"),
           OutputFile(path="index.json", data=_index_json(graph), source="briefgen")]
    if config.cname:
        out.append(OutputFile(path="CNAME", data=config.cname.strip().encode() + b"\n",
                              source="briefgen.yaml"))
    if config.site_url:
        lastmod = {brief_path(s): graph.briefs[s].date.isoformat() for s in graph.order}
        newest = graph.briefs[graph.order[0]].date.isoformat() if graph.order else ""
        pages = {"index.html": newest, "tags/index.html": newest, "entities/index.html": newest,
                 "editions/index.html": newest, **lastmod}
        pages.update({tag_path(t.slug): graph.briefs[t.briefs[0]].date.isoformat()
                      for t in graph.tags.values()})
        pages.update({entity_path(e.key): graph.briefs[e.briefs[0]].date.isoformat()
                      for e in graph.entities.values()})
        out.extend(OutputFile(path=path, data=data, source="briefgen")
                   for path, data in feeds.sitemaps(config.site_url, pages))
        out.append(OutputFile(path="robots.txt", data=feeds.robots(config.site_url),
                              source="briefgen"))
    return out


def _index_json(graph: LinkGraph) -> bytes:
    """The link graph for other tools: briefs newest first, related best first."""
    briefs = []
    for slug in graph.order:
        brief = graph.briefs[slug]
        briefs.append({
            "slug": slug,
            "title": brief.title,
            "date": brief.date.isoformat(),
            "url": brief_path(slug),
            "summary": brief.summary,
            "tags": list(brief.tags),
            "entities": {kind: list(names) for kind, names in brief.entities.by_kind() if names},
            "source": {"file": brief.source.file, "url": brief.source.url,
                       "name": brief.source.name},
            "related": [{"slug": r.id, "score": r.score, "shared": list(r.shared)}
                        for r in graph.related.get(slug, ())],
            "backlinks": list(graph.backlinks.get(slug, ())),
        })
    return (json.dumps({"briefs": briefs}, ensure_ascii=False) + "\n").encode("utf-8")
