"""Related-brief ranking: shared entities, tags, text and time, scored with sparse products.

Each brief's feature row depends on the brief alone (background word rarity, sorted term
columns, exact sums), and so does its list of candidates (its best direct matches): so
`rank_state` finds candidates again only for the rows an edit touches, with the same
per-row and per-pair steps as a cold ranking. The neighbourhood signal (a diffusion
embedding of the candidate graph, BBC dev p@5 0.958 against 0.951 for the best local
signal tried) is global; it is a function of the candidate lists alone, so it is made
again from them on every ranking, and the result equals a cold ranking exactly.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import gzip
import hashlib
import importlib.util
import itertools
import marshal
import math
import operator
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

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
_GRAPH_NEIGHBOURS = 20  # candidates per brief that make the neighbour graph
_GRAPH_DIMS = 16
_EIGEN_STEPS = 5000  # Lanczos restarts; BBC dev and 10,000 news-like briefs need far fewer
_EIGEN_TOL = 1e-4  # the embedding is raised to a power and rounded: more digits change nothing
_GRAPH_STEPS = 8  # diffusion time: eigenvalue**steps fades the fine-grained directions
_LABEL_SCALE = 10_000.0  # label rarity ln(1 + this / document frequency)
_REFRESH_SHARE = 0.05  # above this share of changed briefs, rank cold
_STATE_FORMAT = "briefgen-related-state-2"
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


def rank_related(
    docs: Sequence[RelDoc], *, k: int = 5, half_life_days: float = 30.0,
    weights: RelatedWeights = RelatedWeights(), exact_up_to: int = EXACT_UP_TO,
) -> dict[str, tuple[Related, ...]]:
    """The k most related other briefs for each brief, best first.

    Up to `exact_up_to` briefs every pair is compared; above it, candidates come from
    pruned postings, so the cost grows linearly with the number of briefs.
    """
    return rank_state(docs, k=k, half_life_days=half_life_days, weights=weights,
                      exact_up_to=exact_up_to).ranked


@dataclass(slots=True)
class RankState:
    """Everything an incremental ranking needs from the previous one: per brief (rows in id
    order) its fingerprint, feature row, candidates with their direct and neighbourhood
    scores, and its final links. Plain strings and numpy arrays (see `briefgen.store.blobs`)."""

    params: str
    ids: list[str]
    prints: list[str]
    vocab: list[str]  # text columns, sorted
    words: list[str]  # spellings (may repeat after updates)
    centibels: I64  # per word
    ent_keys: list[str]  # entity columns, sorted
    ent_df: I64
    ent_names: list[str]
    tag_keys: list[str]
    tag_df: I64
    indptr: I64  # the combined feature rows (csr)
    indices: I32
    data: F32
    spell: I32  # per feature cell: its word in `words` (-1: a label cell)
    cand: I32  # (n, m) candidates, best first (score desc, then index)
    base: F32  # their direct similarities
    near: F32  # (n, m) neighbourhood similarity with each candidate
    top: I32  # (n, k) final links (-1: none)
    score: F64
    why_count: I32  # (n, k) reasons per link
    why: list[str]  # all reasons, row by row, link by link


@dataclass(frozen=True, slots=True)
class RankResult:
    """A ranking, the state to keep for the next one, and the briefs whose links changed
    (all of them, ``None``, after a cold ranking with no earlier state)."""

    ranked: dict[str, tuple[Related, ...]]
    state: RankState | None
    changed: frozenset[str] | None
    incremental: bool = False


def fingerprint(doc: RelDoc) -> str:
    """A hash of everything the ranker reads of one brief."""
    if doc.fingerprint:
        return doc.fingerprint
    # marshal (format 2) writes equal data as equal bytes, lengths included.
    data = marshal.dumps((doc.id, doc.title, doc.summary, doc.body, tuple(doc.tags),
                          tuple(doc.entities), tuple(sorted(doc.entity_labels.items())),
                          doc.date.toordinal()), 2)
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def rank_state(
    docs: Sequence[RelDoc], *, k: int = 5, half_life_days: float = 30.0,
    weights: RelatedWeights = RelatedWeights(), exact_up_to: int = EXACT_UP_TO,
    previous: RankState | None = None,
) -> RankResult:
    """`rank_related`, plus a state from which the next ranking redoes only the briefs whose
    inputs changed. With ``previous`` (from a ranking with the same settings), only rows
    touched by the changed, added and removed briefs are recomputed, with the same per-row
    and per-pair steps as a cold ranking, so the result is identical to a cold one; when
    too much changed (over 5% of the briefs) or the settings differ, it ranks cold."""
    # The ranking makes some 100,000 small containers and frees none in cycles: a cycle
    # collection in between, walking every object the caller holds, is wasted time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _rank_state(docs, k, half_life_days, weights, exact_up_to, previous)
    finally:
        if enabled:
            gc.enable()


def _rank_state(docs: Sequence[RelDoc], k: int, half_life_days: float, weights: RelatedWeights,
                exact_up_to: int, previous: RankState | None) -> RankResult:
    ordered = sorted(docs, key=lambda d: d.id)  # input order must not change the answer
    ids = [d.id for d in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError("rank_related: brief ids must be unique")
    n = len(ordered)
    if n <= 1 or k <= 0:
        return RankResult(ranked={i: () for i in ids}, state=None, changed=None)
    m = min(max(_CANDIDATES, 2 * k), n - 1)
    exact = n <= exact_up_to
    params = _params(k, half_life_days, weights, m, exact, n >= _GRAPH_MIN_DOCS)
    prints = [fingerprint(d) for d in ordered]
    if previous is not None and exact and previous.params == params:
        try:
            done = _update(previous, ordered, ids, prints, m, k, half_life_days, weights)
        except (IndexError, KeyError, ValueError):  # a loaded state that lies: rank cold
            done = None
        if done is not None:
            return done
    return _cold(ordered, ids, prints, params, m, k, half_life_days, weights, exact)


def _params(k: int, half_life: float, weights: RelatedWeights, m: int, exact: bool,
            graph: bool) -> str:
    """What must match for an earlier state to be reused."""
    from briefgen import __version__  # the stemmer or the word table may change with it

    shares = tuple(getattr(weights, f) for f in (
        "text", "entities", "tags", "time", "graph", "title_boost"))
    return repr((_STATE_FORMAT, __version__, k, float(half_life), shares, m, exact, graph,
                 _MAX_TERMS, _REFERENCE_LENGTH, _BM25_K1, _BM25_B, _UNSEEN, _LABEL_SCALE,
                 _GRAPH_NEIGHBOURS, _GRAPH_DIMS, _EIGEN_TOL, _GRAPH_STEPS))


@dataclass(frozen=True, slots=True)
class _Labels:
    """Entity and tag columns (sorted), their document frequencies and entity names."""

    ent_keys: list[str]
    ent_df: dict[str, int]
    ent_names: dict[str, str]
    tag_keys: list[str]
    tag_df: dict[str, int]


def _label_stats(docs: Sequence[RelDoc]) -> _Labels:
    ent_df = Counter(itertools.chain.from_iterable(set(d.entities) for d in docs if d.entities))
    tag_df = Counter(itertools.chain.from_iterable(set(d.tags) for d in docs if d.tags))
    names: dict[str, str] = {}
    for d in docs:  # one display name per entity: the first brief (by id) that gives one
        for key, label in d.entity_labels.items():
            if label and key not in names:
                names[key] = label
    # Sorted labels per brief: the first brief's labels are read in key order.
    return _Labels(ent_keys=sorted(ent_df), ent_df=dict(ent_df),
                   ent_names={e: names.get(e, e) for e in ent_df},
                   tag_keys=sorted(tag_df), tag_df=dict(tag_df))


def _label_rows(sets: Sequence[Sequence[str]], df: Mapping[str, int],
                column: Mapping[str, int], width: int) -> sp.csr_matrix:
    """Rarity-weighted, normalised indicator rows. The rarity ln(1 + _LABEL_SCALE / df)
    does not depend on the number of briefs, so adding one changes only rows that share
    a label with it. A label only one brief has cannot link, so it simply never matches."""
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for r, labels in enumerate(sets):
        for label in sorted(set(labels)):
            rows.append(r)
            cols.append(column[label])
            vals.append(math.log1p(_LABEL_SCALE / df[label]))
    mat = sp.csr_matrix((np.array(vals, dtype=np.float32), (np.array(rows, dtype=np.int64),
                         np.array(cols, dtype=np.int64))), shape=(len(sets), width))
    mat.sort_indices()
    return _normalise(mat)


def _assemble(text: sp.csr_matrix, spell: I32, docs: Sequence[RelDoc], labels: _Labels,
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


def _cold(ordered: Sequence[RelDoc], ids: list[str], prints: list[str], params: str, m: int,
          k: int, half_life: float, weights: RelatedWeights, exact: bool) -> RankResult:
    n = len(ordered)
    text = _text_matrix(ordered, weights.title_boost)
    labels = _label_stats(ordered)
    features, spell = _assemble(text.matrix, text.spell, ordered, labels, weights)
    if exact:
        cand, base = _candidates(features, m)
    else:
        cand, base = _pruned_candidates(features, m)
    graph = weights.graph > 0 and n >= _GRAPH_MIN_DOCS
    near: F32 = _diffusion_near(cand, base) if graph else np.zeros(cand.shape, np.float32)
    days = np.array([d.date.toordinal() for d in ordered], dtype=np.int64)
    every = np.arange(n, dtype=np.int64)
    top, score = _final(every, cand, base, near, days, k, half_life, weights, graph)
    ctx = _Reasons(ordered, labels, features, spell, text.words, len(text.vocab))
    at_i, at_p = np.nonzero(top >= 0)
    found = ctx.many(at_i.tolist(), top[at_i, at_p].tolist())
    why_count = np.zeros((n, k), dtype=np.int32)
    why_count[at_i, at_p] = [len(r) for r in found]
    why = [w for r in found for w in r]
    ranked = _ranked(ids, top, score, why_count, why)
    state = None
    if exact:
        state = RankState(
            params=params, ids=ids, prints=prints, vocab=list(text.vocab), words=list(text.words),
            centibels=text.centibels, ent_keys=labels.ent_keys,
            ent_df=np.array([labels.ent_df[e] for e in labels.ent_keys], dtype=np.int64),
            ent_names=[labels.ent_names[e] for e in labels.ent_keys], tag_keys=labels.tag_keys,
            tag_df=np.array([labels.tag_df[t] for t in labels.tag_keys], dtype=np.int64),
            indptr=features.indptr.astype(np.int64), indices=features.indices.astype(np.int32),
            data=features.data.astype(np.float32), spell=spell, cand=cand, base=base,
            near=near, top=top, score=score,
            why_count=why_count, why=why)
    return RankResult(ranked=ranked, state=state, changed=None)


def _update(prev: RankState, ordered: Sequence[RelDoc], ids: list[str], prints: list[str],
            m: int, k: int, half_life: float, weights: RelatedWeights) -> RankResult | None:
    """The ranking of ``ordered`` from ``prev``, redoing only rows whose inputs changed;
    None when a cold ranking is the better way (too much changed)."""
    n = len(ordered)
    old_n = len(prev.ids)
    if prev.cand.shape[1] != m or prev.top.shape[1] != k:
        return None
    old_at = {s: i for i, s in enumerate(prev.ids)}
    src = np.array([old_at.get(s, -1) for s in ids], dtype=np.int64)  # old row of each row
    new_of_old = np.full(old_n, -1, dtype=np.int64)
    new_of_old[src[src >= 0]] = np.flatnonzero(src >= 0)
    removed = [s for s in prev.ids if s not in set(ids)] if old_n + np.count_nonzero(
        src < 0) != n else []
    old_prints = prev.prints
    changed = np.array([o < 0 or old_prints[o] != p
                        for o, p in zip(src.tolist(), prints, strict=True)], dtype=bool)
    labels = _label_stats(ordered)
    old_ent = dict(zip(prev.ent_keys, zip(prev.ent_df.tolist(), prev.ent_names, strict=True),
                       strict=True))
    old_tag = dict(zip(prev.tag_keys, prev.tag_df.tolist(), strict=True))
    moved = {e for e in labels.ent_keys
             if old_ent.get(e) != (labels.ent_df[e], labels.ent_names[e])}
    moved_tags = {t for t in labels.tag_keys if old_tag.get(t) != labels.tag_df[t]}
    if moved or moved_tags:  # a label's rarity or name changed: so did its briefs' rows
        for i, d in enumerate(ordered):
            if not changed[i] and (moved.intersection(d.entities) or
                                   moved_tags.intersection(d.tags)):
                changed[i] = True
    limit = max(1, int(_REFRESH_SHARE * n))
    if np.count_nonzero(changed) + len(removed) > limit:
        return None
    edited = np.flatnonzero(changed)
    # Feature rows: the old ones (columns renumbered) and the changed briefs' new ones.
    fresh = _text_matrix([ordered[i] for i in edited.tolist()], weights.title_boost,
                         known=dict(zip(prev.words, prev.centibels.tolist(), strict=True)))
    vocab = prev.vocab
    text_map = np.arange(len(vocab), dtype=np.int64)
    old_vocab = set(vocab)
    new_terms = sorted(t for t in fresh.vocab if t not in old_vocab)
    if new_terms:
        at = np.searchsorted(np.array(vocab, dtype=object), np.array(new_terms, dtype=object),
                             side="right") if vocab else np.zeros(len(new_terms), dtype=np.int64)
        text_map += np.cumsum(np.bincount(np.asarray(at, dtype=np.int64),
                                          minlength=len(vocab) + 1))[:len(vocab)]
        vocab = sorted(old_vocab.union(new_terms))
    column = {t: i for i, t in enumerate(vocab)} if new_terms else None
    fresh_cols = (np.array([column[t] for t in fresh.vocab], dtype=np.int64) if column
                  else np.searchsorted(np.array(vocab, dtype=object),
                                       np.array(fresh.vocab, dtype=object)).astype(np.int64)
                  if fresh.vocab else np.zeros(0, dtype=np.int64))
    words = prev.words + list(fresh.words)
    centibels = np.concatenate([prev.centibels, fresh.centibels])
    text = sp.csr_matrix((fresh.matrix.data, fresh_cols[fresh.matrix.indices] if
                          fresh.matrix.nnz else fresh.matrix.indices, fresh.matrix.indptr),
                         shape=(len(edited), len(vocab)))
    new_rows, new_spell = _assemble(text, fresh.spell + len(prev.words),
                                    [ordered[i] for i in edited.tolist()], labels, weights)
    n_text = len(vocab)
    ent_col = {e: i for i, e in enumerate(labels.ent_keys)}
    tag_col = {t: i for i, t in enumerate(labels.tag_keys)}
    # Old label columns move to their new places; one that is gone maps below zero (only
    # rows that changed can have carried it, and a negative column left means rank cold).
    maps, width = [text_map], n_text
    for on, keys, col in ((weights.entities > 0, prev.ent_keys, ent_col),
                          (weights.tags > 0, prev.tag_keys, tag_col)):
        if on:
            maps.append(np.array([width + col[e] if e in col else -1 - width for e in keys],
                                 dtype=np.int64))
            width += len(col)
    colmap = np.concatenate(maps)
    features, spell = _splice(prev, colmap, new_rows, new_spell, changed, src, width)
    if features is None:
        return None
    # Candidates: each changed brief against all; other rows merge in the new scores.
    kept_rows = np.flatnonzero(~changed)
    same_set = n == old_n and bool((src == np.arange(n)).all())
    if same_set:
        cand, base = prev.cand.copy(), prev.base.copy()
    else:
        cand = np.full((n, m), -1, dtype=np.int32)
        base = np.full((n, m), -2.0, dtype=np.float32)
        cand[kept_rows] = new_of_old[prev.cand[src[kept_rows]]]
        base[kept_rows] = prev.base[src[kept_rows]]
    lost = np.zeros(n, dtype=bool)  # a candidate is gone: the row is redone in full
    if not same_set:
        lost[kept_rows] = (cand[kept_rows] < 0).any(axis=1)
    full = set(edited.tolist()) | set(np.flatnonzero(lost).tolist())
    touched = np.zeros(n, dtype=bool)  # rows whose lists may have changed
    if len(edited):
        sims = np.ascontiguousarray((features @ features[edited].T.tocsr()).toarray())
        sims[edited, np.arange(len(edited))] = -1.0
        is_e = np.zeros(n, dtype=bool)
        is_e[edited] = True
        floor = _keys(base[:, -1], cand[:, -1])  # every row outside a list scores below it
        enter = (_keys(sims, np.broadcast_to(edited, sims.shape)) > floor[:, None]).any(axis=1)
        holds = (is_e[np.maximum(cand, 0)] & (cand >= 0)).any(axis=1)
        rows_ok = np.flatnonzero((enter | holds) & ~changed & ~lost)
        touched[rows_ok] = True
        oc, ob = cand[rows_ok], base[rows_ok].copy()
        col_of = np.full(n, -1, dtype=np.int64)
        col_of[edited] = np.arange(len(edited))
        in_e = col_of[oc] >= 0
        ob[in_e] = sims[rows_ok[:, None].repeat(m, 1)[in_e], col_of[oc[in_e]]]
        extra_k = _keys(sims[rows_ok], np.broadcast_to(edited, (len(rows_ok), len(edited))))
        dup = (oc[:, :, None] == edited[None, None, :]).any(axis=1)
        extra_k[dup] = _NO_KEY
        pool = np.concatenate([_keys(ob, oc), extra_k], axis=1)
        best = -np.sort(-pool, axis=1)[:, :m]
        sure = best[:, -1] >= floor[rows_ok]
        c2, b2 = _unkey(best)
        cand[rows_ok[sure]], base[rows_ok[sure]] = c2[sure], b2[sure]
        full.update(rows_ok[~sure].tolist())
    redo = np.array(sorted(full), dtype=np.int64)
    if len(redo) > 4 * limit:
        return None
    if len(redo):
        cand[redo], base[redo] = _row_candidates(features, redo, m)
    same = np.ones(n, dtype=bool)
    same[redo] = False
    same[changed] = False
    look = np.flatnonzero(touched & same)
    same[look] = ((cand[look] == new_of_old[prev.cand[src[look]]]).all(axis=1)
                  & (base[look] == prev.base[src[look]]).all(axis=1))
    moved_rows = np.flatnonzero(~same)  # rows whose candidates or their scores changed
    stay = np.flatnonzero(same)
    graph = weights.graph > 0 and n >= _GRAPH_MIN_DOCS
    touched = np.zeros(n, dtype=bool)
    touched[moved_rows] = True
    touched |= changed
    if graph:
        # The neighbourhood signal is global (the graph's leading eigenvectors): made again
        # from the candidate lists, which are the cold ranking's own, so it is the cold one.
        # Every row whose signal moved is scored again.
        near = _diffusion_near(cand, base)
        same_near = np.zeros(n, dtype=bool)
        same_near[stay] = (near[stay] == prev.near[src[stay]]).all(axis=1)
        touched |= ~same_near
    else:
        near = np.zeros((n, m), dtype=np.float32)
    # A row is scored again when its candidates, their scores or signal moved, or when a
    # candidate itself changed (its date sets the time decay).
    touched |= (changed[np.maximum(cand, 0)] & (cand >= 0)).any(axis=1)
    dirty = np.flatnonzero(touched)
    # Final links: kept rows as they were, dirty rows rescored.
    top = np.full((n, k), -1, dtype=np.int32)
    score = np.zeros((n, k), dtype=np.float64)
    clean = np.ones(n, dtype=bool)
    clean[dirty] = False
    clean_rows = np.flatnonzero(clean)
    old_top = prev.top[src[clean_rows]]
    top[clean_rows] = np.where(old_top >= 0, new_of_old[np.maximum(old_top, 0)], -1)
    score[clean_rows] = prev.score[src[clean_rows]]
    days = np.array([d.date.toordinal() for d in ordered], dtype=np.int64)
    if len(dirty):
        top[dirty], score[dirty] = _final(dirty, cand, base, near, days, k, half_life, weights,
                                          graph)
    # Reasons: clean rows keep theirs; a dirty row's link keeps its reasons when neither
    # brief changed and the link was there before.
    old_off = np.concatenate(([0], np.cumsum(prev.why_count.ravel())))
    old_flat = prev.why
    ctx = _Reasons(ordered, labels, features, spell, words, n_text)
    why_count = np.zeros((n, k), dtype=np.int32)
    why_count[clean_rows] = prev.why_count[src[clean_rows]]
    out_changed: set[str] = set(removed)
    dirty_set = set(dirty.tolist())
    tops = top.tolist()
    src_list, row_off = src.tolist(), old_off[::k].tolist()
    kept: dict[int, dict[int, tuple[str, ...]]] = {}  # dirty row -> earlier links' reasons
    need_i: list[int] = []
    need_j: list[int] = []
    for i in sorted(dirty_set):
        o = src_list[i]
        before: dict[int, tuple[str, ...]] = {}
        if o >= 0:
            for p, j in enumerate(prev.top[o].tolist()):
                if j >= 0 and new_of_old[j] >= 0:
                    before[int(new_of_old[j])] = tuple(
                        old_flat[old_off[o * k + p]:old_off[o * k + p + 1]])
        kept[i] = before
        for j in tops[i]:
            if j >= 0 and (changed[i] or changed[j] or j not in before):
                need_i.append(i)
                need_j.append(j)
    fresh_why = dict(zip(zip(need_i, need_j, strict=True), ctx.many(need_i, need_j),
                         strict=True))
    rows_why: dict[int, list[str]] = {}
    for i in sorted(dirty_set):
        o = src_list[i]
        before = kept[i]
        flat: list[str] = []
        links = []
        for p, j in enumerate(tops[i]):
            if j < 0:
                continue
            r = fresh_why[i, j] if (i, j) in fresh_why else before[j]
            links.append((j, r))
            why_count[i, p] = len(r)
            flat.extend(r)
        rows_why[i] = flat
        if o < 0 or list(before.items()) != links or \
                score[i].tolist() != prev.score[o].tolist():
            out_changed.add(ids[i])
    # The new flat list of reasons: runs of clean rows copied from the old one in one slice
    # each (a run of clean rows is one run of old rows when they follow each other there).
    why: list[str] = []
    run = -1  # first row of the current clean run
    for i in range(n + 1):
        clean_row = i < n and i not in dirty_set
        if clean_row and run >= 0 and src_list[i] == src_list[i - 1] + 1:
            continue
        if run >= 0:
            why += old_flat[row_off[src_list[run]]:row_off[src_list[i - 1] + 1]]
            run = -1
        if clean_row:
            run = i
        elif i < n:
            why += rows_why[i]
    ranked = _ranked(ids, top, score, why_count, why)
    state = RankState(
        params=prev.params, ids=ids, prints=prints, vocab=list(vocab), words=words,
        centibels=centibels, ent_keys=labels.ent_keys,
        ent_df=np.array([labels.ent_df[e] for e in labels.ent_keys], dtype=np.int64),
        ent_names=[labels.ent_names[e] for e in labels.ent_keys], tag_keys=labels.tag_keys,
        tag_df=np.array([labels.tag_df[t] for t in labels.tag_keys], dtype=np.int64),
        indptr=features.indptr.astype(np.int64), indices=features.indices.astype(np.int32),
        data=features.data.astype(np.float32), spell=spell.astype(np.int32), cand=cand,
        base=base, near=near, top=top, score=score,
        why_count=why_count, why=why)
    return RankResult(ranked=ranked, state=state, changed=frozenset(out_changed),
                      incremental=True)


def _splice(prev: RankState, colmap: I64, new_rows: sp.csr_matrix, new_spell: I32,
            changed: npt.NDArray[np.bool_], src: I64, width: int,
            ) -> tuple[sp.csr_matrix | None, I32]:
    """The feature rows after an update: the old rows with their columns renumbered, the
    changed ones replaced; None if an unchanged row names a column that is gone."""
    n, old_n = len(src), len(prev.indptr) - 1
    identity = len(colmap) == 0 or (colmap[0] == 0 and colmap[-1] == len(colmap) - 1
                                    and bool((np.diff(colmap) == 1).all()))
    old_idx = prev.indices if identity else colmap[prev.indices].astype(np.int32)
    if n == old_n and bool((src == np.arange(n)).all()):
        # Same briefs: copy the old cells around the changed rows (one pass per array).
        cut = prev.indptr
        pieces: list[tuple[npt.NDArray[Any], ...]] = []
        at = 0
        for r, e in enumerate(np.flatnonzero(changed).tolist()):
            lo, hi = int(new_rows.indptr[r]), int(new_rows.indptr[r + 1])
            pieces.append((old_idx[at:cut[e]], prev.data[at:cut[e]], prev.spell[at:cut[e]]))
            pieces.append((new_rows.indices[lo:hi].astype(np.int32), new_rows.data[lo:hi],
                           new_spell[lo:hi]))
            at = int(cut[e + 1])
        pieces.append((old_idx[at:], prev.data[at:], prev.spell[at:]))
        indices = np.concatenate([p[0] for p in pieces])
        data = np.concatenate([p[1] for p in pieces])
        spell = np.concatenate([p[2] for p in pieces])
        counts = np.diff(prev.indptr)
        counts[changed] = np.diff(new_rows.indptr)
        out_ptr = np.concatenate(([0], np.cumsum(counts)))
    else:
        pick = np.where(changed, old_n + np.cumsum(changed) - 1, src)
        indptr = np.concatenate([prev.indptr, prev.indptr[-1] + new_rows.indptr[1:]])
        all_idx = np.concatenate([old_idx, new_rows.indices.astype(np.int32)])
        all_data = np.concatenate([prev.data, new_rows.data])
        all_spell = np.concatenate([prev.spell, new_spell])
        counts = np.diff(indptr)[pick]
        out_ptr = np.concatenate(([0], np.cumsum(counts)))
        take = np.repeat(indptr[pick] - out_ptr[:-1], counts) + np.arange(out_ptr[-1])
        indices, data, spell = all_idx[take], all_data[take], all_spell[take]
    if len(indices) and int(indices.min()) < 0:
        return None, spell
    features = sp.csr_matrix((data, indices, out_ptr.astype(np.int64)), shape=(n, max(width, 1)))
    features.has_sorted_indices = True
    return features, spell


def _ranked(ids: Sequence[str], top: I32, score: F64, counts: I32,
            flat: Sequence[str]) -> dict[str, tuple[Related, ...]]:
    """The links as `Related` records, from the link arrays and the flat list of reasons."""
    valid = top.ravel() >= 0  # a row's empty slots come last
    ends = np.cumsum(counts.ravel())
    starts = (ends - counts.ravel())[valid].tolist()
    shared = [tuple(flat[a:b]) for a, b in zip(starts, ends[valid].tolist(), strict=True)]
    names = [ids[j] for j in top.ravel()[valid].tolist()]
    links = list(map(_related, names, score.ravel()[valid].tolist(), shared))
    bounds = np.concatenate(([0], np.cumsum(valid.reshape(top.shape).sum(axis=1)))).tolist()
    return dict(zip(ids, [tuple(links[a:b]) for a, b in itertools.pairwise(bounds)],
                    strict=True))


# `Related(...)` costs 1.2 us (a frozen dataclass sets each field through object.__setattr__);
# writing the three slots directly costs a quarter of that, and 50,000 links are made per
# ranking. The result is the same object (tests compare it with the constructor's).
_SET_ID, _SET_SCORE, _SET_SHARED = (getattr(Related, f).__set__ for f in ("id", "score", "shared"))


def _related(id_: str, score: float, shared: tuple[str, ...]) -> Related:
    out = object.__new__(Related)
    _SET_ID(out, id_)
    _SET_SCORE(out, score)
    _SET_SHARED(out, shared)
    return out


def _keys(values: F32, index: npt.NDArray[np.integer]) -> I64:
    """One int64 per (score, index), larger for a higher score and, on a tie, a lower index:
    all keys differ, so "the m best" is one set whatever the order of computation."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.int32).astype(np.int64)
    ordered = np.where(bits >= 0, bits, -(bits & 0x7FFFFFFF))
    keys: I64 = ordered * (1 << 32) + ((1 << 32) - 1 - index.astype(np.int64))
    return keys


def _diffusion_near(cand: I32, base: F32) -> F32:
    """How close each brief is to each of its candidates in the neighbour graph: the dot
    product of their diffusion embeddings (``_diffusion_embedding``), 0 for padding."""
    emb = _diffusion_embedding(cand, base, cand.shape[0])
    near = np.einsum("id,ijd->ij", emb, emb[np.maximum(cand, 0)])
    near[cand < 0] = 0.0
    out: F32 = np.maximum(near, 0.0).astype(np.float32)
    return out


def _diffusion_embedding(cand: I32, base: F32, n: int) -> F32:
    """Unit vectors whose dot products say how close two briefs are in the graph of each
    brief's strongest candidates: the graph's leading eigenvectors, each weighted by its
    eigenvalue to the power of the diffusion time. Global by nature, but cheap next to
    finding the candidates, and a function of the candidate lists alone, so an incremental
    ranking that keeps those exact gets the same embedding as a cold one.
    """
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


def _final(rows: I64, cand: I32, base: F32, near: F32, days: I64, k: int, half_life: float,
           weights: RelatedWeights, graph: bool) -> tuple[I32, F64]:
    """Final scores of the given rows' candidates and their k best (-1 where fewer)."""
    c, b = cand[rows], base[rows].astype(np.float64)
    score = b
    if graph:
        score = (1.0 - weights.graph) * b + weights.graph * near[rows].astype(np.float64)
    if half_life > 0 and weights.time > 0:
        gap = np.abs(days[rows][:, None] - days[np.maximum(c, 0)])
        uniq, inverse = np.unique(gap, return_inverse=True)
        # Python's scalar power: the same value whatever the array's size or alignment.
        table = np.array([2.0 ** (-float(d) / half_life) for d in uniq.tolist()])
        score = score * ((1.0 - weights.time) + weights.time * table[inverse.reshape(gap.shape)])
    rounded: F64 = np.where((b > 0) & (c >= 0), np.round(score, 4), -1.0)
    order = np.lexsort((c, -rounded), axis=1)[:, :k]
    top = np.take_along_axis(c, order, axis=1).astype(np.int32)
    best = np.take_along_axis(rounded, order, axis=1)
    top[best <= 0] = -1
    best[best <= 0] = 0.0
    if top.shape[1] < k:
        pad = k - top.shape[1]
        top = np.pad(top, ((0, 0), (0, pad)), constant_values=-1)
        best = np.pad(best, ((0, 0), (0, pad)))
    return top, best


class _Reasons:
    """Why two briefs are related: shared entity names (rarest first), then shared tags,
    else the words that weigh most in both (as the first brief spells them)."""

    def __init__(self, docs: Sequence[RelDoc], labels: _Labels, features: sp.csr_matrix,
                 spell: I32, words: Sequence[str], n_text: int) -> None:
        self.docs, self.labels, self.features = docs, labels, features
        self.spell, self.words, self.n_text = spell, words, n_text
        self._cache: dict[int, tuple[list[tuple[str, str]], list[str], bool]] = {}

    def _of(self, i: int) -> tuple[list[tuple[str, str]], list[str], bool]:
        found = self._cache.get(i)
        if found is None:
            d, lab = self.docs[i], self.labels
            ents = [(e, lab.ent_names.get(e, e)) for e in sorted(
                set(d.entities), key=lambda e: (-math.log1p(_LABEL_SCALE / lab.ent_df[e]), e))]
            tags = sorted(set(d.tags), key=lambda t: (-math.log1p(_LABEL_SCALE / lab.tag_df[t]), t))
            repeats = len({name for _, name in ents} | set(tags)) < len(ents) + len(tags)
            found = self._cache[i] = (ents, tags, repeats)
        return found

    def many(self, left: Sequence[int], right: Sequence[int]) -> list[tuple[str, ...]]:
        """The reasons of each link (left[p], right[p])."""
        out: list[tuple[str, ...]] = []
        wordy: list[int] = []
        for p, (i, j) in enumerate(zip(left, right, strict=True)):
            ents, tags, repeats = self._of(i)
            other = self.docs[j]
            shared = [name for e, name in ents if e in other.entities]
            shared += [t for t in tags if t in other.tags]
            if repeats:
                shared = list(dict.fromkeys(shared))
            if not shared:
                wordy.append(p)
            out.append(tuple(shared[:_MAX_REASONS]))
        if wordy:
            words = self._shared_terms(np.array([left[p] for p in wordy], dtype=np.int64),
                                       np.array([right[p] for p in wordy], dtype=np.int64))
            for p, found in zip(wordy, words, strict=True):
                out[p] = found
        return out

    def _shared_terms(self, left: I64, right: I64, limit: int = 3) -> list[tuple[str, ...]]:
        """Per pair, the words weighing most in both briefs' text (as the first spells them),
        for all pairs at once: each pair's rows multiplied cell by cell."""
        mat = self.features
        width = mat.shape[1]
        out: list[tuple[str, ...]] = []
        step = _PAIR_BLOCK // 8  # rows of up to _MAX_TERMS cells each side, gathered
        for lo in range(0, len(left), step):
            a, b = left[lo:lo + step], right[lo:lo + step]
            mine = mat[a]
            both = sp.csr_matrix(mine.multiply(mat[b]))
            both.sum_duplicates()
            keep = both.indices < self.n_text  # words only, not labels
            pair = np.repeat(np.arange(len(a)), np.diff(both.indptr))[keep]
            cols, vals = both.indices[keep], both.data[keep]
            # Exact order (no rounding of a combined key): weight down, then the lower column.
            order = np.lexsort((cols, -vals, pair))
            first = np.searchsorted(pair[order], pair[order], side="left")
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order)) - first
            take = rank < limit
            pair, cols, rank = pair[take], cols[take], rank[take]
            # The first brief's spelling of each shared term: its cell in that brief's row.
            mine_rows = np.repeat(np.arange(len(a), dtype=np.int64), np.diff(mine.indptr))
            where = np.searchsorted(mine_rows * width + mine.indices, pair * width + cols)
            cell = mat.indptr[a[pair]] + (where - mine.indptr[pair])
            word = self.spell[cell]
            order = np.lexsort((rank, pair))
            names = [self.words[w] for w in word[order].tolist()]
            bounds = np.concatenate(([0], np.cumsum(np.bincount(pair, minlength=len(a)))))
            out += [tuple(names[x:y]) for x, y in itertools.pairwise(bounds.tolist())]
        return out


def _text_matrix(docs: Sequence[RelDoc], title_boost: float,
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
    rel_len = np.repeat(length / _REFERENCE_LENGTH, np.diff(count.indptr))
    data = count.data
    # The term's weight is the mean rarity of the spellings the brief uses for it.
    weight = rarity.data / data * (math.log(10.0) / 100.0)
    data = data * (_BM25_K1 + 1) / (data + _BM25_K1 * (1 - _BM25_B + _BM25_B * rel_len))
    matrix = sp.csr_matrix(((data * weight).astype(np.float32), count.indices, count.indptr),
                           shape=shape)
    del sums, rows, factor, cells, count, rarity, rel_len, data, weight, title
    matrix.eliminate_zeros()
    matrix = _normalise(_keep_strongest(matrix, _MAX_TERMS))
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
    unseen = round(-math.log10(_UNSEEN) * 100.0)
    if known is not None:
        found = [known.get(w, -1) for w in words]
        if min(found, default=0) >= 0:
            return np.array(found, dtype=np.int64)
    table = _background()
    return np.array([min(table.get(w, unseen), unseen) for w in words], dtype=np.int64)


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


_NO_KEY = -(1 << 62) - (1 << 32)  # below every real key; safe to negate


def _candidates(features: sp.csr_matrix, m: int) -> tuple[I32, F32]:
    """Each row's m best other rows by direct similarity, sorted by score then index."""
    n = features.shape[0]
    keys = np.full((n, m), _NO_KEY, dtype=np.int64)
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
    return _unkey(-np.sort(-keys, axis=1))


def _row_candidates(features: sp.csr_matrix, rows: I64, m: int) -> tuple[I32, F32]:
    """`_candidates` for some rows only: each against every row (one sparse product)."""
    sims = np.ascontiguousarray((features @ features[rows].T.tocsr()).toarray().T)
    sims[np.arange(len(rows)), rows] = -1.0  # never the brief itself
    keys = _top_keys(sims, 0, m)
    return _unkey(-np.sort(-keys, axis=1))


def _top_keys(vals: F32, first: int, m: int) -> I64:
    """The keys (see `_keys`) of each row's m best columns, columns numbered from ``first``.

    The m largest values are found on the floats (8 bytes a value less than keys); only
    rows where a value equal to the m-th was left out, a tie at the cut, are decided by
    their keys, so the lower index wins there as everywhere."""
    cols = vals.shape[1]
    if m >= cols:
        return _keys(vals, np.broadcast_to(np.arange(first, first + cols), vals.shape))
    pick = _best_columns(vals, m)
    picked = np.take_along_axis(vals, pick, axis=1)
    cut = picked.min(axis=1)
    ties = np.count_nonzero(vals == cut[:, None], axis=1) > np.count_nonzero(
        picked == cut[:, None], axis=1)
    keys = _keys(picked, pick + first)
    if ties.any():
        keys[ties] = _pick(_keys(vals[ties], np.broadcast_to(
            np.arange(first, first + cols), (int(ties.sum()), cols))), m)
    return keys


def _pick(keys: I64, m: int) -> I64:
    """Each row's m largest keys (unordered)."""
    return np.take_along_axis(keys, _best_columns(keys, m), axis=1)


def _merge(a: I64, b: I64, m: int) -> I64:
    """The m largest keys of two lists per row (unordered)."""
    return _pick(np.concatenate([a, b], axis=1), m)


def _unkey(keys: I64) -> tuple[I32, F32]:
    """Index and score back from `_keys` (index -1 for an empty slot)."""
    ordered = keys >> 32
    index = ((1 << 32) - 1 - (keys & 0xFFFFFFFF)).astype(np.int64)
    bits = np.where(ordered >= 0, ordered, (-ordered) | 0x80000000).astype(np.uint32)
    vals: F32 = bits.view(np.float32).copy()
    empty = keys <= _NO_KEY
    index[empty] = -1
    vals[empty] = -2.0
    return index.astype(np.int32), vals


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

def prepare() -> None:
    """Load the word-frequency table now rather than on first use (benchmarks time the rest).

    The ranking child does not call this as it starts: the build sends it the briefs as soon
    as they are loaded and would wait for the table; it is read while the build renders."""
    _background()


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

    write_blobs(path, _STATE_FORMAT, {name: getattr(state, name) for name in _ARRAYS},
                {name: [state.params] if name == "params" else getattr(state, name)
                 for name in _TEXTS})


def load_state(path: Path) -> RankState | None:
    """A state written by `save_state`, or None when the file is missing, damaged or does not
    hold together (every index is checked against the sizes it points into)."""
    from briefgen.store.blobs import read_blobs

    blobs = read_blobs(path, _STATE_FORMAT, _ARRAYS, _TEXTS)
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
