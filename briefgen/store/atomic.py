"""The one atomic file writer: briefs (ingest), the build cache and the build lock use it.

The site itself is written by the write stage into a staging folder that replaces ``site/``
in one rename, so its files need no temporary of their own.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat as st
from pathlib import Path


def write_atomic(path: Path, data: bytes | str, *, durable: bool = True) -> None:
    """Replace ``path`` in one step: the bytes go to a new temporary file in the same folder,
    which is then renamed over ``path``, so a reader (or a crash) never sees half a file.

    The file keeps the mode of the one it replaces; a new file gets the usual mode for new
    files (0o666 narrowed by the umask: 0644 under the common 022), not ``mkstemp``'s 0600.
    A symlink at ``path`` is replaced by the file, never written through. ``durable`` syncs
    the data to disk before the rename (a brief a person wrote); caches skip it.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        info = os.lstat(path)
        keep: int | None = st.S_IMODE(info.st_mode) if st.S_ISREG(info.st_mode) else None
    except OSError:
        keep = None
    while True:  # a random name: two writers (or a planted file) never share a temporary
        temp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as handle:
            if keep is not None:
                os.fchmod(handle.fileno(), keep)
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def adopt(pending: Path, final: Path) -> None:
    """Make the file ``pending`` the file ``final`` in one step: a file written ahead of a
    build's success becomes current only once it succeeded. Nothing happens when it is gone
    or the folder cannot be changed: the file only saves later work (the ranking state is
    checked against each brief when it is read), so losing it must not fail the build."""
    with contextlib.suppress(OSError):
        os.replace(pending, final)
