"""Ranking features: each brief as one sparse row of weighted terms, entities and tags.

A row depends on its brief alone: term weights come from a fixed background table of word
frequencies (``wordfreq``'s data) with BM25 saturation, never from the other briefs, and
label rarity from the label's document frequency on a fixed scale. Written by hand around
numpy and scipy.sparse because no library builds these rows at this speed: words are hashed
in bulk over the raw bytes of the texts.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import importlib.util
import itertools
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


MAX_TERMS = 160  # strongest terms kept per brief: drops noise and bounds the product's cost


LABEL_SCALE = 10_000.0  # label rarity ln(1 + this / document frequency)


# Background rarity ln(1 / frequency); words unknown to the table (names, typos, invented
# words) count as if seen at UNSEEN. On BBC dev, ln(c / frequency) floored at 0 lost
# precision for every c below 1 tried (0.1, 0.01, 0.001); 1e-7 and 1e-9 here did no better.
UNSEEN = 1e-8


REFERENCE_LENGTH = 400.0  # a brief this long (weighted words kept) gets BM25's plain tf


BM25_K1 = 1.2


BM25_B = 0.3  # with a fixed reference length, a milder length penalty (BBC dev p@5 +0.002)


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
    fingerprint: str = ""  # a hash of all of the above, when the caller has one


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
    """Weighted term rows (columns: `vocab`, sorted) and, per stored cell, the index in
    `words` of the word the brief spells the term with most; `centibels` per word."""

    matrix: sp.csr_matrix
    vocab: tuple[str, ...]
    spell: I32
    words: tuple[str, ...]
    centibels: I64


@dataclass(frozen=True, slots=True)
class Labels:
    """Entity and tag columns (sorted), their document frequencies and entity names."""

    ent_keys: list[str]
    ent_df: dict[str, int]
    ent_names: dict[str, str]
    tag_keys: list[str]
    tag_df: dict[str, int]


def label_stats(docs: Sequence[RelDoc]) -> Labels:
    ent_df = Counter(itertools.chain.from_iterable(set(d.entities) for d in docs if d.entities))
    tag_df = Counter(itertools.chain.from_iterable(set(d.tags) for d in docs if d.tags))
    names: dict[str, str] = {}
    for d in docs:  # one display name per entity: the first brief (by id) that gives one
        for key, label in d.entity_labels.items():
            if label and key not in names:
                names[key] = label
    # Sorted labels per brief: the first brief's labels are read in key order.
    return Labels(ent_keys=sorted(ent_df), ent_df=dict(ent_df),
                   ent_names={e: names.get(e, e) for e in ent_df},
                   tag_keys=sorted(tag_df), tag_df=dict(tag_df))


def _label_rows(sets: Sequence[Sequence[str]], df: Mapping[str, int],
                column: Mapping[str, int], width: int) -> sp.csr_matrix:
    """Rarity-weighted, normalised indicator rows. The rarity ln(1 + LABEL_SCALE / df)
    does not depend on the number of briefs, so adding one changes only rows that share
    a label with it. A label only one brief has cannot link, so it simply never matches."""
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for r, labels in enumerate(sets):
        for label in sorted(set(labels)):
            rows.append(r)
            cols.append(column[label])
            vals.append(math.log1p(LABEL_SCALE / df[label]))
    mat = sp.csr_matrix((np.array(vals, dtype=np.float32), (np.array(rows, dtype=np.int64),
                         np.array(cols, dtype=np.int64))), shape=(len(sets), width))
    mat.sort_indices()
    return _normalise(mat)


def assemble(text: sp.csr_matrix, spell: I32, docs: Sequence[RelDoc], labels: Labels,
              weights: RelatedWeights) -> tuple[sp.csr_matrix, I32]:
    """Rows of text, entity and tag blocks side by side, scaled so one product gives the
    weighted mean of the cosines; and each cell's spelling (-1 for label cells)."""
    n = len(docs)
    total = sum(w for w in (weights.text, weights.entities, weights.tags) if w > 0) or 1.0
    ent_col = {e: i for i, e in enumerate(labels.ent_keys)}
    tag_col = {t: i for i, t in enumerate(labels.tag_keys)}
    blocks: list[sp.csr_matrix] = []
    spells: list[sp.csr_matrix] = []
    for mat, w, sp_data in (
            (text, weights.text, spell),
            (_label_rows([d.entities for d in docs], labels.ent_df, ent_col,
                         len(ent_col)) if weights.entities > 0 else None, weights.entities, None),
            (_label_rows([d.tags for d in docs], labels.tag_df, tag_col,
                         len(tag_col)) if weights.tags > 0 else None, weights.tags, None)):
        if mat is None or w <= 0:
            continue
        scaled = sp.csr_matrix((mat.data * np.float32(math.sqrt(w / total)), mat.indices,
                                mat.indptr), shape=mat.shape)
        blocks.append(scaled)
        marks = sp_data if sp_data is not None else np.full(mat.nnz, -1, dtype=np.int32)
        spells.append(sp.csr_matrix((marks.astype(np.int64) + 2, mat.indices, mat.indptr),
                                    shape=mat.shape))
    if not blocks:
        return sp.csr_matrix((n, 1), dtype=np.float32), np.zeros(0, dtype=np.int32)
    features = sp.csr_matrix(sp.hstack(blocks, format="csr", dtype=np.float32))
    marks = sp.csr_matrix(sp.hstack(spells, format="csr", dtype=np.int64))
    features.has_sorted_indices = True
    return features, (marks.data - 2).astype(np.int32)


def text_matrix(docs: Sequence[RelDoc], title_boost: float,
                 known: Mapping[str, int] | None = None) -> _Text:
    """BM25-saturated, background-weighted, L2-normalised term vectors of each brief's text.

    Every number in a row comes from the brief itself and a fixed table (word frequencies in
    general English), never from the other briefs, and the columns are the terms in sorted
    order: a brief's row is the same alone as in any corpus, value for value, so the
    incremental ranking can re-weigh one brief and keep the others' rows.
    """
    n = len(docs)
    parts = [(part, title) for d in docs for part, title in ((d.title, 1), (d.summary, 0),
                                                             (d.body, 0))]  # part p: p // 3
    encoded = [_fold(text).encode("utf-8").translate(_BYTE_CLASSES) + b" " for text, _ in parts]
    del parts
    sizes = [len(e) for e in encoded]
    chunks = _chunks(sizes)
    buffers = [b"".join(encoded[lo:hi]) for lo, hi in chunks]
    del encoded
    # Splitting words in Python costs about a microsecond each; hashing them with numpy
    # costs a few nanoseconds, which is what keeps 10,000 briefs under budget.
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
    seen_at = np.zeros(n_words, dtype=np.int64)
    seen_at[word_id] = np.arange(len(word_id))  # any occurrence will do to spell the word
    word_hash = all_hash[seen_at]
    del all_hash
    text = b"".join(buffers)
    del buffers
    at = np.concatenate(starts)[seen_at].tolist() if starts else []
    size = np.concatenate(lengths)[seen_at].tolist() if lengths else []
    del starts, lengths, seen_at
    words = [text[s:s + k].decode("utf-8", "replace") for s, k in zip(at, size, strict=True)]
    del text
    term_of, vocab = _terms(words)
    n_terms = len(vocab)
    part = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int32)
    del owners
    term = term_of[word_id]
    keep = term >= 0
    word_id, term, part = word_id[keep], term[keep], part[keep]
    del keep
    doc = part // 3
    title = part % 3 == 0
    del part
    cb = _centibels(words, known)
    # Integer sums (count in the high half, centibels in the low) are exact in any order;
    # title and other words are summed apart and weighed after.
    packed = cb[word_id]
    packed += np.int64(1) << np.int64(32)
    term *= 2
    term += title
    sums = sp.csr_matrix((packed, (doc, term)), shape=(n, 2 * max(n_terms, 1)), dtype=np.int64)
    del packed, term
    sums.sum_duplicates()
    rows = np.repeat(np.arange(n, dtype=np.int32), np.diff(sums.indptr))
    factor = np.where(sums.indices & 1, title_boost, 1.0)
    cells = (rows, sums.indices >> 1)
    shape = (n, n_terms)
    count = sp.csr_matrix(((sums.data >> 32) * factor, cells), shape=shape, dtype=np.float64)
    count.sum_duplicates()  # two values per cell at most: their sum has no order
    rarity = sp.csr_matrix(((sums.data & 0xFFFFFFFF) * factor, cells), shape=shape,
                           dtype=np.float64)
    rarity.sum_duplicates()  # same cells as count, in the same order
    length = (title_boost * np.bincount(doc[title], minlength=n)
              + np.bincount(doc[~title], minlength=n))
    rel_len = np.repeat(length / REFERENCE_LENGTH, np.diff(count.indptr))
    data = count.data
    # The term's weight is the mean rarity of the spellings the brief uses for it.
    weight = rarity.data / data * (math.log(10.0) / 100.0)
    data = data * (BM25_K1 + 1) / (data + BM25_K1 * (1 - BM25_B + BM25_B * rel_len))
    matrix = sp.csr_matrix(((data * weight).astype(np.float32), count.indices, count.indptr),
                           shape=shape)
    del sums, rows, factor, cells, count, rarity, rel_len, data, weight, title
    matrix.eliminate_zeros()
    matrix = _normalise(keep_strongest(matrix, MAX_TERMS))
    spell = _spellings(matrix, doc, word_id, term_of, word_hash, n_terms)
    return _Text(matrix=matrix, vocab=vocab, spell=spell, words=tuple(words),
                 centibels=cb)


def _spellings(matrix: sp.csr_matrix, doc: I32, word_id: I32, term_of: I32, word_hash: U64,
               n_terms: int) -> I32:
    """Per stored cell, the word a brief uses most for that term (ties: the lower hash), so
    the shown word depends on the brief alone."""
    n = matrix.shape[0]
    per = sp.csr_matrix((np.ones(len(word_id), dtype=np.int32), (doc, word_id)),
                        shape=(n, len(term_of)))
    per.sum_duplicates()
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(per.indptr))
    cols = per.indices
    group = rows * max(n_terms, 1) + term_of[cols]
    order = np.lexsort((word_hash[cols], -per.data, group))
    group, cols = group[order], cols[order]
    first = np.ones(len(group), dtype=bool)
    first[1:] = group[1:] != group[:-1]
    group, best = group[first], cols[first]
    cell_rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(matrix.indptr))
    where = np.searchsorted(group, cell_rows * max(n_terms, 1) + matrix.indices)
    spell: I32 = best[where].astype(np.int32)
    return spell


def _centibels(words: Sequence[str], known: Mapping[str, int] | None) -> I64:
    """Each word's background rarity in centibels (see `_rarity`), from ``known`` where it
    has the word (an earlier ranking's words), else from the table."""
    unseen = round(-math.log10(UNSEEN) * 100.0)
    if known is not None:
        found = [known.get(w, -1) for w in words]
        if min(found, default=0) >= 0:
            return np.array(found, dtype=np.int64)
    table = _background()
    return np.array([min(table.get(w, unseen), unseen) for w in words], dtype=np.int64)


def _rarity(words: Sequence[str]) -> F32:
    """An IDF-like weight per word from its frequency in general English (wordfreq's table):
    ln(1 / frequency), words unknown to the table (names, typos) counted as seen at UNSEEN."""
    table = _background()
    unseen = -np.log10(UNSEEN) * 100.0  # in centibels, the table's unit
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
    low = hashes  # the whole hash, so a word's number never depends on the other words
    table = np.zeros(1 << bits, dtype=np.uint64)  # small enough to stay in cache
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


def _terms(words: Sequence[str]) -> tuple[I32, tuple[str, ...]]:
    """Term id per distinct word (-1: no topic) and the terms (stems), sorted: column order
    is then the same in every corpus, and so is the order in which products sum."""
    stems: list[str | None] = []
    for word in words:
        stem = None
        if word not in STOPWORDS and not word.isdigit():
            stem = _stem(word)
            if len(stem) < 2 or stem in STOPWORDS:
                stem = None
        stems.append(stem)
    vocab = tuple(sorted({s for s in stems if s is not None}))
    column = {s: i for i, s in enumerate(vocab)}
    term_of = np.array([-1 if s is None else column[s] for s in stems], dtype=np.int32)
    return term_of, vocab


def keep_strongest(mat: sp.csr_matrix, limit: int) -> sp.csr_matrix:
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
    # math.fsum is exactly rounded, so a row's length never depends on summation order.
    squares = (mat.data.astype(np.float64) ** 2).tolist()
    bounds = mat.indptr.tolist()
    norms = np.array([math.sqrt(math.fsum(squares[lo:hi])) or 1.0
                      for lo, hi in itertools.pairwise(bounds)])
    scale = np.repeat((1.0 / norms).astype(np.float32), np.diff(mat.indptr))
    out = sp.csr_matrix((mat.data * scale, mat.indices.copy(), mat.indptr.copy()),
                        shape=mat.shape)
    out.has_sorted_indices = True
    return out


def prepare() -> None:
    """Load the word-frequency table now rather than on first use (benchmarks time the rest).

    The ranking child does not call this as it starts: the build sends it the briefs as soon
    as they are loaded and would wait for the table; it is read while the build renders."""
    _background()

