"""Safe reads of a digest's files: inside the digest, regular files only, bounded in size.

A cloned digest is untrusted input. Its files may be symlinks pointing anywhere on the
machine, FIFOs that block a reader forever, devices, or huge files. Every file the build
reads goes through ``read_inside`` (or ``read_regular`` when the containment check was made
already): the path is resolved and must lie under one of the allowed folders, the file is
opened without following a final symlink and without blocking (``O_NOFOLLOW | O_NONBLOCK``),
and ``fstat`` on the open descriptor must say "regular file" before a byte is read, so a file
swapped between the check and the read is caught too.

``stamp`` is the change-detection key: size, mtime, ctime and inode together, as git's index
does, so an edit restored to the old size and modification time (``cp -p``, ``rsync -a``,
``tar``, ``os.utime``) still shows as a change (the ctime and usually the inode move).
"""

from __future__ import annotations

import errno
import os
import stat as st
from collections.abc import Iterable
from pathlib import Path

Stamp = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
MISSING: Stamp = (-1, -1, -1, -1)
MAX_BRIEF_BYTES = 5 * 1024 * 1024  # a brief is a short text: load, serve and ingest refuse more
MAX_ASSET = 64 * 1024 * 1024  # a theme asset (font, image) larger than this is refused


class UnsafeFile(OSError):
    """A file that is refused: outside the digest, not a regular file, or too large."""

    def __init__(self, path: str | os.PathLike[str], reason: str, hint: str) -> None:
        super().__init__(errno.EPERM, reason, os.fspath(path))
        self.reason = reason
        self.hint = hint

    def __str__(self) -> str:
        return self.reason


def stamp_of(info: os.stat_result) -> Stamp:
    """The change-detection key of a stat result."""
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def stamp(path: str | os.PathLike[str]) -> Stamp:
    """The change-detection key of ``path`` (following links), or ``MISSING``."""
    try:
        return stamp_of(os.stat(path))
    except OSError:
        return MISSING


def inside(path: str | os.PathLike[str], roots: Iterable[str | os.PathLike[str]]) -> bool:
    """True when ``path``, with every link resolved, lies under one of ``roots`` (resolved)."""
    try:
        real = Path(path).resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    for root in roots:
        try:
            top = Path(root).resolve()
        except (OSError, RuntimeError):
            continue
        if real == top or real.is_relative_to(top):
            return True
    return False


def kind_name(mode: int) -> str:
    """A reader's word for a non-regular file kind."""
    if st.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if st.S_ISSOCK(mode):
        return "a socket"
    if st.S_ISCHR(mode) or st.S_ISBLK(mode):
        return "a device"
    if st.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def read_regular(path: str | os.PathLike[str], limit: int,
                 *, follow: bool = True) -> tuple[bytes, Stamp]:
    """The bytes of a regular file of at most ``limit`` bytes, and its stamp when opened.

    Raises ``UnsafeFile`` for a FIFO, socket, device or folder (never blocks on one) and for
    a file over ``limit``; ``OSError`` when it cannot be read. With ``follow=False`` a
    symlink as the last path part is refused (``O_NOFOLLOW``).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise UnsafeFile(path, "the file is a symlink", "copy the file here instead of "
                             "linking it") from exc
        if exc.errno == errno.ENXIO:  # a FIFO with no writer, opened write-only; or a socket
            raise UnsafeFile(path, "not a regular file (a FIFO or socket)",
                             "replace it with a plain text file") from exc
        raise
    try:
        info = os.fstat(fd)
        if not st.S_ISREG(info.st_mode):
            raise UnsafeFile(path, f"not a regular file: it is {kind_name(info.st_mode)}",
                             "replace it with a plain text file")
        if info.st_size > limit:
            raise UnsafeFile(path, f"file is too large ({info.st_size // 1024} KiB; the limit "
                             f"is {_size(limit)})", "split it or remove it")
        # The file is regular, so reads do not block; clear O_NONBLOCK anyway for clarity.
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew since fstat
                raise UnsafeFile(path, f"file is too large (over {_size(limit)})",
                                 "split it or remove it")
        return b"".join(chunks), stamp_of(info)
    finally:
        os.close(fd)


def read_inside(path: str | os.PathLike[str], roots: Iterable[str | os.PathLike[str]],
                limit: int) -> tuple[bytes, Stamp]:
    """``read_regular`` after checking that the resolved ``path`` lies under ``roots``."""
    if not inside(path, roots):
        if not os.path.lexists(path):
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), os.fspath(path))
        raise UnsafeFile(path, "the file is a link to a place outside the digest",
                         "copy the file into the digest instead of linking to it")
    return read_regular(path, limit)


def files_under(folder: str, suffix: str = "") -> list[tuple[str, bool]]:
    """(path, is a symlink) for every non-folder entry under ``folder`` whose name ends with
    ``suffix``, sorted by path. Symlinked folders are not entered.

    ``os.scandir`` directly: ``Path.rglob`` and a ``resolve`` per file cost a quarter of a
    second at 10,000 briefs, and this runs on every build (and every no-change check)."""
    out: list[tuple[str, bool]] = []
    stack = [folder]
    while stack:
        here = stack.pop()
        try:
            entries = list(os.scandir(here))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif entry.name.endswith(suffix):
                out.append((entry.path, entry.is_symlink()))
    return sorted(out)


def regular_files(folder: Path, roots: Iterable[str | os.PathLike[str]], *,
                  hidden: bool = True) -> list[Path]:
    """Every regular file under ``folder`` whose resolved path lies under ``roots``, sorted.

    Files with hidden names are skipped unless ``hidden``; symlinked folders are not
    entered; a symlinked file is kept only when it resolves inside ``roots``.
    """
    tops = [Path(r).resolve() for r in roots]
    out: list[Path] = []
    for name, is_link in files_under(str(folder)):
        path = Path(name)
        if not hidden and path.name.startswith("."):
            continue
        if is_link:
            try:
                real = path.resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if not any(real.is_relative_to(t) for t in tops) or not real.is_file():
                continue
        else:
            try:
                if not st.S_ISREG(path.lstat().st_mode):
                    continue  # FIFOs, sockets, devices
            except OSError:
                continue  # gone while walking

        out.append(path)
    return out


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"

