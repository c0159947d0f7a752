"""What a build's inputs were: the manifest behind the no-change check, and the cache's
file format. Kept apart from ``cache.py`` so ``briefgen build`` can tell that nothing changed
from file stats and one small JSON file, before the pipeline (or the cache's codec and
dataclasses) is imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from briefgen import __version__
from briefgen.config import CONFIG_NAME, Config
from briefgen.source.files import files_under, read_regular

FORMAT = f"briefgen-cache-7-{__version__}-py{sys.version_info[0]}.{sys.version_info[1]}"
_MAX_FILE = 1 << 30  # a cache file larger than this is not ours


def read_json(path: Path) -> dict[str, Any] | None:
    """A cache file's contents, or None if it is missing, unreadable, malformed or of
    another format. Only regular files are read (a FIFO or a link out is ignored)."""
    try:
        data, _ = read_regular(path, _MAX_FILE, follow=False)
        value = json.loads(data)
    except (OSError, ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        return None
    return value


def folder_id(path: Path) -> tuple[int, int]:
    """A folder's (inode, modification time): it changes when the folder is replaced."""
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_ino, stat.st_mtime_ns)


def read_manifest(folder: Path) -> tuple[str, int]:
    """The manifest and brief count of the last successful build, or ("", 0)."""
    data = read_json(folder / "manifest.json")
    if data is None or not isinstance(data.get("manifest"), str) \
            or type(data.get("brief_count")) is not int:
        return "", 0
    return data["manifest"], data["brief_count"]


def input_manifest(files: list[str], extra: str = "") -> str:
    """A hash of every input file's path and stamp (size, mtime, ctime, inode; no reads)."""
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(FORMAT.encode())
    hasher.update(extra.encode("utf-8", "surrogatepass"))
    for path in files:
        hasher.update(_stat_line(path))
    return hasher.hexdigest()


def _stat_line(path: str) -> bytes:
    try:
        stat = os.stat(path)
    except OSError:
        return f"{path}\0missing\n".encode("utf-8", "surrogatepass")
    return (f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ctime_ns}\0{stat.st_ino}\n"
            .encode("utf-8", "surrogatepass"))


def site_manifest(config: Config, theme_dirs: Sequence[Path]) -> str:
    """A hash of every input of a build: settings, briefs, entities file and the files in
    ``theme_dirs`` (the theme's folders, which the caller finds: the store knows no stage)."""
    files = [str(config.root / CONFIG_NAME), str(config.path(config.entities_file))]
    files += [path for path, _ in files_under(str(config.path(config.briefs_dir)), ".md")]
    for folder in theme_dirs:
        files += [path for path, _ in files_under(str(folder))]
    return input_manifest(files, repr((config, os.environ.get("SOURCE_DATE_EPOCH"))))


def unchanged_brief_count(config: Config, current: str) -> int | None:
    """The brief count when nothing changed since the last build and ``site/`` is there.

    ``current`` is this build's ``site_manifest``. Cheap on purpose (file stats and a small
    JSON file): ``briefgen build`` runs it before importing the rest of the pipeline, so a
    no-change build returns in a blink.
    """
    manifest, count = read_manifest(config.path(config.cache_dir))
    if not manifest or not (config.path(config.output_dir) / "index.html").is_file():
        return None
    return count if manifest == current else None
