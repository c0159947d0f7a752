"""Related-brief ranking: shared entities, tags, text and time, scored with sparse products."""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import importlib.util
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import msgpack
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackNoConvergence, eigsh

from briefgen.model import Related
from briefgen.nlp.lexicon import STOPWORDS
from briefgen.nlp.stem import stem as _stem

F32 = npt.NDArray[np.float32]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]
U64 = npt.NDArray[np.uint64]

# Bytes that end a word become a space; UTF-8 lead and continuation bytes stay word bytes.
_BYTE_CLASSES = bytes(c if chr(c).isalnum() or c >= 128 else 32 for c in range(256)).lower()
# Typographic quotes, dashes and spaces become plain spaces (read-only translation table).
_UNICODE_BREAKS = MappingProxyType(str.maketrans(dict.fromkeys(
    "\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00a0\u00ab\u00bb", " ")))
_MIX = tuple(np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB,
                                      0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD))  # odd mixers
_BYTE_MASKS = np.array([(1 << (8 * i)) - 1 for i in range(9)], dtype=np.uint64)
_BYTE_MASKS.setflags(write=False)
_CHUNK_BYTES = 1 << 21
_TABLE_BITS = 20  # 1M buckets: a few % of a 40,000-word vocabulary share one
_BLOCK_ROWS = 512  # rows per similarity block; three blocks (512 x N float32, twice) in flight
_MAX_TERMS = 160  # strongest terms kept per brief: drops noise and bounds the product's cost
_CANDIDATES = 50  # best direct matches per brief that the final score re-ranks
# Above this many briefs the all-pairs product (quadratic) gives way to pruned postings
# (linear). Below it the product is exact and no slower. Whole rankings measured with
# `benchmarks/bench_related.py 10000 20000 40000 --both`: 10,000 briefs 5.3 s against 6.0 s
# pruned; 20,000 14.0 s against 14.2 s; 40,000 41-44 s against 26-27 s, the top five
# agreeing for 97.8% of links there (and every link on topic either way).
EXACT_UP_TO = 20_000
_QUERY_TERMS = 48  # a brief looks for candidates through its strongest features only ...
_POSTINGS = 256  # ... and each feature lists only the briefs where it weighs most
_RESCORED = 64  # best pruned matches per brief whose exact similarity is then computed
_PAIR_BLOCK = 1 << 16  # pairs scored at a time (bounds the gathered rows' memory)
_QUERY_BLOCK = 1024  # briefs whose partial matches are gathered at a time
_GRAPH_MIN_DOCS = 60  # below this the neighbour graph is too small to say anything
_GRAPH_NEIGHBOURS = 20
_GRAPH_DIMS = 16
_EIGEN_STEPS = 5000  # Lanczos restarts; BBC dev and 10,000 synthetic briefs need far fewer
_EIGEN_TOL = 1e-4  # the embedding is raised to a power and rounded: more digits change nothing
_GRAPH_STEPS = 8  # diffusion time: eigenvalue**steps fades the fine-grained directions
# Background rarity ln(1 / frequency); words unknown to the table (names, typos, invented
# words) count as if seen at _UNSEEN. On BBC dev, ln(c / frequency) floored at 0 lost
# precision for every c below 1 tried (0.1, 0.01, 0.001); 1e-7 and 1e-9 here did no better.
_UNSEEN = 1e-8
_REFERENCE_LENGTH = 400.0  # a brief this long (weighted words kept) gets BM25's plain tf
_BM25_K1 = 1.2
_BM25_B = 0.3  # with a fixed reference length, a milder length penalty (BBC dev p@5 +0.002)
_MAX_REASONS = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class RelDoc:
    """One brief as the ranker sees it."""

    id: str
    title: str
    summary: str
    body: str
    tags: tuple[str, ...]
    entities: tuple[str, ...]
    entity_labels: Mapping[str, str]
    date: dt.date


@dataclass(frozen=True, slots=True, kw_only=True)
class RelatedWeights:
    """How much each signal counts; the first three are normalised by their sum."""

    text: float = 1.0
    # Measured on BBC dev through ingest + build (site index.json): entities 0.6/tags 0.3
    # gave p@5 0.921 because extracted entities and tags are noisier than text; 0.2/0.05 gave
    # 0.956, while shared rare entities still lift a related brief above text-only peers.
    entities: float = 0.2
    tags: float = 0.05
    time: float = 0.2  # share of the score that fades with distance in time
    graph: float = 0.5  # share taken by neighbourhood (diffusion) similarity
    title_boost: float = 2.0  # a title word counts as this many body words


@dataclass(frozen=True, slots=True)
class _Text:
    """Weighted term matrix plus what is needed to name the terms."""

    matrix: sp.csr_matrix
    surface: tuple[str, ...]


def rank_related(
    docs: Sequence[RelDoc], *, k: int = 5, half_life_days: float = 30.0,
    weights: RelatedWeights = RelatedWeights(), exact_up_to: int = EXACT_UP_TO,
) -> dict[str, tuple[Related, ...]]:
    """The k most related other briefs for each brief, best first.

    Up to `exact_up_to` briefs every pair is compared; above it, candidates come from
    pruned postings, so the cost grows linearly with the number of briefs.
    """
    ordered = sorted(docs, key=lambda d: d.id)  # input order must not change the answer
    ids = [d.id for d in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError("rank_related: brief ids must be unique")
    n = len(ordered)
    if n == 0:
        return {}
    if n == 1 or k <= 0:
        return {i: () for i in ids}
    text = _text_matrix(ordered, weights.title_boost)
    ents, ent_idf = _label_matrix([d.entities for d in ordered])
    tags, tag_idf = _label_matrix([d.tags for d in ordered])
    features = _combine(((text.matrix, weights.text), (ents, weights.entities),
                         (tags, weights.tags)))
    m = min(max(_CANDIDATES, 2 * k), n - 1)
    if n <= exact_up_to:
        cand, base = _candidates(features, m)
    else:
        cand, base = _pruned_candidates(features, m)
    score = base
    if weights.graph > 0 and n >= _GRAPH_MIN_DOCS:
        emb = _diffusion_embedding(cand, base, n)
        near = np.maximum(np.einsum("id,ijd->ij", emb, emb[cand]), 0.0).astype(np.float32)
        score = (1.0 - weights.graph) * base + weights.graph * near
    if half_life_days > 0 and weights.time > 0:
        days = np.array([d.date.toordinal() for d in ordered], dtype=np.float64)
        decay = np.exp2(-np.abs(days[:, None] - days[cand]) / half_life_days)
        score = score * ((1.0 - weights.time) + weights.time * decay).astype(np.float32)
    rounded: F64 = np.where(base > 0, np.round(score.astype(np.float64), 4), -1.0)
    top = _top_k(cand, rounded, k)
    why = _reasons(ordered, ent_idf, tag_idf, text, top)
    return {ids[i]: tuple(Related(id=ids[j], score=s, shared=r) for (j, s), r in zip(
        row, reasons, strict=True)) for i, (row, reasons) in enumerate(zip(top, why, strict=True))}


def _text_matrix(docs: Sequence[RelDoc], title_boost: float) -> _Text:
    """BM25-saturated, background-weighted, L2-normalised term vectors of each brief's text.

    Every number here comes from the brief itself and a fixed table (word frequencies in
    general English), never from the other briefs: one brief's edit changes its own vector only.
    """
    counts, rarity, surface = _count_terms(docs, title_boost)
    length = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    rel_len = np.repeat(length / _REFERENCE_LENGTH, np.diff(counts.indptr))
    data = counts.data.astype(np.float64)
    # The term's weight is the mean rarity of the spellings the brief uses for it.
    weight = rarity.data.astype(np.float64) / data
    data = data * (_BM25_K1 + 1) / (data + _BM25_K1 * (1 - _BM25_B + _BM25_B * rel_len))
    counts.data = (data * weight).astype(np.float32)
    counts.eliminate_zeros()
    return _Text(matrix=_normalise(_keep_strongest(counts, _MAX_TERMS)), surface=surface)


def _count_terms(docs: Sequence[RelDoc], boost: float,
                 ) -> tuple[sp.csr_matrix, sp.csr_matrix, tuple[str, ...]]:
    """Weighted term counts per brief, the same counts times each word's background rarity,
    and a display word per term, tokenised in bulk."""
    # Splitting words in Python costs about a microsecond each; hashing them with numpy
    # costs a few nanoseconds, which is what keeps 10,000 briefs under budget.
    parts = [(part, w) for d in docs for part, w in ((d.title, boost), (d.summary, 1.0),
                                                      (d.body, 1.0))]  # part p is brief p // 3
    encoded = [_fold(text).encode("utf-8").translate(_BYTE_CLASSES) + b" " for text, _ in parts]
    weights = np.array([w for _, w in parts], dtype=np.float32)
    del parts
    sizes = [len(e) for e in encoded]
    chunks = _chunks(sizes)
    buffers = [b"".join(encoded[lo:hi]) for lo, hi in chunks]
    del encoded
    # Per word: hash (8 bytes), start, length and part (4 bytes each). Everything else is
    # made and dropped chunk by chunk: at 10,000 briefs there are six million words.
    with ThreadPoolExecutor(max_workers=2) as pool:  # numpy releases the GIL: two cores
        hashed = list(pool.map(_hash_words, [np.frombuffer(b, dtype=np.uint8) for b in buffers]))
    hashes, owners, starts, lengths = [], [], [], []
    base = 0
    for (lo, hi), buf, (h, first, size) in zip(chunks, buffers, hashed, strict=True):
        ends = np.cumsum(sizes[lo:hi])
        hashes.append(h)
        owners.append(np.repeat(np.arange(lo, hi, dtype=np.int32),
                                np.diff(np.searchsorted(first, ends), prepend=0)))
        starts.append((first + base).astype(np.int32 if base + len(buf) < 2**31 else np.int64))
        lengths.append(size.astype(np.int32))
        base += len(buf)
    del hashed
    all_hash = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
    del hashes
    word_id, n_words = _dense_ids(all_hash)
    del all_hash
    seen_at = np.zeros(n_words, dtype=np.int64)
    seen_at[word_id] = np.arange(len(word_id))  # any occurrence will do to spell the word
    text = b"".join(buffers)
    del buffers
    at = np.concatenate(starts)[seen_at].tolist() if starts else []
    del starts
    size = np.concatenate(lengths)[seen_at].tolist() if lengths else []
    del lengths, seen_at
    words = [text[s:s + n].decode("utf-8", "replace") for s, n in zip(at, size, strict=True)]
    del text
    term_of, surface = _terms(words, np.bincount(word_id, minlength=n_words))
    term = term_of[word_id]
    keep = term >= 0
    part = np.concatenate(owners)[keep] if owners else np.zeros(0, dtype=np.int32)
    del owners
    rare = _rarity(words)[word_id[keep]]
    del word_id
    shape = (len(docs), len(surface))
    cells = (part // 3, term[keep])
    counts = sp.csr_matrix((weights[part], cells), shape=shape, dtype=np.float32)
    counts.sum_duplicates()
    rarity = sp.csr_matrix((weights[part] * rare, cells), shape=shape, dtype=np.float32)
    rarity.sum_duplicates()  # same cells as counts, in the same order
    return counts, rarity, surface


def _rarity(words: Sequence[str]) -> F32:
    """An IDF-like weight per word from its frequency in general English (wordfreq's table):
    ln(1 / frequency), words unknown to the table (names, typos) counted as seen at _UNSEEN."""
    table = _background()
    unseen = -np.log10(_UNSEEN) * 100.0  # in centibels, the table's unit
    cb = np.array([table.get(w, unseen) for w in words], dtype=np.float64)
    rare: F32 = (np.minimum(cb, unseen) * (np.log(10.0) / 100.0)).astype(np.float32)
    return rare


@functools.cache
def _background() -> Mapping[str, int]:
    """wordfreq's English word list: word -> frequency in centibels below 1 (-100 log10 f).

    The table ships in wordfreq's wheel. It is read directly in the format wordfreq
    documents (``read_cBpack``: a gzipped msgpack list, a header, then word lists per
    centibel) because importing wordfreq itself costs half a second per build (ftfy,
    langcodes, regex); if the header ever changes, wordfreq's own reader is used instead.
    """
    spec = importlib.util.find_spec("wordfreq")
    origin = spec.origin if spec is not None else None
    if origin is not None:
        path = Path(origin).parent / "data" / "large_en.msgpack.gz"
        with gzip.open(path, "rb") as raw:
            data = msgpack.load(raw, raw=False)
        if data and data[0] == {"format": "cB", "version": 1}:
            table: dict[str, int] = {}
            for cb in range(len(data) - 1, 0, -1):  # a word in two lists keeps the frequent one
                table.update(dict.fromkeys(data[cb], cb - 1))
            return table
    import wordfreq

    freq = wordfreq.get_frequency_dict("en", wordlist="large")
    return {w: round(-100.0 * math.log10(f)) for w, f in freq.items()}


def _dense_ids(hashes: U64) -> tuple[I32, int]:
    """Number distinct hashes 0..n-1 through a direct-mapped table (sorting is much slower)."""
    bits = min(_TABLE_BITS, max(10, (4 * len(hashes)).bit_length()))
    bucket = (hashes >> np.uint64(64 - bits)).astype(np.int32)
    low = hashes.astype(np.uint32)  # with the bucket, 52 bits tell words apart
    table = np.zeros(1 << bits, dtype=np.uint32)  # small enough to stay in cache
    table[bucket] = low  # one word wins each bucket ...
    lost = table[bucket] != low  # ... and the few others are numbered separately below
    used = np.zeros(1 << bits, dtype=np.int32)
    used[bucket[~lost]] = 1
    slot = np.cumsum(used, dtype=np.int32) - 1
    ids = slot[bucket]
    n = int(slot[-1]) + 1 if len(slot) else 0
    if lost.any():
        extra, inverse = np.unique(hashes[lost], return_inverse=True)
        ids[lost] = n + inverse.ravel()
        n += len(extra)
    return ids, n


def _fold(text: str) -> str:
    """Lower case with typographic punctuation made plain, so bytes alone split words."""
    text = text.lower()
    return text if text.isascii() else text.translate(_UNICODE_BREAKS)


def _chunks(sizes: Sequence[int]) -> list[tuple[int, int]]:
    """Runs of consecutive parts of about _CHUNK_BYTES, to bound the temporary arrays."""
    out, lo, total = [], 0, 0
    for i, size in enumerate(sizes):
        total += size
        if total >= _CHUNK_BYTES:
            out.append((lo, i + 1))
            lo, total = i + 1, 0
    if lo < len(sizes):
        out.append((lo, len(sizes)))
    return out


def _hash_words(buf: U8) -> tuple[U64, I64, I64]:
    """A 64-bit hash, start and length of every word in a byte buffer ending with a space."""
    edge = np.diff((buf != 32).view(np.int8), prepend=np.int8(0))
    starts = np.flatnonzero(edge == 1)
    lengths = np.flatnonzero(edge == -1) - starts
    # Work per word, not per byte: read each word as up to three little-endian 8-byte
    # pieces (longer words are told apart by those 24 bytes and their length).
    padded = np.concatenate([buf, np.full(24, 32, dtype=np.uint8)])
    # Element i of this view is the 8 bytes starting at byte i (unaligned reads are fine).
    windows = np.ndarray(shape=(len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
    hashed = lengths.astype(np.uint64) * _MIX[0]
    with np.errstate(over="ignore"):  # wrapping arithmetic is the point of a hash
        for piece in range(3):
            which = np.flatnonzero(lengths > 8 * piece) if piece else np.arange(len(starts))
            raw = windows[starts[which] + 8 * piece] & _BYTE_MASKS[
                np.minimum(lengths[which] - 8 * piece, 8)]
            hashed[which] = (hashed[which] ^ raw) * _MIX[piece + 1]
        hashed ^= hashed >> np.uint64(31)
        hashed *= _MIX[4]
        hashed ^= hashed >> np.uint64(29)
    return hashed, starts, lengths


def _terms(words: Sequence[str], freq: I64) -> tuple[I32, tuple[str, ...]]:
    """Term id per distinct word (-1: no topic) and each term's most frequent spelling."""
    vocab: dict[str, int] = {}
    best: list[tuple[int, str]] = []
    term_of = np.full(len(words), -1, dtype=np.int32)
    for i, word in enumerate(words):
        if word in STOPWORDS or word.isdigit():
            continue
        stem = _stem(word)
        if len(stem) < 2 or stem in STOPWORDS:
            continue
        term = vocab.setdefault(stem, len(vocab))
        key = (-int(freq[i]), word)
        if term == len(best):
            best.append(key)
        elif key < best[term]:
            best[term] = key
        term_of[i] = term
    return term_of, tuple(w for _, w in best)


def _keep_strongest(mat: sp.csr_matrix, limit: int) -> sp.csr_matrix:
    """Zero all but each row's `limit` largest entries."""
    data = mat.data
    for r in range(mat.shape[0]):
        lo, hi = int(mat.indptr[r]), int(mat.indptr[r + 1])
        if hi - lo > limit:
            row = data[lo:hi]
            row[row < np.partition(row, hi - lo - limit)[hi - lo - limit]] = 0.0
    mat.eliminate_zeros()
    return mat


def _normalise(mat: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to unit length (empty rows stay empty)."""
    norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1), dtype=np.float64).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags((1.0 / norms).astype(np.float32)) @ mat)


def _label_matrix(labels: Sequence[tuple[str, ...]]) -> tuple[sp.csr_matrix, dict[str, float]]:
    """IDF-weighted, normalised indicator vectors of entities or tags, and each label's IDF."""
    sets = [sorted(set(ls)) for ls in labels]
    df = Counter(label for ls in sets for label in ls)
    keys = {label: i for i, label in enumerate(sorted(df))}
    n = len(sets)
    # Rarity weight: a label only one brief has cannot link, so it simply never matches.
    idf = {label: float(np.log((n + 1) / count)) for label, count in df.items()}
    rows = np.repeat(np.arange(n), [len(ls) for ls in sets])
    cols = [keys[label] for ls in sets for label in ls]
    vals = [idf[label] for ls in sets for label in ls]
    mat = sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, np.array(cols, dtype=np.int32))),
                        shape=(n, len(keys)))
    return _normalise(mat), idf


def _combine(parts: Sequence[tuple[sp.csr_matrix, float]]) -> sp.csr_matrix:
    """Side-by-side blocks scaled so one product gives the weighted mean of the cosines."""
    total = sum(w for _, w in parts if w > 0) or 1.0
    blocks = [m * np.float32(np.sqrt(w / total)) for m, w in parts if w > 0 and m.shape[1]]
    if not blocks:
        return sp.csr_matrix((parts[0][0].shape[0], 1), dtype=np.float32)
    return sp.csr_matrix(sp.hstack(blocks, format="csr", dtype=np.float32))


def _candidates(features: sp.csr_matrix, m: int) -> tuple[I32, F32]:
    """Each row's m best other rows by direct similarity, sorted by score then index."""
    n = features.shape[0]
    cand = np.full((n, m), -1, dtype=np.int32)
    best = np.full((n, m), -2.0, dtype=np.float32)  # below any real score, so padding loses
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
            pick = _best_columns(sims, m)
            cand[lo:hi], best[lo:hi] = _merge(
                cand[lo:hi], best[lo:hi], pick.astype(np.int32) + lo,
                np.take_along_axis(sims, pick, axis=1), m)
            if hi < n:
                later = strip[hi - lo:]  # later rows against this block
                pick = _best_columns(later, min(m, hi - lo))
                cand[hi:], best[hi:] = _merge(
                    cand[hi:], best[hi:], pick.astype(np.int32) + lo,
                    np.take_along_axis(later, pick, axis=1), m)
    order = np.lexsort((cand, -best), axis=1)  # score desc, then index (= id order)
    return np.take_along_axis(cand, order, axis=1), np.take_along_axis(best, order, axis=1)


def _pruned_candidates(features: sp.csr_matrix, m: int) -> tuple[I32, F32]:
    """Like `_candidates`, from pruned postings: linear in the number of briefs.

    Each brief's strongest `_QUERY_TERMS` features meet only the `_POSTINGS` briefs where
    each feature weighs most (impact-ordered index pruning); the best `_RESCORED` of those
    partial matches are then scored exactly. Short rows are padded with index -1.
    """
    n = features.shape[0]
    query = _keep_strongest(features.copy(), _QUERY_TERMS)
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
    for lo in range(0, len(pairs), _PAIR_BLOCK):
        hi = lo + _PAIR_BLOCK
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


def _best_columns(sims: F32, m: int) -> I64:
    """Column indices of each row's m largest values (unordered)."""
    sims = np.ascontiguousarray(sims)  # flat indices below assume row-major order
    rows, cols = sims.shape
    if m >= cols:
        return np.broadcast_to(np.arange(cols), sims.shape).copy()
    if cols < 16 * m:
        return np.argpartition(-sims, m - 1, axis=1)[:, :m]
    # A full partition of every row dominates the run time, so guess each row's cut from
    # every step-th column, set low enough that about 2m values pass, and partition only
    # those; rows where fewer than m pass (rare) get the full partition.
    step = cols // (8 * m)
    sample = np.ascontiguousarray(sims[:, ::step])
    rank = 2 * (m // step) + 1
    cut = -np.partition(-sample, rank, axis=1)[:, rank]
    passed = sims > cut[:, None]
    count = np.count_nonzero(passed, axis=1)
    out = np.empty((rows, m), dtype=np.int64)
    short = count < m
    if short.any():
        out[short] = np.argpartition(-sims[short], m - 1, axis=1)[:, :m]
    passed[short] = False
    flat = np.flatnonzero(passed)
    r, c = np.divmod(flat, cols)
    # Row-major order already groups rows; sort each row's survivors by value, best first.
    order = np.argsort(r * 4.0 + (1.0 - sims.reshape(-1)[flat]), kind="stable")
    c = c[order]
    first = np.concatenate(([0], np.cumsum(count[~short])))[:-1]
    keep = np.arange(len(c)) - np.repeat(first, count[~short]) < m
    out[~short] = c[keep].reshape(-1, m)
    return out


def _merge(cand: I32, vals: F32, new_cand: I32, new_vals: F32, m: int) -> tuple[I32, F32]:
    """The m largest of two candidate lists per row (unordered)."""
    both = np.concatenate([vals, new_vals], axis=1)
    keep = _best_columns(both, m)
    return (np.take_along_axis(np.concatenate([cand, new_cand], axis=1), keep, axis=1),
            np.take_along_axis(both, keep, axis=1))


def _diffusion_embedding(cand: I32, base: F32, n: int) -> F32:
    """Unit vectors whose dot products say how close two briefs are in the neighbour graph."""
    kn = min(_GRAPH_NEIGHBOURS, cand.shape[1])
    w = np.maximum(base[:, :kn], 0.0).ravel()
    cols = cand[:, :kn].ravel()
    real = cols >= 0  # pruned candidates pad short rows with -1
    graph = sp.csr_matrix((w[real], (np.repeat(np.arange(n), kn)[real], cols[real])),
                          shape=(n, n))
    graph = graph.maximum(graph.T)  # symmetric: a neighbour either way
    degree = np.asarray(graph.sum(axis=1), dtype=np.float64).ravel()
    scale = np.divide(1.0, np.sqrt(degree), out=np.zeros_like(degree), where=degree > 0)
    norm_graph = sp.diags(scale) @ graph @ sp.diags(scale)
    vals, vecs = _top_eigen(norm_graph, min(_GRAPH_DIMS, n - 2))
    emb = vecs * np.power(np.clip(vals, 0.0, None), _GRAPH_STEPS)
    length = np.linalg.norm(emb, axis=1, keepdims=True)
    unit: F32 = np.divide(emb, length, out=np.zeros_like(emb), where=length > 0).astype(np.float32)
    return unit


def _top_eigen(mat: sp.csr_matrix, dims: int) -> tuple[F64, F64]:
    """The largest eigenpairs of a symmetric matrix (scipy's Lanczos, from a seeded start)."""
    start = np.random.default_rng(0).standard_normal(mat.shape[0])  # reproducible output
    try:
        vals, vecs = eigsh(mat, k=dims, which="LA", v0=start, tol=_EIGEN_TOL, maxiter=_EIGEN_STEPS)
    except ArpackNoConvergence as err:  # keep the pairs that converged (a shorter embedding)
        vals, vecs = err.eigenvalues, err.eigenvectors
    top = np.argsort(-vals, kind="stable")
    return vals[top], vecs[:, top]


def _top_k(cand: I32, score: F64, k: int) -> list[list[tuple[int, float]]]:
    """Per row, (doc index, score) of the k best positive scores; ties broken by id."""
    order = np.lexsort((cand, -score), axis=1)[:, :k]
    docs = np.take_along_axis(cand, order, axis=1).tolist()
    scores = np.take_along_axis(score, order, axis=1).tolist()
    return [[(j, s) for j, s in zip(dr, sr, strict=True) if s > 0]
            for dr, sr in zip(docs, scores, strict=True)]


def _reasons(docs: Sequence[RelDoc], ent_idf: Mapping[str, float],
             tag_idf: Mapping[str, float], text: _Text, top: list[list[tuple[int, float]]],
             ) -> list[list[tuple[str, ...]]]:
    """Per link: shared entity names (rarest first), then shared tags, else shared words."""
    names: dict[str, str] = {}
    for d in docs:  # one display name per entity: the first brief (by id) that gives one
        for key, label in sorted(d.entity_labels.items()):
            if label:
                names.setdefault(key, label)
    # Sorting each brief's labels by rarity once makes every pair a filtered scan.
    ents = [[(e, names.get(e, e)) for e in sorted(set(d.entities), key=lambda e: (-ent_idf[e], e))]
            for d in docs]
    tags = [sorted(set(d.tags), key=lambda t: (-tag_idf[t], t)) for d in docs]
    # Only where two entities share a name, or a tag equals a name, can a reason repeat.
    repeats = [len({name for _, name in e} | set(t)) < len(e) + len(t)
               for e, t in zip(ents, tags, strict=True)]
    ent_sets = [frozenset(d.entities) for d in docs]
    tag_sets = [frozenset(d.tags) for d in docs]
    out = []
    for i, row in enumerate(top):
        reasons = []
        for j, _ in row:
            shared = [name for e, name in ents[i] if e in ent_sets[j]]
            shared += [t for t in tags[i] if t in tag_sets[j]]
            if repeats[i]:
                shared = list(dict.fromkeys(shared))
            reasons.append(tuple((shared or _shared_terms(text, i, j))[:_MAX_REASONS]))
        out.append(reasons)
    return out


def _shared_terms(text: _Text, i: int, j: int, limit: int = 3) -> list[str]:
    """The words contributing most to the text similarity of two briefs."""
    mat = text.matrix
    a = slice(mat.indptr[i], mat.indptr[i + 1])
    b = slice(mat.indptr[j], mat.indptr[j + 1])
    common, ia, ib = np.intersect1d(mat.indices[a], mat.indices[b], assume_unique=True,
                                    return_indices=True)
    weight = mat.data[a][ia] * mat.data[b][ib]
    best = np.lexsort((common, -weight))[:limit]
    return [text.surface[int(t)] for t in common[best]]


def prepare() -> None:
    """Load the word-frequency table now rather than on first use (benchmarks time the rest).

    The ranking child does not call this as it starts: the build sends it the briefs as soon
    as they are loaded and would wait for the table; it is read while the build renders."""
    _background()
