"""A content-addressed build cache, kept on disk in ``.briefgen/`` between builds.

Each memo maps a hash of everything an intermediate result depends on to that result:
parsed briefs (by file bytes), rendered bodies (by body and link tables) and related briefs
(by everything the ranking reads). Rendered pages are not stored: ``outputs`` records, per
output file, a hash of its inputs (template fingerprints and view data) and its size, and a
file whose inputs are unchanged is hard-linked from the previous ``site/``. The in-memory
``pages`` memo serves the dev server, which never writes ``site/``. A warm build runs the
same code as a cold one and only skips work whose inputs are unchanged, so both produce
identical output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.hashing import SHARDS as _SHARDS
from briefgen.hashing import Memo
from briefgen.hashing import shard as _shard
from briefgen.store import codec
from briefgen.store.atomic import write_atomic
from briefgen.store.manifest import FORMAT as _FORMAT
from briefgen.store.manifest import folder_id
from briefgen.store.manifest import read_json as _read


@dataclass(slots=True)
class BuildCache:
    """All memos of one site, loadable from and savable to ``.briefgen/``."""

    folder: Path | None = None
    briefs: Memo = field(default_factory=Memo)
    bodies: Memo = field(default_factory=Memo)
    pages: Memo = field(default_factory=Memo)
    related: Memo = field(default_factory=Memo)
    manifest: str = ""
    brief_count: int = 0
    # The files of the site this cache last wrote, as path -> (input hash, size), and that
    # site folder's identity (inode, mtime): a file is reused only from that very folder.
    outputs: dict[str, tuple[str, int]] = field(default_factory=dict)
    site_id: tuple[int, int] = (0, 0)
    # Each brief file's stamp (size, mtime, ctime, inode) and parse key when last read
    # (see load.load_briefs).
    file_stats: dict[str, tuple[int, int, int, int, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> BuildCache:
        """Read the cache; a missing, stale, unreadable or malformed file gives an empty part.

        The cache is JSON, never pickle: a digest cloned from someone else may carry a
        ``.briefgen/`` folder, and loading it must not run code. Every value is checked
        against the type it must have (``codec``); an entry that fails is dropped and rebuilt.
        Memos are kept in shards (``briefs-3.json``: the entries whose key starts with 3),
        so a build that changed a few entries rewrites a few files, not all of them. Every
        entry is content-addressed, so shards of different builds may be mixed safely.
        """
        cache = cls(folder=folder)
        state = _read(folder / "state.json")
        if state is None or not _state_ok(state):
            for name in _MEMOS:  # nothing usable on disk: the next save writes every shard
                getattr(cache, name).changed.update(_SHARDS + "_")
            return cache
        for name in _MEMOS:
            memo: Memo = getattr(cache, name)
            check = _ENTRY_CODECS[name]
            for shard in _SHARDS + "_":
                part = _read(folder / f"{name}-{shard}.json")
                entries = part.get("entries") if part is not None else None
                if not isinstance(entries, dict):
                    memo.changed.add(shard)  # rewritten at the next save
                    continue
                for key, raw in entries.items():
                    value = check(raw)
                    if value is _BAD or _shard(key) != shard:
                        memo.changed.add(shard)  # dropped: rebuilt and rewritten
                    else:
                        memo.entries[key] = value
        cache.manifest = state["manifest"]
        cache.brief_count = state["brief_count"]
        cache.outputs = {k: (v[0], v[1]) for k, v in state["outputs"].items()}
        cache.site_id = (state["site_id"][0], state["site_id"][1])
        cache.file_stats = {k: (v[0], v[1], v[2], v[3], v[4])
                            for k, v in state["file_stats"].items()}
        return cache

    def previous_site(self, out_dir: Path) -> Path | None:
        """``out_dir`` if it is still the folder this cache's ``outputs`` describe."""
        return out_dir if self.outputs and folder_id(out_dir) == self.site_id else None

    def save(self, manifest: str) -> None:
        """Write the cache, keeping only what this build used; each file atomically.

        Rendered pages are not kept here (they are in ``site/``; ``outputs`` records them).
        Only the memo shards that changed are written again.
        """
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in (*self.folder.glob("*.pickle"), *self.folder.glob("*.pickle.*.tmp")):
            old.unlink(missing_ok=True)  # earlier formats (never read: pickle can run code)
        for name in _MEMOS:
            memo: Memo = getattr(self, name)
            memo.compact()
            encode = _ENTRY_ENCODERS[name]
            for shard in sorted(memo.changed):
                _write(self.folder / f"{name}-{shard}.json", {
                    "format": _FORMAT,
                    "entries": {k: encode(v) for k, v in memo.entries.items()
                                if _shard(k) == shard}})
            memo.changed.clear()
        _write(self.folder / "state.json", {
            "format": _FORMAT, "manifest": manifest, "brief_count": self.brief_count,
            "outputs": self.outputs, "site_id": self.site_id, "file_stats": self.file_stats})
        # The manifest also sits in a small file of its own, so the no-change check
        # need not read the whole cache.
        _write(self.folder / "manifest.json", {
            "format": _FORMAT, "manifest": manifest, "brief_count": self.brief_count})
        self.manifest = manifest
        gitignore = self.folder / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("*\n", encoding="utf-8")


_MEMOS = ("briefs", "bodies", "related")  # the memos kept on disk (pages live in site/)
_BAD = codec.BAD
_ENTRY_CODECS = {"briefs": codec.decode_parsed, "bodies": codec.decode_body,
                 "related": codec.decode_ranked}
_ENTRY_ENCODERS = {"briefs": codec.encode, "bodies": codec.encode, "related": codec.encode}


def _state_ok(state: dict[str, Any]) -> bool:
    """True when ``state.json`` has every field with the right type."""
    def ints(value: Any, count: int) -> bool:
        return (isinstance(value, list) and len(value) == count
                and all(type(v) is int for v in value))

    outputs, stats = state.get("outputs"), state.get("file_stats")
    return (isinstance(state.get("manifest"), str) and type(state.get("brief_count")) is int
            and ints(state.get("site_id"), 2)
            and isinstance(outputs, dict)
            and all(isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)
                    and type(v[1]) is int for v in outputs.values())
            and isinstance(stats, dict)
            and all(isinstance(v, list) and len(v) == 5 and ints(v[:4], 4)
                    and isinstance(v[4], str) for v in stats.values()))


def _encode(data: Any) -> bytes:
    """A cache file's bytes: compact JSON."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass")


def _write(path: Path, data: Any) -> None:
    """Replace ``path`` in one step (see ``write_atomic``); the cache is rebuilt when lost,
    so it is not synced to disk."""
    write_atomic(path, _encode(data), durable=False)


