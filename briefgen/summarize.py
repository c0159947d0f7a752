"""Extractive summary and key points for a news article (pure, deterministic)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from briefgen.nlp.lexicon import CONNECTIVES, CONTEXT_OPENERS, STOPWORDS
from briefgen.nlp.sentences import plain_paragraphs, split_sentences, word_count, words

__all__ = ["split_sentences", "summarize"]

# Score weights, tuned on the BBC development split only (benchmarks/eval_summary.py).
_W_CENTRAL = 1.0  # TextRank centrality, normalised to the best sentence
# The BBC references are not lead-heavy (a lead prior costs ROUGE there), but a reader
# expects the news lede, so keep a small prior that mostly lifts the first two sentences.
_W_LEAD = 0.15
_LEAD_DECAY = 1.0
_W_TITLE = 0.2  # overlap with the headline
_W_LENGTH = 0.4  # ROUGE and readers both favour full, informative sentences over fragments
_LENGTH_NORM = 40
_MIN_WORDS = 6  # shorter sentences are captions, datelines or fragments
_REDUNDANT = 0.6  # cosine above which a candidate repeats a chosen sentence
_KEY_POINT_MAX_WORDS = 30
_MAX_KEY_POINTS = 5
_DAMPING = 0.85
_ITERATIONS = 30

_CONTEXT_PHRASES = re.compile(
    r"^(?:he|she|they|it)\s+(?:added|also|went on|continued|said|says|told)\b"
    r"|^(?:the|this|that|these|those)\s+(?:comments?|remarks?|move|statement|claims?|decision)\b",
    re.IGNORECASE,
)
_FULL_NAME = re.compile(r"\b[A-Z][\w'’-]+\s+([A-Z][\w'’-]+)")
_SURNAME_LEAD = re.compile(r"([A-Z][\w'’-]+)\s+(?:said|says|told|added|believes|thinks)\b")
_CONNECTIVE_LEAD = re.compile(r"([A-Za-z]+)(?:\s+far)?,?\s+(?=\w)")
# Where a long sentence can be cut and still say something: before a subordinate clause.
_CLAUSE_BREAK = re.compile(
    r"\s*(?:;|\s[–—-]\s|,\s+(?:which|while|since|although|though|but|as|because|despite|after)\b)"
)


@dataclass(frozen=True, slots=True)
class _Sentence:
    """A sentence with its position and its comparable terms."""

    index: int
    paragraph: int
    text: str
    n_words: int
    terms: Counter[str]


def _stem(word: str) -> str:
    """A light suffix stripper: enough to match 'missiles' with 'missile'."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4:
        for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("ly", "")):
            if w.endswith(suffix):
                return w[: -len(suffix)] + repl
        if w.endswith("s") and not w.endswith("ss"):
            return w[:-1]
    return w


def _terms(text: str) -> Counter[str]:
    """Stemmed content words of a text."""
    return Counter(_stem(w) for w in words(text) if w.lower() not in STOPWORDS and not w.isdigit())


def _overlap(a: Counter[str], b: Counter[str]) -> float:
    """TextRank similarity: shared terms over the log of the lengths."""
    shared = len(a.keys() & b.keys())
    if not shared:
        return 0.0
    na, nb = sum(a.values()), sum(b.values())
    return shared / (math.log(na + 1) + math.log(nb + 1))


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    """Cosine similarity of two term bags."""
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    if not dot:
        return 0.0
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def _centrality(sents: Sequence[_Sentence]) -> list[float]:
    """PageRank over the sentence similarity graph, scaled so the top sentence is 1."""
    n = len(sents)
    weights = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            weights[i, j] = weights[j, i] = _overlap(sents[i].terms, sents[j].terms)
    out_sum = weights.sum(axis=1, keepdims=True)
    transition = np.divide(weights, out_sum, out=np.zeros_like(weights), where=out_sum > 0)
    rank = np.full(n, 1.0 / n)
    for _ in range(_ITERATIONS):
        rank = (1 - _DAMPING) / n + _DAMPING * (transition.T @ rank)
    top = float(rank.max()) if n else 0.0
    return [float(r) / top for r in rank] if top else [0.0] * n


def _balanced_quotes(text: str) -> bool:
    """False for a sentence cut out of a longer quote (an unmatched quote mark)."""
    return text.count("“") == text.count("”") and text.count('"') % 2 == 0


def _surnames(paragraphs: Sequence[str]) -> frozenset[str]:
    """Last words of two-word capitalised names ("Daniel Okafor" gives "Okafor")."""
    return frozenset(m.group(1) for p in paragraphs for m in _FULL_NAME.finditer(p))


def _bare_surname_lead(text: str, surnames: frozenset[str]) -> bool:
    """True for "Okafor said ...": a surname alone only makes sense after the full name."""
    match = _SURNAME_LEAD.match(text)
    return match is not None and match.group(1) in surnames


def _stands_alone(text: str, is_first: bool, surnames: frozenset[str] = frozenset()) -> bool:
    """False for sentences that lean on earlier text or are fragments of a quote."""
    first = re.match(r"[\"'“‘(]*([^\W\d_]+)", text)
    if not first or not _balanced_quotes(text) or _bare_surname_lead(text, surnames):
        return False
    if not is_first and (first.group(1).lower() in CONTEXT_OPENERS or _CONTEXT_PHRASES.match(text)):
        return False
    return not text.rstrip().endswith((":", ",", ";"))


def _as_point(text: str) -> str:
    """A short, self-contained bullet from a sentence, or "" when none can be made."""
    if not _balanced_quotes(text) or _CONTEXT_PHRASES.match(text):
        return ""
    # "However, it may be too early ..." -> "It may be too early ...": the link word needs
    # the sentence before, the claim does not.
    match = _CONNECTIVE_LEAD.match(text)
    if match and match.group(1).lower() in CONNECTIVES:
        rest = text[match.end() :]
        text = rest[:1].upper() + rest[1:]
    first = re.match(r"[\"'“‘(]*([^\W\d_]+)", text)
    if not first or first.group(1).lower() in CONTEXT_OPENERS or not text[0].isupper():
        return ""
    if word_count(text) > _KEY_POINT_MAX_WORDS:
        cut = _CLAUSE_BREAK.search(text, pos=len(" ".join(text.split()[:8])))
        if not cut:
            return ""
        text = text[: cut.start()].rstrip(" ,;") + "."
        if word_count(text) > _KEY_POINT_MAX_WORDS or not _balanced_quotes(text):
            return ""
    return text


def _sentences(paragraphs: Sequence[str]) -> list[_Sentence]:
    """Every sentence of the article, in order."""
    out: list[_Sentence] = []
    for p_index, paragraph in enumerate(paragraphs):
        for text in split_sentences(paragraph):
            out.append(_Sentence(len(out), p_index, text, word_count(text), _terms(text)))
    return out


def _scores(title: str, sents: Sequence[_Sentence]) -> list[float]:
    """Centrality plus lead and headline priors for each sentence."""
    central = _centrality(sents)
    title_terms = _terms(title)
    scores = []
    for s, c in zip(sents, central, strict=True):
        lead = math.exp(-_LEAD_DECAY * s.index)
        head = _cosine(s.terms, title_terms) if title_terms else 0.0
        length = min(s.n_words, _LENGTH_NORM) / _LENGTH_NORM
        scores.append(_W_CENTRAL * c + _W_LEAD * lead + _W_TITLE * head + _W_LENGTH * length)
    return scores


def _pick(
    ranked: Sequence[_Sentence], limit: int, max_words: int, avoid: Sequence[_Sentence] = ()
) -> list[_Sentence]:
    """Greedy choice by rank under a sentence and word budget, skipping repeats."""
    chosen: list[_Sentence] = []
    total = 0
    for s in ranked:
        if len(chosen) >= limit:
            break
        if max_words and total + s.n_words > max_words and (chosen or s is not ranked[0]):
            continue
        if any(_cosine(s.terms, c.terms) > _REDUNDANT for c in (*chosen, *avoid)):
            continue
        chosen.append(s)
        total += s.n_words
    return chosen


def summarize(
    title: str, paragraphs: Sequence[str], *, max_sentences: int = 3, max_words: int = 60
) -> tuple[str, tuple[str, ...]]:
    """Pick 1-3 gist sentences (in document order) and 3-5 short key points."""
    paragraphs = plain_paragraphs(paragraphs)
    sents = _sentences(paragraphs)
    if not sents:
        return "", ()
    scores = _scores(title, sents)
    order = sorted(sents, key=lambda s: (-scores[s.index], s.index))
    surnames = _surnames(paragraphs)
    usable = [
        s
        for s in order
        if s.n_words >= _MIN_WORDS and _stands_alone(s.text, s.index == 0, surnames)
    ]
    if not usable:  # a very short or odd text: fall back to its best sentence
        usable = order[:1]
    summary = sorted(_pick(usable, max_sentences, max_words), key=lambda s: s.index)
    return " ".join(s.text for s in summary), _key_points(order, summary, surnames)


def _key_points(
    order: Sequence[_Sentence], summary: Sequence[_Sentence], surnames: frozenset[str]
) -> tuple[str, ...]:
    """Up to five short bullets from the best sentences the summary does not already say."""
    chosen = {s.index for s in summary}
    points: list[tuple[int, str, Counter[str]]] = []
    for s in order:
        if len(points) >= _MAX_KEY_POINTS:
            break
        skip = s.index in chosen or s.n_words < _MIN_WORDS or _bare_surname_lead(s.text, surnames)
        text = "" if skip else _as_point(s.text)
        terms = _terms(text)
        others = [p[2] for p in points] + [c.terms for c in summary]
        if text and all(_cosine(terms, other) <= _REDUNDANT for other in others):
            points.append((s.index, text, terms))
    if not points:  # nothing else to say: the summary sentences are the points
        return tuple(s.text for s in summary)
    return tuple(text for _, text, _ in sorted(points))
