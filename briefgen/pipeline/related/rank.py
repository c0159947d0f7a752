"""Related-brief ranking: features, candidates and the graph signal, scored together.

``rank_state`` ranks and returns a state from which the next ranking redoes only the rows
an edit touches: feature rows and candidates of changed briefs, then the rows whose lists
they enter or leave, with the same per-row and per-pair steps as a cold ranking; the graph
signal is made again from the candidate lists. The result equals a cold ranking exactly.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import marshal
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from briefgen.model import Related
from briefgen.pipeline.related.candidates import (
    CANDIDATES,
    EXACT_UP_TO,
    NO_KEY,
    PAIR_BLOCK,
    all_candidates,
    pair_keys,
    pruned_candidates,
    row_candidates,
    unkey,
)
from briefgen.pipeline.related.features import (
    BM25_B,
    BM25_K1,
    F32,
    F64,
    I32,
    I64,
    LABEL_SCALE,
    MAX_TERMS,
    REFERENCE_LENGTH,
    UNSEEN,
    Labels,
    RelatedWeights,
    RelDoc,
    assemble,
    label_stats,
    text_matrix,
)
from briefgen.pipeline.related.graph import (
    EIGEN_TOL,
    GRAPH_DIMS,
    GRAPH_MIN_DOCS,
    GRAPH_NEIGHBOURS,
    GRAPH_STEPS,
    diffusion_near,
)

_REFRESH_SHARE = 0.05  # above this share of changed briefs, rank cold


STATE_FORMAT = "briefgen-related-state-2"


_MAX_REASONS = 5


DEFAULT_WEIGHTS = RelatedWeights()


def rank_related(
    docs: Sequence[RelDoc], *, k: int = 5, half_life_days: float = 30.0,
    weights: RelatedWeights = DEFAULT_WEIGHTS, exact_up_to: int = EXACT_UP_TO,
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
    weights: RelatedWeights = DEFAULT_WEIGHTS, exact_up_to: int = EXACT_UP_TO,
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
    m = min(max(CANDIDATES, 2 * k), n - 1)
    exact = n <= exact_up_to
    params = _params(k, half_life_days, weights, m, exact, n >= GRAPH_MIN_DOCS)
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
    return repr((STATE_FORMAT, __version__, k, float(half_life), shares, m, exact, graph,
                 MAX_TERMS, REFERENCE_LENGTH, BM25_K1, BM25_B, UNSEEN, LABEL_SCALE,
                 GRAPH_NEIGHBOURS, GRAPH_DIMS, EIGEN_TOL, GRAPH_STEPS))


def _cold(ordered: Sequence[RelDoc], ids: list[str], prints: list[str], params: str, m: int,
          k: int, half_life: float, weights: RelatedWeights, exact: bool) -> RankResult:
    n = len(ordered)
    text = text_matrix(ordered, weights.title_boost)
    labels = label_stats(ordered)
    features, spell = assemble(text.matrix, text.spell, ordered, labels, weights)
    if exact:
        cand, base = all_candidates(features, m)
    else:
        cand, base = pruned_candidates(features, m)
    graph = weights.graph > 0 and n >= GRAPH_MIN_DOCS
    near: F32 = diffusion_near(cand, base) if graph else np.zeros(cand.shape, np.float32)
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
    labels = label_stats(ordered)
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
    fresh = text_matrix([ordered[i] for i in edited.tolist()], weights.title_boost,
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
    new_rows, new_spell = assemble(text, fresh.spell + len(prev.words),
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
        floor = pair_keys(base[:, -1], cand[:, -1])  # every row outside a list scores below it
        enter = (pair_keys(sims, np.broadcast_to(edited, sims.shape)) > floor[:, None]).any(axis=1)
        holds = (is_e[np.maximum(cand, 0)] & (cand >= 0)).any(axis=1)
        rows_ok = np.flatnonzero((enter | holds) & ~changed & ~lost)
        touched[rows_ok] = True
        oc, ob = cand[rows_ok], base[rows_ok].copy()
        col_of = np.full(n, -1, dtype=np.int64)
        col_of[edited] = np.arange(len(edited))
        in_e = col_of[oc] >= 0
        ob[in_e] = sims[rows_ok[:, None].repeat(m, 1)[in_e], col_of[oc[in_e]]]
        extra_k = pair_keys(sims[rows_ok], np.broadcast_to(edited, (len(rows_ok), len(edited))))
        dup = (oc[:, :, None] == edited[None, None, :]).any(axis=1)
        extra_k[dup] = NO_KEY
        pool = np.concatenate([pair_keys(ob, oc), extra_k], axis=1)
        best = -np.sort(-pool, axis=1)[:, :m]
        sure = best[:, -1] >= floor[rows_ok]
        c2, b2 = unkey(best)
        cand[rows_ok[sure]], base[rows_ok[sure]] = c2[sure], b2[sure]
        full.update(rows_ok[~sure].tolist())
    redo = np.array(sorted(full), dtype=np.int64)
    if len(redo) > 4 * limit:
        return None
    if len(redo):
        cand[redo], base[redo] = row_candidates(features, redo, m)
    same = np.ones(n, dtype=bool)
    same[redo] = False
    same[changed] = False
    look = np.flatnonzero(touched & same)
    same[look] = ((cand[look] == new_of_old[prev.cand[src[look]]]).all(axis=1)
                  & (base[look] == prev.base[src[look]]).all(axis=1))
    moved_rows = np.flatnonzero(~same)  # rows whose candidates or their scores changed
    stay = np.flatnonzero(same)
    graph = weights.graph > 0 and n >= GRAPH_MIN_DOCS
    touched = np.zeros(n, dtype=bool)
    touched[moved_rows] = True
    touched |= changed
    if graph:
        # The neighbourhood signal is global (the graph's leading eigenvectors): made again
        # from the candidate lists, which are the cold ranking's own, so it is the cold one.
        # Every row whose signal moved is scored again.
        near = diffusion_near(cand, base)
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

    def __init__(self, docs: Sequence[RelDoc], labels: Labels, features: sp.csr_matrix,
                 spell: I32, words: Sequence[str], n_text: int) -> None:
        self.docs, self.labels, self.features = docs, labels, features
        self.spell, self.words, self.n_text = spell, words, n_text
        self._cache: dict[int, tuple[list[tuple[str, str]], list[str], bool]] = {}

    def _of(self, i: int) -> tuple[list[tuple[str, str]], list[str], bool]:
        found = self._cache.get(i)
        if found is None:
            d, lab = self.docs[i], self.labels
            ents = [(e, lab.ent_names.get(e, e)) for e in sorted(
                set(d.entities), key=lambda e: (-math.log1p(LABEL_SCALE / lab.ent_df[e]), e))]
            tags = sorted(set(d.tags), key=lambda t: (-math.log1p(LABEL_SCALE / lab.tag_df[t]), t))
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
        step = PAIR_BLOCK // 8  # rows of up to MAX_TERMS cells each side, gathered
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

