"""One build at a time per digest: an advisory lock, its holder named in ``.briefgen/build.lock``.

Two builds of one digest at once would share the cache and the staging folder's
neighbourhood (each one's clean-up deleting the other's work). The lock is ``fcntl.flock``:
the kernel drops it when the owner exits, even after ``kill -9``, so a lock is never stale;
the pid in ``.briefgen/build.lock`` is only there to name the owner in messages.

Also here: ``pid_alive``, used to tell a killed build's leftover staging folder (its pid is
in the folder's name) from the staging folder of a build still running.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from briefgen.errors import BriefgenError, diag
from briefgen.store.atomic import write_atomic

LOCK_NAME = "build.lock"


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _owner(path: Path) -> int:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return 0
    return int(text) if text.isdigit() and len(text) < 12 else 0


def _holder(path: Path, patience: float = 0.5) -> int:
    """The pid of the build holding the lock. The holder writes it just after taking the
    lock, so a build that loses the race by a moment may look before it is there (or see a
    killed build's stale pid): look again for up to ``patience`` seconds."""
    deadline = time.monotonic() + patience
    while True:
        owner = _owner(path)
        if (owner and pid_alive(owner)) or time.monotonic() >= deadline:
            return owner if owner and pid_alive(owner) else 0
        time.sleep(0.02)


@contextlib.contextmanager
def build_lock(root: Path, cache_folder: Path, *, record: bool = True, wait: float = 0.0,
               notify: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the build lock of the digest at ``root``; the holder's pid is written to
    ``cache_folder/build.lock`` (when ``record``; a build without cache creates nothing).

    The lock itself is ``flock`` on the digest folder, which every build can open, with or
    without a cache folder. When another process holds it: with ``wait`` > 0, ``notify`` is
    told once and the lock is retried for up to ``wait`` seconds; then (or at once with
    ``wait`` = 0) a BG-LK001 error names the other build's pid.
    """
    pid_file = cache_folder / LOCK_NAME
    try:
        fd = os.open(root, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield  # no digest folder to lock: the build reports that itself
        return
    try:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
            owner = _holder(pid_file)
            if time.monotonic() >= deadline:
                who = f" (pid {owner})" if owner else ""
                raise BriefgenError([diag(str(pid_file), 0, 0, "BG-LK001",
                                          f"another build is running{who}",
                                          "wait for it to finish, or stop it, and try again")])
            if not told and notify is not None:
                notify(f"waiting for another build to finish (pid {owner or '?'})…")
                told = True
            time.sleep(0.1)
        if record:
            with contextlib.suppress(OSError):
                cache_folder.mkdir(parents=True, exist_ok=True)
                write_atomic(pid_file, f"{os.getpid()}\n", durable=False)
        try:
            yield
        finally:
            if record:
                with contextlib.suppress(OSError):
                    pid_file.unlink()
    finally:
        os.close(fd)  # closing the descriptor releases the lock
