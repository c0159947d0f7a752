"""Watch the site's sources with watchdog, drop editor noise, and debounce bursts into batches."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path, PurePath

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

# Suffixes editors and tools use for swap, backup, lock and partial files.
IGNORED_SUFFIXES = (
    ".swp", ".swo", ".swx", ".swpx", ".kate-swp", ".tmp", ".temp", ".bak", ".orig", ".part",
    ".crdownload", "~",
)
# Only these event kinds mean content changed: opening or reading a file (which the build
# itself does) must not trigger another build.
_CHANGE_EVENTS = frozenset({"created", "modified", "deleted", "moved", "closed"})


def is_ignored(path: PurePath, root: PurePath, skip_dirs: Collection[str] = ()) -> bool:
    """True for files a rebuild should not react to: editor droppings, hidden, output folders.

    ``skip_dirs`` are folder paths relative to ``root`` (e.g. ``site``, ``.briefgen``).
    """
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return True
    if not parts:
        return False
    name = parts[-1]
    if any(part.startswith(".") for part in parts):
        return True  # hidden files and folders: .git, .briefgen, .#lockfiles, .name.swp
    if name.endswith(IGNORED_SUFFIXES) or name == "4913":  # vim's write-permission probe
        return True
    if name.startswith("#") and name.endswith("#"):  # emacs auto-save
        return True
    rel = "/".join(parts)
    for folder in skip_dirs:
        folder = folder.strip("/")
        if folder and (rel == folder or rel.startswith(folder + "/")):
            return True
    return "__pycache__" in parts


class Debouncer:
    """Collects paths and says when a batch is due: ``quiet`` after the last event, but never
    later than ``max_wait`` after the first, so a steady trickle still gets built.

    When the last event ends a write (a file closed after writing, or renamed into place),
    the wait is only ``settle``: a save is complete then, and waiting the full quiet window
    would only add latency. Any later event in the burst restores the full window.
    """

    def __init__(self, quiet: float = 0.02, max_wait: float = 0.25,
                 settle: float = 0.003) -> None:
        self.quiet = quiet
        self.max_wait = max_wait
        self.settle = min(settle, quiet)
        self._paths: dict[str, None] = {}
        self._first = 0.0
        self._last = 0.0
        self._final = False

    def add(self, path: str, now: float, *, final: bool = False) -> None:
        """Record one changed path seen at time ``now``; ``final`` when it ends a write."""
        if not self._paths:
            self._first = now
        self._paths[path] = None
        self._last = now
        self._final = final

    def due(self) -> float | None:
        """When the pending batch should be taken, or None when nothing is pending."""
        if not self._paths:
            return None
        wait = self.settle if self._final else self.quiet
        return min(self._last + wait, self._first + self.max_wait)

    def take(self, now: float) -> tuple[str, ...]:
        """The pending paths in arrival order if the batch is due, else an empty tuple."""
        when = self.due()
        if when is None or now < when:
            return ()
        paths = tuple(self._paths)
        self._paths.clear()
        return paths


class _Handler(FileSystemEventHandler):
    """Feeds relevant watchdog events into the watcher."""

    def __init__(self, accept: Callable[[str, bool], None]) -> None:
        self._accept = accept

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CHANGE_EVENTS:
            return
        if event.is_directory and event.event_type == "modified":
            return  # a folder's mtime changes with every file saved in it: the file says more
        final = event.event_type == "closed" and not event.is_directory
        if event.event_type == "moved":
            self._accept(_text(event.src_path), False)
            self._accept(_text(event.dest_path), not event.is_directory)
        else:
            self._accept(_text(event.src_path), final)


def _text(raw: str | bytes) -> str:
    return raw if isinstance(raw, str) else raw.decode()


class Watcher:
    """Watchdog observer + filter + debounce thread, calling ``on_batch`` with absolute paths."""

    def __init__(
        self,
        root: Path,
        watch: Sequence[tuple[Path, bool]],
        on_batch: Callable[[tuple[str, ...]], None],
        *,
        skip_dirs: Collection[str] = (),
        poll: bool = False,
        quiet: float = 0.02,
        max_wait: float = 0.25,
    ) -> None:
        self._root = root.resolve()
        self._watch = watch
        self._on_batch = on_batch
        self._skip = tuple(skip_dirs)
        self._observer: BaseObserver = PollingObserver(timeout=0.25) if poll else Observer()
        self._debouncer = Debouncer(quiet, max_wait)
        self._handler = _Handler(self.notify)
        self._scheduled: set[tuple[str, bool]] = set()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="briefgen-debounce", daemon=True)

    def start(self) -> None:
        """Start watching every existing folder (``(path, recursive)``)."""
        self.watch(self._watch)
        self._observer.start()
        self._thread.start()

    def watch(self, folders: Sequence[tuple[Path, bool]]) -> None:
        """Also watch these folders, those not watched yet that exist now (e.g. a ``themes/``
        created after the server started)."""
        for path, recursive in folders:
            key = (str(path), recursive)
            if key not in self._scheduled and path.is_dir():
                self._observer.schedule(self._handler, str(path), recursive=recursive)
                self._scheduled.add(key)

    def notify(self, raw: str, final: bool = False) -> None:
        """Take one changed path (also usable without watchdog, e.g. in tests)."""
        path = Path(raw)
        if not path.is_absolute():
            path = self._root / path
        if is_ignored(path, self._root, self._skip):
            return
        with self._cond:
            self._debouncer.add(str(path), time.monotonic(), final=final)
            self._cond.notify()

    def stop(self) -> None:
        """Stop the observer and the debounce thread; pending events are dropped."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    due = self._debouncer.due()
                    now = time.monotonic()
                    if due is not None and now >= due:
                        break
                    self._cond.wait(None if due is None else due - now)
                if self._stopping:
                    return
                batch = self._debouncer.take(time.monotonic())
            if batch:
                self._on_batch(batch)  # outside the lock: events keep queueing meanwhile
