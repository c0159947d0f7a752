"""Ranking candidates: each brief's best direct matches among the others.

Up to ``EXACT_UP_TO`` briefs every pair is compared (a blocked sparse product, symmetric
halves shared); above it candidates come from pruned postings, so the cost grows linearly.
Ties at the cut are settled by index through exact int64 (score, index) keys, so one row
computed alone equals the same row of the whole product.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from briefgen.pipeline.related.features import F32, I32, I64, keep_strongest

_BLOCK_ROWS = 512  # rows per similarity block; three blocks (512 x N float32, twice) in flight


CANDIDATES = 50  # best direct matches per brief that the final score re-ranks


# Above this many briefs the all-pairs product (quadratic) gives way to pruned postings
# (linear). Below it the product is exact and no slower. Whole rankings measured with
# `benchmarks/bench_related.py 10000 20000 40000 --both`: 10,000 briefs 5.3 s against 6.0 s
# pruned; 20,000 14.0 s against 14.2 s; 40,000 41-44 s against 26-27 s, the top five
# agreeing for 97.8% of links there (and every link on topic either way).
EXACT_UP_TO = 20_000


_QUERY_TERMS = 48  # a brief looks for candidates through its strongest features only ...


_POSTINGS = 256  # ... and each feature lists only the briefs where it weighs most


_RESCORED = 64  # best pruned matches per brief whose exact similarity is then computed


PAIR_BLOCK = 1 << 16  # pairs scored at a time (bounds the gathered rows' memory)


_QUERY_BLOCK = 1024  # briefs whose partial matches are gathered at a time


def pair_keys(values: F32, index: npt.NDArray[np.integer]) -> I64:
    """One int64 per (score, index), larger for a higher score and, on a tie, a lower index:
    all keys differ, so "the m best" is one set whatever the order of computation."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.int32).astype(np.int64)
    ordered = np.where(bits >= 0, bits, -(bits & 0x7FFFFFFF))
    keys: I64 = ordered * (1 << 32) + ((1 << 32) - 1 - index.astype(np.int64))
    return keys


NO_KEY = -(1 << 62) - (1 << 32)  # below every real key; safe to negate


def all_candidates(features: sp.csr_matrix, m: int) -> tuple[I32, F32]:
    """Each row's m best other rows by direct similarity, sorted by score then index."""
    n = features.shape[0]
    keys = np.full((n, m), NO_KEY, dtype=np.int64)
    blocks = [(lo, min(lo + _BLOCK_ROWS, n)) for lo in range(0, n, _BLOCK_ROWS)]
    # The product is symmetric: each row block meets only itself and later rows and hands
    # the later rows their share, which halves the work. Two helper threads compute the next
    # blocks' products (scipy and numpy release the GIL) while this one ranks the current.
    with ThreadPoolExecutor(max_workers=2) as pool:
        ahead = [pool.submit(_strip, features, lo, hi) for lo, hi in blocks[:2]]
        for num, (lo, hi) in enumerate(blocks):
            strip, sims = ahead.pop(0).result()
            if num + 2 < len(blocks):
                ahead.append(pool.submit(_strip, features, *blocks[num + 2]))
            keys[lo:hi] = _merge(keys[lo:hi], _top_keys(sims, lo, m), m)
            if hi < n:  # later rows against this block
                keys[hi:] = _merge(keys[hi:], _top_keys(strip[hi - lo:], lo, min(m, hi - lo)), m)
    return unkey(-np.sort(-keys, axis=1))


def row_candidates(features: sp.csr_matrix, rows: I64, m: int) -> tuple[I32, F32]:
    """`all_candidates` for some rows only: each against every row (one sparse product)."""
    sims = np.ascontiguousarray((features @ features[rows].T.tocsr()).toarray().T)
    sims[np.arange(len(rows)), rows] = -1.0  # never the brief itself
    keys = _top_keys(sims, 0, m)
    return unkey(-np.sort(-keys, axis=1))


def _top_keys(vals: F32, first: int, m: int) -> I64:
    """The keys (see `pair_keys`) of each row's m best columns, columns numbered from ``first``.

    The m largest values are found on the floats (8 bytes a value less than keys); only
    rows where a value equal to the m-th was left out, a tie at the cut, are decided by
    their keys, so the lower index wins there as everywhere."""
    cols = vals.shape[1]
    if m >= cols:
        return pair_keys(vals, np.broadcast_to(np.arange(first, first + cols), vals.shape))
    pick = _best_columns(vals, m)
    picked = np.take_along_axis(vals, pick, axis=1)
    cut = picked.min(axis=1)
    ties = np.count_nonzero(vals == cut[:, None], axis=1) > np.count_nonzero(
        picked == cut[:, None], axis=1)
    keys = pair_keys(picked, pick + first)
    if ties.any():
        keys[ties] = _pick(pair_keys(vals[ties], np.broadcast_to(
            np.arange(first, first + cols), (int(ties.sum()), cols))), m)
    return keys


def _pick(keys: I64, m: int) -> I64:
    """Each row's m largest keys (unordered)."""
    return np.take_along_axis(keys, _best_columns(keys, m), axis=1)


def _merge(a: I64, b: I64, m: int) -> I64:
    """The m largest keys of two lists per row (unordered)."""
    return _pick(np.concatenate([a, b], axis=1), m)


def unkey(keys: I64) -> tuple[I32, F32]:
    """Index and score back from `pair_keys` (index -1 for an empty slot)."""
    ordered = keys >> 32
    index = ((1 << 32) - 1 - (keys & 0xFFFFFFFF)).astype(np.int64)
    bits = np.where(ordered >= 0, ordered, (-ordered) | 0x80000000).astype(np.uint32)
    vals: F32 = bits.view(np.float32).copy()
    empty = keys <= NO_KEY
    index[empty] = -1
    vals[empty] = -2.0
    return index.astype(np.int32), vals


def pruned_candidates(features: sp.csr_matrix, m: int) -> tuple[I32, F32]:
    """Like `all_candidates`, from pruned postings: linear in the number of briefs.

    Each brief's strongest `_QUERY_TERMS` features meet only the `_POSTINGS` briefs where
    each feature weighs most (impact-ordered index pruning); the best `_RESCORED` of those
    partial matches are then scored exactly. Short rows are padded with index -1.
    """
    n = features.shape[0]
    query = keep_strongest(features.copy(), _QUERY_TERMS)
    index = sp.csr_matrix(_strongest_holders(features, _POSTINGS).T)  # feature -> briefs
    width = max(m, _RESCORED)
    cand = np.full((n, width), -1, dtype=np.int32)
    for lo in range(0, n, _QUERY_BLOCK):
        hi = min(n, lo + _QUERY_BLOCK)
        part = sp.csr_matrix(query[lo:hi] @ index)
        part.data[part.indices == np.repeat(np.arange(lo, hi), np.diff(part.indptr))] = 0.0
        part.eliminate_zeros()  # never the brief itself
        cand[lo:hi] = _largest_per_row(part, width)
    best = _pair_scores(features, cand)
    order = np.lexsort((cand, -best), axis=1)[:, :m]  # score desc, then index (= id order)
    return np.take_along_axis(cand, order, axis=1), np.take_along_axis(best, order, axis=1)


def _strongest_holders(mat: sp.csr_matrix, limit: int) -> sp.csr_matrix:
    """Zero all but each column's `limit` largest entries (ties: lower row first)."""
    csc = sp.csc_matrix(mat)
    counts = np.diff(csc.indptr)
    if counts.max(initial=0) <= limit:
        return sp.csr_matrix(mat)
    rank = _rank_in_segments(csc.data, csc.indptr)
    csc.data[rank >= limit] = 0.0
    csc.eliminate_zeros()
    return sp.csr_matrix(csc)


def _rank_in_segments(values: F32, indptr: I32) -> I64:
    """Each value's rank (0 = largest) within its compressed row or column."""
    counts = np.diff(indptr)
    seg = np.repeat(np.arange(len(counts)), counts)
    # Values are at most 1 (unit vectors), so segment * 4 + (2 - value) sorts segment first,
    # then value descending; the stable sort keeps index order among equal values.
    order = np.argsort(seg * 4.0 + (2.0 - values.astype(np.float64)), kind="stable")
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values)) - np.repeat(indptr[:-1].astype(np.int64), counts)
    return rank


def _largest_per_row(mat: sp.csr_matrix, width: int) -> I32:
    """Column indices of each row's `width` largest entries (unordered), -1 where short."""
    mat.sort_indices()  # ties then go to the lower column
    counts = np.diff(mat.indptr)
    rows = np.repeat(np.arange(mat.shape[0]), counts)
    # Sorting every partial match is the slow part, so first drop those below a tenth of
    # their row's best. Where that leaves at least `width`, the kept ones are exactly the
    # best `width` (ties included); other rows keep all their entries.
    peak = np.zeros(mat.shape[0], dtype=mat.data.dtype)
    full = counts > 0
    peak[full] = np.maximum.reduceat(mat.data, mat.indptr[:-1][full])
    keep = mat.data >= 0.1 * peak[rows]
    short = np.bincount(rows[keep], minlength=mat.shape[0]) < width
    keep |= short[rows]
    kept = np.concatenate(([0], np.cumsum(np.bincount(rows[keep], minlength=mat.shape[0]))))
    data, cols, rows = mat.data[keep], mat.indices[keep], rows[keep]
    rank = _rank_in_segments(data, kept)
    take = rank < width
    out = np.full((mat.shape[0], width), -1, dtype=np.int32)
    out[rows[take], rank[take]] = cols[take]
    return out


def _pair_scores(features: sp.csr_matrix, cand: I32) -> F32:
    """Exact similarity of each row with each of its candidates (-2 for padding)."""
    n, width = cand.shape
    right = cand.ravel().astype(np.int64)
    left = np.repeat(np.arange(n, dtype=np.int64), width)
    real = right >= 0
    # Two briefs are often each other's candidates: score each unordered pair once.
    pairs, where = np.unique(np.minimum(left, right)[real] * n + np.maximum(left, right)[real],
                             return_inverse=True)
    low, high = np.divmod(pairs, n)
    scores = np.empty(len(pairs), dtype=np.float32)
    features.sum_duplicates()  # sorted, unique columns, so scipy can merge the rows
    for lo in range(0, len(pairs), PAIR_BLOCK):
        hi = lo + PAIR_BLOCK
        both = features[low[lo:hi]].multiply(features[high[lo:hi]])
        scores[lo:hi] = np.asarray(both.sum(axis=1), dtype=np.float32).ravel()
    out = np.full(n * width, -2.0, dtype=np.float32)
    out[real] = scores[where.ravel()]
    return out.reshape(n, width)


def _strip(features: sp.csr_matrix, lo: int, hi: int) -> tuple[F32, F32]:
    """Dense similarities of rows lo.. with rows lo..hi, both ways round (diagonal -1)."""
    # Transposing only the block, not all later rows, keeps the set-up cost linear.
    sims: F32 = (features[lo:] @ features[lo:hi].T.tocsr()).toarray()
    sims[np.arange(hi - lo), np.arange(hi - lo)] = -1.0  # never the brief itself
    return sims, np.ascontiguousarray(sims.T)


def _best_columns(keys: npt.NDArray[Any], m: int) -> I64:
    """Column indices of each row's m largest values (unordered; ties at the cut: any)."""
    keys = np.ascontiguousarray(keys)  # flat indices below assume row-major order
    rows, cols = keys.shape
    if m >= cols:
        return np.broadcast_to(np.arange(cols), keys.shape).copy()
    if cols < 16 * m:
        return np.argpartition(-keys, m - 1, axis=1)[:, :m]
    # A full partition of every row dominates the run time, so guess each row's cut from
    # every step-th column, set low enough that about 2m values pass, and partition only
    # those; rows where fewer than m pass (rare) get the full partition.
    step = cols // (8 * m)
    sample = np.ascontiguousarray(keys[:, ::step])
    rank = 2 * (m // step) + 1
    cut = -np.partition(-sample, rank, axis=1)[:, rank]
    passed = keys > cut[:, None]
    count = np.count_nonzero(passed, axis=1)
    out = np.empty((rows, m), dtype=np.int64)
    short = count < m
    if short.any():
        out[short] = np.argpartition(-keys[short], m - 1, axis=1)[:, :m]
    passed[short] = False
    flat = np.flatnonzero(passed)
    r, c = np.divmod(flat, cols)
    # Row-major order already groups rows; sort each row's survivors, best first.
    order = np.lexsort((-keys.reshape(-1)[flat], r))
    c = c[order]
    first = np.concatenate(([0], np.cumsum(count[~short])))[:-1]
    keep = np.arange(len(c)) - np.repeat(first, count[~short]) < m
    out[~short] = c[keep].reshape(-1, m)
    return out

