"""Spread independent per-item work over worker processes, in order, deterministically."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A")

MIN_ITEMS = 300  # below this, starting processes costs more than it saves


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def fork_map(func: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """``[func(item) for item in items]``, spread over forked workers that inherit ``items``.

    Nothing is pickled on the way in: a forked child sees the parent's memory, so large
    view data costs nothing to hand over. Only the results travel
    back, so ``func`` should return something small (it may write files itself). Items are
    dealt out in turn (0, n, 2n… to the first worker) so costly and cheap items mix.
    """
    if workers <= 1 or len(items) < MIN_ITEMS or not _can_fork():
        return [func(item) for item in items]
    count = min(workers, len(items))
    # Move every object to the permanent generation first: a child's garbage collector
    # then never walks (and so never copies) the memory it shares with the parent.
    frozen = gc.get_freeze_count()
    gc.freeze()
    try:
        children = [_start(func, items, index, count) for index in range(count)]
        parts: list[list[Any]] = []
        failure: Exception | None = None
        for child in children:  # wait for every child, even after one failed
            try:
                parts.append(_receive(*child))
            except Exception as exc:  # re-raised below, after the others
                failure = failure or exc
        if failure is not None:
            raise failure
    finally:
        if not frozen:  # the caller froze first; leave that to the caller to undo
            gc.unfreeze()
    results: list[R] = [None] * len(items)  # type: ignore[list-item]
    for index, part in enumerate(parts):
        results[index::count] = part
    return results


def fork_call(func: Callable[[], R]) -> Callable[[], R]:
    """Start ``func()`` in a forked child and return a function that waits for its result.

    The caller goes on with other work meanwhile (the child sees the parent's memory as it
    was at the fork). Where forking is not possible, ``func`` runs at once, in this process.
    """
    if not _can_fork():
        value = func()
        return lambda: value
    child = _start(lambda _: func(), [None], 0, 1)

    def wait() -> R:
        result: R = _receive(*child)[0]
        return result

    return wait


class Helper(Generic[A, R]):
    """A child forked early that waits for one argument, runs ``func`` on it and sends the
    result back; see ``start_helper``."""

    def __init__(self, conn: Any, proc: Any) -> None:
        self._conn = conn
        self._proc = proc
        self._state = "idle"  # then "running", then "closed"

    def submit(self, arg: A) -> Callable[[], R]:
        """Send ``arg`` (pickled) to the child; return a function that waits for the result."""
        if self._state != "idle":
            raise RuntimeError("a helper runs once")
        self._conn.send(("run", arg))
        self._state = "running"

        def wait() -> R:
            try:
                result: R = _receive(self._conn, self._proc)[0]
            finally:
                self._state = "closed"
            return result

        return wait

    def close(self) -> None:
        """Stop the child if it is still waiting or working (a failed or cached build)."""
        if self._state == "idle":
            with contextlib.suppress(OSError):
                self._conn.send(("stop", None))
            self._proc.join(5)
        if self._state != "closed" and self._proc.is_alive():
            self._proc.kill()
        self._proc.join()
        self._conn.close()
        self._state = "closed"


def start_helper(func: Callable[[A], R],
                 warm: Callable[[], object] | None = None) -> Helper[A, R] | None:
    """Fork a helper now, while this process is small; None where forking is not possible.

    A child forked later would map everything the build has loaded by then, and on Linux
    those shared pages count in its resident size: a large build's memory peak would be
    that child. Forked early, it holds little more than what it is sent. ``warm`` runs in
    the child at once (to import what ``func`` needs while the parent works).
    """
    if not _can_fork():
        return None
    context = multiprocessing.get_context("fork")
    mine, theirs = context.Pipe(duplex=True)
    proc = context.Process(target=_helper_main, args=(func, warm, theirs, os.getpid()),
                           daemon=True)
    proc.start()
    theirs.close()
    return Helper(mine, proc)


def _helper_main(func: Callable[[A], R], warm: Callable[[], object] | None, conn: Any,
                 parent: int) -> None:
    _die_with_parent(parent)
    if warm is not None:
        with contextlib.suppress(Exception):  # only a head start: func imports what it needs
            warm()
    try:
        kind, arg = conn.recv()
    except EOFError:  # the parent went away
        return
    if kind == "run":
        _fork_worker(func, [arg], 0, 1, conn, parent)


def _start(func: Callable[[T], R], items: Sequence[T], index: int,
           count: int) -> tuple[Any, Any]:
    """Fork a child that runs ``func`` on ``items[index::count]``: (its pipe, the process)."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    proc = context.Process(target=_fork_worker,
                           args=(func, items, index, count, writer, os.getpid()), daemon=True)
    proc.start()
    writer.close()
    return reader, proc


def _receive(reader: Any, proc: Any) -> list[Any]:
    """A child's results; its own exception (so callers can catch OSError) if it failed."""
    try:
        status, value = reader.recv()
    except EOFError:  # the child died without a word (killed, out of memory)
        status, value = "error", RuntimeError("a worker process ended unexpectedly")
    finally:
        proc.join()
    if status == "error":
        raise value
    result: list[Any] = value
    return result


def _fork_worker(func: Callable[[T], R], items: Sequence[T], index: int, count: int,
                 writer: Any, parent: int) -> None:
    _die_with_parent(parent)
    try:
        writer.send(("ok", [func(item) for item in items[index::count]]))
    except Exception as exc:  # report any failure to the parent instead of dying silently
        exc.add_note(f"in a worker process:\n{traceback.format_exc()}")
        try:
            writer.send(("error", exc))
        except Exception:  # the exception itself would not pickle
            writer.send(("error", RuntimeError(traceback.format_exc())))
    finally:
        writer.close()


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when its parent dies, so a killed build leaves no
    worker behind still writing files (prctl PR_SET_PDEATHSIG; no library exposes it)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9)  # PR_SET_PDEATHSIG = 1, SIGKILL = 9
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def release_large_frees(threshold: int = 256 * 1024) -> None:
    """Have glibc serve every block of ``threshold`` bytes or more from its own mapping, so
    freeing it returns the memory to the system at once (mallopt M_MMAP_THRESHOLD).

    By default glibc raises that threshold after large frees and then keeps such blocks in
    its heap, where they are seldom given back: a process that allocates and frees big
    numpy arrays in turn (the ranking child) then peaks far above what it holds, 330 against
    215 MB at 4,000 briefs. For a dedicated child only; no library exposes mallopt.
    """
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(-3, threshold)  # M_MMAP_THRESHOLD = -3
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _can_fork() -> bool:
    # fork is only safe from a single-threaded process; the dev server has threads.
    import threading

    return sys.platform.startswith("linux") and threading.active_count() == 1


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
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



def freeze_for_workers() -> None:
    """Move the gathered data out of the collector's sight (see no_cycle_collection): forked
    render workers then share its memory pages untouched."""
    gc.freeze()
    gc.enable()

