"""The ranking state kept between builds: checked arrays in ``store.blobs``, no pickle.

A cloned digest's ``.briefgen/`` is untrusted: every array's dtype, shape and index bounds
and every list's length are checked on reading, and a state that does not hold together
is refused (the ranking then starts cold).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from briefgen.pipeline.related.rank import STATE_FORMAT, RankState

_ARRAYS = {  # the state's arrays: dtype and number of dimensions
    "centibels": ("<i8", 1), "ent_df": ("<i8", 1), "tag_df": ("<i8", 1), "indptr": ("<i8", 1),
    "indices": ("<i4", 1), "data": ("<f4", 1), "spell": ("<i4", 1), "cand": ("<i4", 2),
    "base": ("<f4", 2), "near": ("<f4", 2),
    "top": ("<i4", 2), "score": ("<f8", 2), "why_count": ("<i4", 2)}


_TEXTS = ("params", "ids", "prints", "vocab", "words", "ent_keys", "ent_names", "tag_keys",
          "why")


def save_state(state: RankState, path: Path) -> None:
    """Write a ranking state (see `briefgen.store.blobs`; no pickle)."""
    from briefgen.store.blobs import write_blobs

    write_blobs(path, STATE_FORMAT, {name: getattr(state, name) for name in _ARRAYS},
                {name: [state.params] if name == "params" else getattr(state, name)
                 for name in _TEXTS})


def load_state(path: Path) -> RankState | None:
    """A state written by `save_state`, or None when the file is missing, damaged or does not
    hold together (every index is checked against the sizes it points into)."""
    from briefgen.store.blobs import read_blobs

    blobs = read_blobs(path, STATE_FORMAT, _ARRAYS, _TEXTS)
    if blobs is None:
        return None
    a, t = blobs.arrays, blobs.texts
    if len(t["params"]) != 1:
        return None
    state = RankState(
        params=t["params"][0], ids=t["ids"], prints=t["prints"], vocab=t["vocab"],
        words=t["words"], centibels=a["centibels"], ent_keys=t["ent_keys"], ent_df=a["ent_df"],
        ent_names=t["ent_names"], tag_keys=t["tag_keys"], tag_df=a["tag_df"],
        indptr=a["indptr"], indices=a["indices"], data=a["data"], spell=a["spell"],
        cand=a["cand"], base=a["base"], near=a["near"],
        top=a["top"], score=a["score"], why_count=a["why_count"], why=t["why"])
    return state if _consistent(state) else None


def _consistent(s: RankState) -> bool:
    """Whether every size and index in a loaded state fits (a planted file may lie)."""
    n = len(s.ids)
    if n < 2 or len(s.prints) != n:
        return False
    if not all(_rising(x) for x in (s.ids, s.vocab, s.ent_keys, s.tag_keys)):
        return False
    if len(s.centibels) != len(s.words) or len(s.ent_df) != len(s.ent_keys) or \
            len(s.ent_names) != len(s.ent_keys) or len(s.tag_df) != len(s.tag_keys):
        return False
    if (s.ent_df < 1).any() or (s.tag_df < 1).any() or (s.centibels < 0).any():
        return False
    width = len(s.vocab) + len(s.ent_keys) + len(s.tag_keys)
    ptr = s.indptr
    nnz = len(s.indices)
    if len(ptr) != n + 1 or ptr[0] != 0 or ptr[-1] != nnz or (np.diff(ptr) < 0).any():
        return False
    if len(s.data) != nnz or len(s.spell) != nnz or not np.isfinite(s.data).all():
        return False
    if nnz and (s.indices.min() < 0 or s.indices.max() >= max(width, 1)
                or s.spell.min() < -1 or s.spell.max() >= len(s.words)):
        return False
    rising = np.diff(s.indices.astype(np.int64)) > 0
    starts = np.zeros(max(nnz - 1, 0), dtype=bool)
    inner = ptr[1:-1][(ptr[1:-1] > 0) & (ptr[1:-1] < nnz)] - 1
    starts[inner] = True
    if not (rising | starts).all():  # each row's columns strictly increasing
        return False
    m = s.cand.shape[1] if s.cand.ndim == 2 else 0
    k = s.top.shape[1] if s.top.ndim == 2 else 0
    if m < 1 or k < 1 or m > n - 1:
        return False
    for arr, cols in ((s.cand, m), (s.base, m), (s.near, m),
                      (s.top, k), (s.score, k), (s.why_count, k)):
        if arr.shape != (n, cols):
            return False
    if s.cand.min() < 0 or s.cand.max() >= n:
        return False
    if s.top.min() < -1 or s.top.max() >= n or s.why_count.min() < 0:
        return False
    if not all(np.isfinite(x).all() for x in (s.base, s.near, s.score)):
        return False
    return int(s.why_count[s.top >= 0].sum()) == len(s.why) and not s.why_count[s.top < 0].any()


def _rising(values: Sequence[str]) -> bool:
    """Strictly increasing (sorted, no repeats)."""
    return all(map(operator.lt, values, itertools.islice(values, 1, None)))

