"""Named numpy arrays and string lists in one file, written atomically, read without trust.

A cloned digest's ``.briefgen/`` is hostile, so nothing here can run code (no pickle, no
``allow_pickle``): the file is a msgpack map {"format": str, "arrays": {name: [dtype,
shape, raw bytes]}, "texts": {name: [str, ...]}}. Reading checks every name, dtype, shape
and byte length against what the caller expects and gives ``None`` on any mismatch or
damage; the caller then checks the values' meaning (index bounds and the like).

Written by hand because numpy's own ``.npz`` reader goes through zipfile and ``.npy``
headers (a literal-eval'd dict), and holds one array per member: one msgpack map is simpler
to bound, and string lists (vocabularies, reasons) need no object arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import numpy.typing as npt

from briefgen.source.files import UnsafeFile, read_regular
from briefgen.store.atomic import write_atomic

MAX_BYTES = 1 << 30  # a state file larger than this is not ours
_DTYPES = frozenset({"<i4", "<i8", "<f4", "<f8", "|u1", "<u4", "<u8"})


@dataclass(frozen=True, slots=True)
class Blobs:
    """What a blob file held: read-only arrays and string lists by name."""

    arrays: Mapping[str, npt.NDArray[Any]]
    texts: Mapping[str, list[str]]


def write_blobs(path: Path, tag: str, arrays: Mapping[str, npt.NDArray[Any]],
                texts: Mapping[str, Sequence[str]]) -> None:
    """Write ``arrays`` and ``texts`` to ``path`` in one step (temporary file, then rename)."""
    packed: dict[str, list[Any]] = {}
    for name, array in arrays.items():
        arr = np.ascontiguousarray(array)
        dtype = arr.dtype.newbyteorder("<") if arr.dtype.byteorder == ">" else arr.dtype
        arr = arr.astype(dtype, copy=False)
        if arr.dtype.str not in _DTYPES:
            raise TypeError(f"write_blobs: {name} has unsupported dtype {arr.dtype}")
        packed[name] = [arr.dtype.str, list(arr.shape), arr.tobytes()]
    data = msgpack.packb({"format": tag, "arrays": packed,
                          "texts": {name: list(values) for name, values in texts.items()}},
                         use_bin_type=True)
    write_atomic(path, data, durable=False)


def read_blobs(path: Path, tag: str, arrays: Mapping[str, tuple[str, int]],
               texts: Sequence[str]) -> Blobs | None:
    """The blobs of ``path`` if it is a well-formed file of format ``tag`` holding exactly
    the named ``arrays`` (name -> (dtype string, number of dimensions)) and ``texts``;
    otherwise None. Never raises for a bad, planted or truncated file."""
    try:
        raw, _ = read_regular(path, MAX_BYTES, follow=False)
    except (OSError, UnsafeFile):
        return None
    try:
        value = msgpack.unpackb(raw, raw=False, strict_map_key=True, use_list=True,
                                max_bin_len=MAX_BYTES, max_str_len=MAX_BYTES,
                                max_array_len=MAX_BYTES // 8, max_map_len=1 << 10,
                                max_ext_len=0)
    except (ValueError, TypeError, msgpack.UnpackException, MemoryError, RecursionError,
            OverflowError):
        return None
    return _check(value, tag, arrays, texts)


def _check(value: Any, tag: str, specs: Mapping[str, tuple[str, int]],
           names: Sequence[str]) -> Blobs | None:
    if not isinstance(value, dict) or set(value) != {"format", "arrays", "texts"}:
        return None
    if value["format"] != tag:
        return None
    stored, strings = value["arrays"], value["texts"]
    if not isinstance(stored, dict) or set(stored) != set(specs):
        return None
    if not isinstance(strings, dict) or set(strings) != set(names):
        return None
    out: dict[str, npt.NDArray[Any]] = {}
    for name, (dtype, ndim) in specs.items():
        entry = stored[name]
        if not (isinstance(entry, list) and len(entry) == 3 and entry[0] == dtype
                and isinstance(entry[1], list) and len(entry[1]) == ndim
                and all(type(d) is int and 0 <= d < MAX_BYTES for d in entry[1])
                and isinstance(entry[2], bytes)):
            return None
        item = np.dtype(dtype)
        count = 1
        for d in entry[1]:
            count *= d
        if count * item.itemsize != len(entry[2]):
            return None
        out[name] = np.frombuffer(entry[2], dtype=item).reshape(entry[1])
    lists: dict[str, list[str]] = {}
    for name in names:
        values = strings[name]
        if not isinstance(values, list) or not set(map(type, values)) <= {str}:
            return None
        lists[name] = values
    return Blobs(arrays=out, texts=lists)
