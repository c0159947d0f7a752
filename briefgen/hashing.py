"""Content hashes and memos: the leaf every stage may use to key work by its inputs.

Only the standard library is imported here, so any stage (and the store that saves the
memos) can depend on this module without depending on one another.
"""

from __future__ import annotations

import hashlib
import json
import marshal
from dataclasses import dataclass, field
from typing import Any


def digest(*parts: str | bytes) -> str:
    """A short stable hash of several strings or byte strings."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


def json_digest(value: Any) -> str:
    """Hash of plain data through its canonical JSON form."""
    return digest(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


def data_digest(value: Any) -> str:
    """Hash of plain data (dicts, lists, strings, numbers) built in a deterministic order.

    ``marshal`` format 2 is several times faster than JSON and, unlike later formats and
    pickle, never writes back-references, so equal data always gives equal bytes. Key order
    counts, which suits view data (always built in the same order); anything marshal cannot
    write falls back to ``json_digest``.
    """
    try:
        return digest(marshal.dumps(value, 2))
    except ValueError:
        return json_digest(value)


SHARDS = "0123456789abcdef"  # a memo is saved as one file per first hex digit of its keys


def shard(key: str) -> str:
    """The shard a memo key is saved in: its first hex digit, or ``_``."""
    return key[:1] if key[:1] in SHARDS else "_"


@dataclass(slots=True)
class Memo:
    """One kind of cached result; records which keys the current build used."""

    entries: dict[str, Any] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    hits: int = 0
    misses: int = 0
    changed: set[str] = field(default_factory=set)  # shards that differ from the saved ones

    def get(self, key: str) -> Any:
        """The cached value or None; marks the key as still in use."""
        value = self.entries.get(key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
            self.used.add(key)
        return value

    def put(self, key: str, value: Any) -> None:
        """Store a value for this build (and the next)."""
        self.entries[key] = value
        self.used.add(key)
        self.changed.add(shard(key))

    def compact(self) -> None:
        """Forget entries the last build did not use, so the cache never grows unbounded."""
        self.changed.update(shard(k) for k in self.entries if k not in self.used)
        self.entries = {k: v for k, v in self.entries.items() if k in self.used}
