"""Write stage: put output files into a staging folder, then swap it with ``site/`` at once.

A failed or killed build leaves the previous ``site/`` as it was: nothing is written into
``site/`` itself, and the final swap is one atomic ``renameat2(RENAME_EXCHANGE)`` on Linux
(two renames elsewhere, with recovery of an interrupted swap on the next build).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import posixpath
import shutil
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from briefgen.errors import BriefgenError, Diagnostic, diag
from briefgen.hashing import digest
from briefgen.model import OutputFile
from briefgen.pipeline.parallel import fork_map
from briefgen.store.lock import pid_alive

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def check_paths(outputs: Sequence[OutputFile]) -> list[Diagnostic]:
    """Errors for output paths that are unsafe or that two inputs both want to write."""
    problems: list[Diagnostic] = []
    owners: dict[str, OutputFile] = {}
    for item in outputs:
        pure = PurePosixPath(item.path)
        if pure.is_absolute() or ".." in pure.parts or not item.path or "\\" in item.path:
            problems.append(diag(item.source or item.path, 0, 0, "BG-WR002",
                                 f"refusing to write outside the output folder: {item.path!r}",
                                 "use a plain slug"))
            continue
        key = item.path.casefold()  # case-insensitive disks (macOS, Windows) would merge these
        other = owners.setdefault(key, item)
        if other is not item:
            problems.append(diag(item.source or item.path, 0, 0, "BG-WR001",
                                 f"{item.path} is written by both {other.source or '?'} and "
                                 f"{item.source or '?'}",
                                 "give one of them a different slug"))
    return problems


@contextlib.contextmanager
def staging(out_dir: Path, removals: list[threading.Thread] | None = None) -> Iterator[Path]:
    """A fresh staging folder beside ``out_dir``, swapped into place when the block ends.

    If the block raises, the staging folder is removed and ``out_dir`` is left as it was;
    an ``OSError`` (disk full, read-only) becomes a BG-WR003 error. With ``removals``, the
    replaced site is deleted by a thread added to that list (the caller joins it), so the
    build can save its cache meanwhile; a removal cut short is finished by the next build.
    """
    out_dir = out_dir.absolute()
    try:
        recover(out_dir)
        parent = out_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        stage = parent / f".{out_dir.name}.staging-{os.getpid()}"
        if stage.exists():
            shutil.rmtree(stage)
        stage.mkdir()
    except OSError as exc:
        raise _write_error(out_dir, exc) from exc
    try:
        yield stage
        _fsync_dir(stage)
        old = swap_into_place(stage, out_dir)
    except BaseException as exc:
        shutil.rmtree(stage, ignore_errors=True)
        if not isinstance(exc, OSError):
            raise
        raise _write_error(out_dir, exc) from exc
    if old is not None:
        if removals is None:
            shutil.rmtree(old, ignore_errors=True)
        else:
            removals.append(threading.Thread(target=shutil.rmtree, args=(old,),
                                             kwargs={"ignore_errors": True}))
            removals[-1].start()


def _write_error(out_dir: Path, exc: OSError) -> BriefgenError:
    return BriefgenError([diag(str(out_dir), 0, 0, "BG-WR003",
                               f"cannot write the site: {exc.strerror or exc}",
                               "check free disk space and that the folder is writable; "
                               "the previous site was left as it was")])


def make_folders(stage: Path, paths: Iterable[str]) -> None:
    """Create every parent folder the output ``paths`` need inside ``stage``."""
    for folder in sorted({posixpath.dirname(p) for p in paths} - {""}):
        (stage / folder).mkdir(parents=True, exist_ok=True)


def put_file(stage: Path, path: str, data: bytes, *, reuse: Path | None = None) -> None:
    """Write ``data`` to ``stage/path``; its folder must exist (see ``make_folders``).

    ``reuse`` names an earlier build's copy of the same bytes: it is hard-linked instead
    (falling back to writing), which spares the disk and the time of a rewrite.
    """
    target = stage / path
    if reuse is not None and link_file(reuse, target):
        return
    target.write_bytes(data)


def link_file(old: str | Path, target: str | Path) -> bool:
    """Hard-link ``old`` as ``target``; False where the disk cannot (then write instead)."""
    try:
        os.link(old, target)
    except OSError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class StagedFolder:
    """A staging folder as the place a build's files go, file by file.

    ``previous`` is the last build's site and ``known`` its record (output path -> (hash of
    the inputs, size)): a file whose inputs hash the same is hard-linked from there instead
    of made again. Its methods are safe to call from forked workers (each file is its own).
    The render stage hands pages to ``keep`` and ``put`` without knowing about folders.
    """

    stage: Path
    previous: Path | None = None
    known: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    def prepare(self, paths: Iterable[str]) -> None:
        """Create the folders the files at ``paths`` need (before workers are forked)."""
        make_folders(self.stage, paths)

    def keep(self, path: str, key: str, size: int | None = None) -> int | None:
        """Link the last build's file at ``path`` if it was made from inputs hashing to
        ``key`` (and is ``size`` bytes, when given); its size, or None when it must be made
        again."""
        old_key, old_size = self.known.get(path, ("", -1))
        if old_key != key or (size is not None and size != old_size):
            return None
        if self.previous is None:
            return None
        # Plain strings, not Path objects: this runs once per page of the site.
        old = os.path.join(self.previous, path)
        try:
            if os.lstat(old).st_size != old_size:
                return None
        except OSError:
            return None
        return old_size if link_file(old, os.path.join(self.stage, path)) else None

    def put(self, path: str, data: bytes) -> None:
        """Write ``data`` as the file at ``path``."""
        put_file(self.stage, path, data)


def write_files(stage: Path, outputs: Sequence[OutputFile], *, previous: Path | None = None,
                known: Mapping[str, tuple[str, int]] | None = None,
                workers: int = 1) -> dict[str, tuple[str, int]]:
    """Write ``outputs`` into ``stage``; return each file's (content hash, size).

    A file whose hash and size match ``known`` (the last build's record) is linked from the
    ``previous`` site instead of written again. With ``workers`` > 1, forked workers write
    (creating thousands of small files is slow on some disks; the data is shared, not copied).
    """
    folder = StagedFolder(stage, previous, known or {})
    folder.prepare(o.path for o in outputs)

    def one(item: OutputFile) -> tuple[str, int]:
        key = digest(item.data)
        if folder.keep(item.path, key, len(item.data)) is None:
            folder.put(item.path, item.data)
        return key, len(item.data)

    return dict(zip((o.path for o in outputs), fork_map(one, outputs, workers), strict=True))


def swap_into_place(stage: Path, out_dir: Path) -> Path | None:
    """Make ``stage`` the new ``out_dir``; return where the old one now is, to be removed."""
    if out_dir.is_dir() and not out_dir.is_symlink() and _exchange(stage, out_dir):
        return stage  # stage now holds the old site
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    if out_dir.exists() or out_dir.is_symlink():
        os.replace(out_dir, old)
    os.replace(stage, out_dir)
    return old if old.exists() else None


def recover(out_dir: Path) -> None:
    """Finish a swap that was interrupted between its two renames; drop stale staging folders.

    Each staging and old-site folder carries its build's pid in its name: one is removed
    only when that process is gone (a killed build's leftover), never while its build runs.
    """
    parent = out_dir.parent
    if not parent.is_dir():
        return
    olds = sorted(p for p in parent.glob(f".{out_dir.name}.old-*") if _owner_gone(p))
    if olds and not out_dir.exists():
        os.replace(olds[-1], out_dir)
        olds = olds[:-1]
    stale = [p for p in parent.glob(f".{out_dir.name}.staging-*") if _owner_gone(p)]
    for leftover in [*olds, *stale]:
        shutil.rmtree(leftover, ignore_errors=True)


def _owner_gone(folder: Path) -> bool:
    """True when the build named by the pid at the end of ``folder``'s name has exited."""
    tail = folder.name.rsplit("-", 1)[-1]
    if not tail.isdigit():
        return True  # not one of ours in the current form: a leftover
    pid = int(tail)
    return pid == os.getpid() or not pid_alive(pid)  # our own: from before this build


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories with renameat2 (Linux); False when unsupported."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    libc = ctypes.CDLL(name, use_errno=True)
    func = getattr(libc, "renameat2", None)
    if func is None:
        return False
    result = func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.EXDEV, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
