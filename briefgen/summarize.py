"""Extractive summary and key points for a news article (pure, deterministic)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from briefgen.nlp.lexicon import CONTEXT_OPENERS, STOPWORDS
from briefgen.nlp.sentences import split_sentences, word_count, words

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
_DAMPING = 0.85
_ITERATIONS = 30

_CONTEXT_PHRASES = re.compile(
    r"^(?:he|she|they|it)\s+(?:added|also|went on|continued|said|says|told)\b"
    r"|^(?:the|this|that|these|those)\s+(?:comments?|remarks?|move|statement|claims?|decision)\b",
    re.IGNORECASE,
)
_QUOTE_CHARS = "\"“”„«»"


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
    weights = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            weights[i][j] = weights[j][i] = _overlap(sents[i].terms, sents[j].terms)
    out_sum = [sum(row) for row in weights]
    rank = [1.0 / n] * n if n else []
    for _ in range(_ITERATIONS):
        rank = [
            (1 - _DAMPING) / n
            + _DAMPING * sum(weights[j][i] * rank[j] / out_sum[j] for j in range(n) if out_sum[j])
            for i in range(n)
        ]
    top = max(rank, default=0.0)
    return [r / top for r in rank] if top else [0.0] * n


def _stands_alone(text: str, is_first: bool) -> bool:
    """False for sentences that lean on earlier text or are fragments of a quote."""
    first = re.match(r"[\"'“‘(]*([^\W\d_]+)", text)
    if not first:
        return False
    if not is_first and (first.group(1).lower() in CONTEXT_OPENERS or _CONTEXT_PHRASES.match(text)):
        return False
    if text[0] in _QUOTE_CHARS and text.count(text[0]) + text.count("”") < 2:
        return False  # a sentence cut out of a longer quote
    return not text.rstrip().endswith((":", ",", ";"))


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
    for s, c in zip(sents, central):
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
    sents = _sentences(paragraphs)
    if not sents:
        return "", ()
    scores = _scores(title, sents)
    order = sorted(sents, key=lambda s: (-scores[s.index], s.index))
    usable = [s for s in order if s.n_words >= _MIN_WORDS and _stands_alone(s.text, s.index == 0)]
    if not usable:  # a very short or odd text: fall back to its best sentence
        usable = order[:1]
    summary = sorted(_pick(usable, max_sentences, max_words), key=lambda s: s.index)
    rest = [s for s in usable if s not in summary and s.n_words <= _KEY_POINT_MAX_WORDS]
    points = sorted(_pick(rest, 5, 0, summary), key=lambda s: s.index)
    if not points:
        points = summary
    return " ".join(s.text for s in summary), tuple(s.text for s in points)
