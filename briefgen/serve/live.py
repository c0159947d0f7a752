"""The serve loop: turn batches of changed files into new site states and tell the browsers."""

from __future__ import annotations

import dataclasses
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from briefgen.config import CONFIG_NAME, Config, load_config
from briefgen.errors import BriefgenError, Diagnostic
from briefgen.ingest import KINDS, run_ingest
from briefgen.pipeline.theme import find_theme, static_files
from briefgen.serve.incremental import (
    Cancelled,
    Snapshot,
    full_build,
    load_cache,
)
from briefgen.serve.overlay import ErrorBoard
from briefgen.serve.server import Hub, with_client
from briefgen.urls import brief_path

ALL_PAGES = 200  # above this many changed pages, browsers are told "everything changed"


@dataclasses.dataclass(slots=True)
class _Request:
    """What the next full build must do."""

    due: float = 0.0
    config: bool = False
    follow: str = ""
    quick: bool = False  # only brief files changed: reuse the related ranking for now
    edited: tuple[str, ...] = ()  # the brief files changed (site-root relative)


class LiveSite:
    """The site as served: rebuilt on changes, kept at the last good state while broken."""

    def __init__(self, root: Path, hub: Hub, *, follow: bool = False,
                 echo: Callable[[str], None] = print, follow_up_delay: float = 1.0) -> None:
        self.root = root.resolve()
        self._hub = hub
        self._follow = follow
        self._echo = echo
        self._follow_up_delay = follow_up_delay
        self._lock = threading.RLock()  # one writer of the served state at a time
        self._files: Mapping[str, bytes] = {}
        self._snapshot: Snapshot | None = None
        self._config: Config | None = None
        self._config_problems: tuple[Diagnostic, ...] = ()
        self._ingest_problems: dict[str, tuple[Diagnostic, ...]] = {}
        self._board = ErrorBoard(self.root, echo)
        self._version = 0
        self._wake = threading.Condition(self._lock)
        self._request: _Request | None = None
        self._running = False
        self._running_lazy = False
        self._cancel = False
        self._stopping = False
        self._thread = threading.Thread(target=self._build_loop, name="briefgen-build",
                                        daemon=True)

    # -- what the HTTP side reads -------------------------------------------------------

    def files(self) -> Mapping[str, bytes]:
        """The served files (a mapping replaced, never mutated, on each change)."""
        return self._files

    def hello(self) -> dict[str, Any]:
        """The first message a browser gets: the version and the current errors."""
        with self._lock:
            return {"type": "hello", "version": self._version, "errors": self._board.payload()}

    @property
    def config(self) -> Config | None:
        """The configuration of the last successful config load."""
        return self._config

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Build once (synchronously, so the first request is served a whole site), then
        start the background build thread."""
        self._load_config()
        if self._config is not None:
            config = self._config
            self._commit_full(full_build(config, cache=load_cache(config)), follow="")
        else:
            self._publish_errors()
        self._thread.start()

    def stop(self) -> None:
        """Stop the build thread (a running build is abandoned at its next check)."""
        with self._lock:
            self._stopping = True
            self._cancel = True
            self._wake.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def watched(self) -> list[tuple[Path, bool]]:
        """Folders to watch: the root itself (for briefgen.yaml) and the source folders."""
        config = self._config or Config(root=self.root)
        folders: list[tuple[Path, bool]] = [(self.root, False)]
        for rel in (config.content_dir, config.briefs_dir, config.articles_dir,
                    config.themes_dir):
            path = config.path(rel).resolve()
            if not any(path.is_relative_to(p) for p, recursive in folders if recursive):
                folders.append((path, True))
        return folders

    def skip_dirs(self) -> tuple[str, ...]:
        """Folders whose changes never matter: the output and the cache."""
        config = self._config or Config(root=self.root)
        return (config.output_dir, config.cache_dir)

    # -- reacting to changes ------------------------------------------------------------

    def handle(self, batch: Sequence[str]) -> None:
        """React to one debounced batch of changed absolute paths."""
        try:
            self._handle(batch)
        except Exception:  # the serve loop must survive anything; show it and carry on
            self._echo("briefgen serve: internal error while rebuilding:\n"
                       + traceback.format_exc())

    def _handle(self, batch: Sequence[str]) -> None:
        with self._lock:
            if self._running_lazy:
                self._cancel = True  # free the CPU for this change; the follow-up reruns
        config = self._config or Config(root=self.root)
        briefs_dir = PurePosixPath(config.briefs_dir)
        articles_dir = PurePosixPath(config.articles_dir)
        themes_dir = PurePosixPath(config.themes_dir)
        edits: list[str] = []
        articles: list[Path] = []
        request: _Request | None = None
        assets = False
        for raw in batch:
            path = Path(raw)
            try:
                rel = PurePosixPath(path.resolve().relative_to(self.root).as_posix())
            except ValueError:
                continue
            if str(rel) == CONFIG_NAME:
                request = _merge(request, _Request(config=True))
            elif str(rel) == config.entities_file:
                request = _merge(request, _Request())
            elif rel.is_relative_to(briefs_dir):
                if rel.suffix == ".md" and path.is_file():
                    edits.append(str(rel))
                elif rel.suffix == ".md" or path.is_dir() or not path.exists():
                    request = _merge(request, _Request())  # added, removed or moved
            elif rel.is_relative_to(articles_dir):
                if rel.suffix.lower() in KINDS and path.is_file():
                    articles.append(path)
            elif rel.is_relative_to(themes_dir):
                if "static" in rel.relative_to(themes_dir).parts[1:2]:
                    assets = True
                else:
                    request = _merge(request, _Request())  # templates: pages re-render
        for rel_name in edits:  # the engine's rebuild, with the last related ranking
            request = _merge(request, _Request(follow=rel_name, quick=True, edited=(rel_name,)))
        if assets and request is None:
            self._refresh_assets()
        if articles:
            self._ingest(articles, config)
        if request is not None:
            self._schedule(request)

    def _refresh_assets(self) -> None:
        """Swap changed theme static files in without a build."""
        with self._lock:
            snap = self._snapshot
            if snap is None:
                return
            theme = find_theme(snap.config)
            fresh = {o.path: o for o in static_files(theme.static_dirs(),
                                                               theme.allowed())}
            stale = [p for p in snap.files if p.startswith("assets/") and p not in fresh]
            files = {p: o for p, o in snap.files.items() if p not in stale}
            changed = [p for p, o in fresh.items() if files.get(p) != o]
            files.update(fresh)
            self._commit(dataclasses.replace(snap, files=files), [*changed, *stale], follow="")

    def _ingest(self, articles: list[Path], config: Config) -> None:
        """Turn dropped raw articles into briefs; the new brief files trigger the build."""
        report = run_ingest(articles, config.path(config.briefs_dir), root=config.root)
        with self._lock:
            for path in articles:
                self._ingest_problems.pop(str(path), None)
            for item in report.diagnostics:
                if item.severity == "error":
                    key = str(item.pos.path)
                    self._ingest_problems[key] = (*self._ingest_problems.get(key, ()), item)
            self._publish_errors()
        for created in (*report.created, *report.updated):
            self._echo(f"Ingested {created}")

    # -- full builds --------------------------------------------------------------------

    def _schedule(self, request: _Request) -> None:
        with self._lock:
            self._request = _merge(self._request, request)
            if self._running and (not request.due or self._running_lazy):
                # A structural change makes the running build stale; any change makes a
                # running follow-up pointless (it will run again once editing pauses).
                self._cancel = True
            self._wake.notify_all()

    def _build_loop(self) -> None:
        while True:
            with self._lock:
                while not self._stopping:
                    if self._request is not None:
                        wait = self._request.due - time.monotonic()
                        if wait <= 0:
                            break
                        self._wake.wait(wait)
                    else:
                        self._wake.wait()
                if self._stopping:
                    return
                request, self._request = self._request, None
                if request is None:
                    continue
                self._running, self._cancel = True, False
                self._running_lazy = request.due > 0
                previous = self._snapshot
            try:
                self._full(request, previous)
            except Cancelled:
                later = time.monotonic() + self._follow_up_delay if request.due else 0.0
                self._schedule(dataclasses.replace(request, due=later))
            except Exception:  # the serve loop must survive anything; show it and carry on
                self._echo("briefgen serve: internal error while building:\n"
                           + traceback.format_exc())
            finally:
                with self._lock:
                    self._running = False

    def _check(self) -> None:
        if self._cancel:
            raise Cancelled

    def _full(self, request: _Request, previous: Snapshot | None) -> None:
        started = time.perf_counter()
        if request.config or self._config is None:
            self._load_config()
        config = self._config
        if config is None:
            with self._lock:
                self._publish_errors()
            return
        snap = full_build(config, previous, check=self._check, quick=request.quick,
                          edited=request.edited)
        with self._lock:
            self._check()
            follow = page = ""
            if request.follow in snap.slug_of:
                page = brief_path(snap.slug_of[request.follow])
                follow = page if self._follow else ""
            changed = self._commit_full(snap, follow=follow, inline=page)
            if snap.quick:  # related lists are the last ranking's: rank when typing pauses
                self._schedule(_Request(due=time.monotonic() + self._follow_up_delay))
        if changed:
            took = time.perf_counter() - started
            self._echo(f"Updated {request.follow} in {1000 * took:.0f} ms" if request.quick
                       else f"Rebuilt {len(changed)} file(s) in {took:.2f} s")

    def _load_config(self) -> None:
        try:
            config = load_config(self.root)
        except BriefgenError as exc:
            self._config_problems = exc.diagnostics
            return
        self._config_problems = ()
        self._config = config

    # -- committing and telling browsers ------------------------------------------------

    def _commit_full(self, snap: Snapshot, *, follow: str, inline: str = "") -> list[str]:
        """Adopt a build; its files are served only when it has no errors (or when nothing
        good was ever built), so a broken edit never blanks a page. The page ``inline``
        (the edited brief's) rides along in the message: browsers showing it skip a fetch."""
        with self._lock:
            self._snapshot = snap
            if snap.errors and self._files:
                self._publish_errors()
                return []
            served = self._files
            changed = [p for p, o in snap.files.items() if served.get(p) != o.data]
            changed += [p for p in served if p not in snap.files]
            self._files = {p: o.data for p, o in snap.files.items()}
            self._version += 1
            pages: dict[str, str] = {}
            if inline in changed and inline in self._files:
                pages[inline] = with_client(self._files[inline], inline).decode("utf-8", "replace")
            self._announce(changed, follow, pages)
            self._publish_errors()
            return changed

    def _commit(self, snap: Snapshot, changed: Iterable[str], *, follow: str,
                inline: bool = False) -> None:
        """Adopt a partial update: serve exactly the files it re-rendered."""
        changed = list(changed)
        self._snapshot = snap
        if changed:
            files = dict(self._files)
            for path in changed:
                item = snap.files.get(path)
                if item is None:
                    files.pop(path, None)
                else:
                    files[path] = item.data
            self._files = files
            self._version += 1
            pages = {p: with_client(files[p], p).decode("utf-8", "replace")
                     for p in changed if inline and p.endswith(".html") and p in files}
            self._announce(changed, follow, pages)
        self._publish_errors()

    def _announce(self, changed: list[str], follow: str,
                  inline: Mapping[str, str] | None = None) -> None:
        if not changed and not follow:
            return
        pages = [p for p in changed if p.endswith(".html")]
        css = [p for p in changed if p.endswith(".css")]
        other = [p for p in changed if p.startswith("assets/") and not p.endswith(".css")]
        self._hub.publish({
            "type": "change", "version": self._version,
            "pages": "*" if len(pages) > ALL_PAGES else pages, "css": css,
            "reload": bool(other), "follow": follow, "html": dict(inline or {}),
        })

    def _publish_errors(self) -> None:
        """Send the error list to the browsers when it changed."""
        found: list[Diagnostic] = list(self._config_problems)
        if self._snapshot is not None and not self._config_problems:
            found += self._snapshot.errors
        for items in self._ingest_problems.values():
            found += items
        payload = self._board.update(found)
        if payload is not None:
            self._hub.publish({"type": "errors", "errors": payload})


def _merge(first: _Request | None, second: _Request) -> _Request:
    if first is None:
        return dataclasses.replace(second)
    # "Now" (0) wins; two follow-ups wait for the later one, so typing never starts a build.
    due = 0.0 if not first.due or not second.due else max(first.due, second.due)
    # Quick (an edit, related lists as they were) unless some part needs a full build now;
    # a pending follow-up is scheduled again after the quick build.
    full_now = any(not r.quick and not r.due for r in (first, second))
    quick = not full_now and (first.quick or second.quick)
    return _Request(due=due, config=first.config or second.config,
                    follow=second.follow or first.follow, quick=quick,
                    edited=tuple(dict.fromkeys((*first.edited, *second.edited))) if quick
                    else ())
