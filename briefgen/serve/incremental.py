"""Rebuilds for the dev server: the engine of ``briefgen build`` with a memory sink.

``full_build`` runs ``build.run`` (the one build path) into memory, keeping the memos
between rebuilds so an edit redoes only the work whose inputs changed: the edited file is
parsed again, its body rendered again, and only pages whose view data changed are rendered.
With ``quick``, the related-brief ranking of the previous snapshot is reused, so an edit is
shown at once, and edited briefs are first applied by recorded reads (``delta``): only the
pages that showed them are planned and rendered again. The dev server runs a full rebuild
when typing pauses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from briefgen import build as build_mod
from briefgen import delta
from briefgen.config import Config
from briefgen.errors import Diagnostic
from briefgen.model import LinkGraph, OutputFile
from briefgen.pipeline.theme import Engine
from briefgen.store.cache import BuildCache

_CHUNK = 50  # items between cancellation checks in the long loops


class Cancelled(Exception):
    """A newer change arrived: this build's result would be stale."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """A built site in memory, with the memos and link graph the next rebuild reuses."""

    config: Config
    cache: BuildCache  # the build memos; only the build thread touches it
    slug_of: Mapping[str, str]  # brief file (site-root relative) -> slug, published only
    graph: LinkGraph
    files: Mapping[str, OutputFile]
    diagnostics: tuple[Diagnostic, ...]
    state: delta.State
    engine: Engine  # templates compiled once, kept while they are unchanged
    quick: bool = False  # related briefs were taken from an earlier snapshot

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the diagnostics that fail a build."""
        return tuple(d for d in self.diagnostics if d.severity == "error")


def _never() -> None:
    """The default cancellation check: never cancel."""


def full_build(
    config: Config,
    previous: Snapshot | None = None,
    *,
    cache: BuildCache | None = None,
    check: Callable[[], None] = _never,
    quick: bool = False,
    edited: Sequence[str] = (),
) -> Snapshot:
    """Run the engine into memory, reusing the memos of ``previous``.

    ``check`` is called between steps and may raise ``Cancelled`` to abandon the build.
    ``quick`` (with a ``previous``) reuses its related-brief ranking instead of ranking again
    and, when only the brief files ``edited`` changed, applies them by recorded reads.
    """
    memo = cache or (previous.cache if previous is not None else BuildCache())
    engine = previous.engine if previous is not None else Engine()
    if quick and previous is not None and edited:
        applied = delta.apply_edits(config, memo, previous.state, edited, engine)
        if applied is not None:
            state, _ = applied
            return Snapshot(config=config, cache=memo, slug_of=previous.slug_of,
                            graph=state.graph, files=state.files,
                            diagnostics=state.diagnostics, state=state, engine=engine,
                            quick=True)
    related = previous.graph.related if quick and previous is not None else None
    sink = build_mod.MemorySink(memo=memo, chunk=_CHUNK)
    # Workers stay off because this process has threads (forking it is unsafe), and work
    # comes in chunks so a newer edit can cancel.
    done = build_mod.run(config, memo, sink, workers=1, check=check, chunk=_CHUNK,
                         related=related, engine=engine)
    for kind in (memo.briefs, memo.bodies, memo.pages, memo.related):
        kind.compact()  # in memory for hours: keep only what this build used
        kind.used = set()
    graph = done.gathered.graph
    files = dict(sink.files_out)
    return Snapshot(
        config=config, cache=memo, slug_of={b.path: b.slug for b in graph.briefs.values()},
        graph=graph, files=files, diagnostics=done.diagnostics,
        state=delta.state_of(done, files), engine=engine, quick=related is not None,
    )


def load_cache(config: Config) -> BuildCache:
    """The memos ``briefgen build`` left in the cache folder, for a warm first build."""
    return BuildCache.load(Path(config.path(config.cache_dir)))
