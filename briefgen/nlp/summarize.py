"""Extractive summary and key points for a news article (pure, deterministic)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from briefgen.nlp.firstnames import is_given_name
from briefgen.nlp.lexicon import CONNECTIVES, CONTEXT_OPENERS, SPEECH_VERBS, STOPWORDS
from briefgen.nlp.sentences import split_sentences, word_count, words
from briefgen.nlp.stem import stem
from briefgen.source.markdown import plain_paragraphs

__all__ = ["split_sentences", "summarize", "summarize_text"]

# Score weights, tuned on the BBC development split only (benchmarks/eval_quality.py: ROUGE-1
# precision at 60 words 0.901 with lead 0.15 and length 0.4, 0.906 with 0.1 and 0.2).
_W_CENTRAL = 1.0  # TextRank centrality, normalised to the best sentence
# The BBC references are not lead-heavy (a lead prior costs ROUGE there), but a reader
# expects the news lede, so keep a small prior that mostly lifts the first two sentences.
_W_LEAD = 0.1
_LEAD_DECAY = 1.0
_W_TITLE = 0.2  # overlap with the headline
_W_LENGTH = 0.2  # favours full sentences over fragments; at a 60-word cap, lower is more precise
_LENGTH_NORM = 40
# Centrality compares every pair of sentences; a text longer than this is no news article,
# and its first sentences hold its gist.
_MAX_SENTENCES = 300
_MIN_WORDS = 6  # shorter sentences are captions, datelines or fragments
_REDUNDANT = 0.6  # cosine above which a candidate repeats a chosen sentence
_KEY_POINT_MAX_WORDS = 36
_MAX_KEY_POINTS = 5
_DAMPING = 0.85
_ITERATIONS = 30

_CONTEXT_PHRASES = re.compile(
    r"^(?:he|she|they|it)\s+(?:added|also|went on|continued|said|says|told)\b"
    r"|^(?:the|this|that|these|those)\s+(?:comments?|remarks?|move|statement|claims?|decision"
    r"|newspaper|paper|daily|report|broadcaster|agency|magazine)\b",
    re.IGNORECASE,
)
_ENDS = re.compile(r"[.!?…][\"'”’)\]]*$")
# "..., the newspaper wrote." / "..." he added.": who is meant depends on the sentence before.
_DANGLING = re.compile(
    r"[,”\"]\s*(?:he|she|they|it|the\s+[a-z]+)\s+"
    r"(?:said|says|wrote|writes|added|adds|reported|reports|noted|argued|explained)\.$",
    re.IGNORECASE,
)
# Speaking in the first person, or a quote on its own: who speaks is in the sentence before,
# unless this one names a speaker ("We are not out of the woods," the minister said.).
_FIRST_PERSON = re.compile(
    r"\b(?:I|I'm|I've|I'd|I'll|me|my|mine|we|us|our|ours)\b|^[\"'“‘(]*(?:We|My|Our)\b"
)
_QUOTE_OPEN = re.compile(r"^[\"“‘']")
_GIVEN_SURNAME = re.compile(r"\b([A-Z][a-z]+)\s+([A-Z][a-z][\w'’-]*)\b")
_CAP_WORD = re.compile(r"\b[A-Z][a-z][\w'’-]*")
_FULL_NAME = re.compile(r"\b[A-Z][\w'’-]+\s+([A-Z][\w'’-]+)")
_SURNAME_LEAD = re.compile(r"([A-Z][\w'’-]+)\s+(?:said|says|told|added|believes|thinks)\b")
_CONNECTIVE_LEAD = re.compile(r"([A-Za-z]+)(?:\s+far)?,?\s+(?=\w)")
# Where a long sentence can be cut and still say something: before a subordinate clause.
# Not at a dash: "The US ban on trade - imposed in 1986 - ended" would lose its verb.
_CLAUSE_BREAK = re.compile(
    r"\s*(?:;|,\s+(?:which|while|since|although|though|but|as|because|despite|after)\b)"
)


@dataclass(frozen=True, slots=True)
class _Sentence:
    """A sentence with its position and its comparable terms."""

    index: int
    paragraph: int
    text: str
    n_words: int
    terms: Counter[str]


def _terms(text: str) -> Counter[str]:
    """Stemmed content words of a text."""
    return Counter(stem(w) for w in words(text) if w.lower() not in STOPWORDS and not w.isdigit())


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
    # numpy loads on the first summary, not with the module: the build imports this module
    # for automatic summaries, and a build of briefs that all carry one never needs numpy
    # (it cost 56 ms and 14 MB of every build's main process).
    import numpy as np

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


def _full_names(paragraphs: Sequence[str]) -> dict[str, str]:
    """Surname -> "Given Surname" for people named in full, when only one person has it."""
    found: dict[str, set[str]] = {}
    for p in paragraphs:
        for m in _GIVEN_SURNAME.finditer(p):
            if is_given_name(m.group(1)):
                found.setdefault(m.group(2), set()).add(m.group(0))
    return {last: next(iter(names)) for last, names in found.items() if len(names) == 1}


def _with_full_names(text: str, full_names: dict[str, str], before: str = "") -> str:
    """ "According to Kramnik, ..." -> "According to Ilya Kramnik, ...": a bullet is read on
    its own, so a surname met alone gets the given name it had earlier in the article."""
    for m in _CAP_WORD.finditer(text):
        full = full_names.get(m.group(0).rstrip("’'s") or m.group(0), "")
        full = full or full_names.get(m.group(0), "")
        if not full or full in text or full in before:
            continue
        before = text[: m.start()].rstrip().rsplit(" ", 1)[-1]
        if before[:1].isupper() and before.isalpha():
            continue  # "Mr Kramnik", "Ilya Kramnik": named already
        return text[: m.start()] + full + text[m.start() + len(full.split()[-1]) :]
    return text


def _unattributed_voice(text: str) -> bool:
    """True for a quote or first-person sentence that names no speaker: "We are up for this."
    or "If we stagnate it's impossible to progress." read as nobody's words on their own."""
    if not (_FIRST_PERSON.search(text) or _QUOTE_OPEN.match(text)):
        return False
    lowered = text.lower()
    if "according to" in lowered:
        return False
    return not any(w.lower() in SPEECH_VERBS for w in words(text))


def _whole(text: str) -> bool:
    """A sentence that ends in its own punctuation and no dangling attribution."""
    return bool(_ENDS.search(text)) and not _DANGLING.search(text)


def _stands_alone(text: str, is_first: bool, surnames: frozenset[str] = frozenset()) -> bool:
    """False for sentences that lean on earlier text or are fragments of a quote."""
    first = re.match(r"[\"'“‘(]*([^\W\d_]+)", text)
    if not first or not _balanced_quotes(text) or _bare_surname_lead(text, surnames):
        return False
    if not _whole(text):
        return False
    if not is_first and (
        first.group(1).lower() in CONTEXT_OPENERS
        or _CONTEXT_PHRASES.match(text)
        or _unattributed_voice(text)
    ):
        return False
    return not text.rstrip().endswith((":", ",", ";"))


def _as_point(text: str, full_names: dict[str, str] | None = None) -> str:
    """A short, self-contained bullet from a sentence, or "" when none can be made."""
    if not _balanced_quotes(text) or _CONTEXT_PHRASES.match(text) or not _whole(text):
        return ""
    if _unattributed_voice(text):
        return ""
    text = _with_full_names(text, full_names or {})
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
        if max_words and total + s.n_words > max_words:
            continue
        if any(_cosine(s.terms, c.terms) > _REDUNDANT for c in (*chosen, *avoid)):
            continue
        chosen.append(s)
        total += s.n_words
    return chosen


def summarize(
    title: str, paragraphs: Sequence[str], *, max_sentences: int = 3, max_words: int = 60
) -> tuple[str, tuple[str, ...]]:
    """Pick 1-3 gist sentences (in document order) and 3-5 short key points from Markdown
    paragraphs (read as plain text through the renderer's own parser)."""
    return summarize_text(
        title, plain_paragraphs(paragraphs), max_sentences=max_sentences, max_words=max_words
    )


def summarize_text(
    title: str,
    paragraphs: Sequence[str],
    *,
    max_sentences: int = 3,
    max_words: int = 60,
    key_points: bool = True,
    keep_lede: bool = False,
) -> tuple[str, tuple[str, ...]]:
    """``summarize`` on paragraphs that are plain text already (``BodyFacts.paragraphs``);
    ``key_points=False`` skips the points when only the summary is wanted. ``keep_lede``
    takes the opening sentence first when it stands alone: a brief a person wrote opens with
    its point, and a later sentence ("The group's proposal…") often leans on it."""
    sents = _sentences(paragraphs)[:_MAX_SENTENCES]
    if not sents:
        return "", ()
    scores = _scores(title, sents)
    order = sorted(sents, key=lambda s: (-scores[s.index], s.index))
    surnames = _surnames(paragraphs)
    full_names = _full_names(paragraphs)
    usable = [
        s
        for s in order
        if s.n_words >= _MIN_WORDS and _stands_alone(s.text, s.index == 0, surnames)
    ]
    if keep_lede and usable and any(s.index == 0 for s in usable):
        usable = sorted(usable, key=lambda s: s.index != 0)  # stable: the rest keep their rank
    picked = _pick(usable, max_sentences, max_words)
    if not picked:  # a very short or odd text: its best whole sentence, however long
        picked = (usable or order)[:1]
    summary = sorted(picked, key=lambda s: s.index)
    texts: list[str] = []
    spare = max_words - sum(s.n_words for s in summary) if max_words else 1 << 30
    for s in summary:  # "According to Lopez" -> "According to Maria Lopez", once per summary
        text = _with_full_names(s.text, full_names, " ".join(texts))
        added = word_count(text) - s.n_words
        if added > spare:
            text = s.text  # the word budget holds; the name stays as the article gave it
        spare -= word_count(text) - s.n_words
        texts.append(text)
    points = _key_points(order, summary, surnames, full_names) if key_points else ()
    return " ".join(texts), points


def _key_points(
    order: Sequence[_Sentence],
    summary: Sequence[_Sentence],
    surnames: frozenset[str],
    full_names: dict[str, str],
) -> tuple[str, ...]:
    """Up to five short bullets the summary does not already say, spread over the article:
    the best sentence of each third of the article in turn, then the next best of each."""
    chosen = {s.index for s in summary}
    n_sents = max(s.index for s in order) + 1
    thirds: list[list[tuple[int, str, Counter[str]]]] = [[], [], []]
    for s in order:  # best first within each third
        if s.index in chosen or s.n_words < _MIN_WORDS:
            continue
        if _bare_surname_lead(s.text, surnames) and not full_names:
            continue
        text = _as_point(s.text, full_names)
        if text:
            thirds[min(2, 3 * s.index // n_sents)].append((s.index, text, _terms(text)))
    points: list[tuple[int, str, Counter[str]]] = []
    summary_terms = [c.terms for c in summary]
    while len(points) < _MAX_KEY_POINTS and any(thirds):
        for part in thirds:
            while part and len(points) < _MAX_KEY_POINTS:
                index, text, terms = part.pop(0)
                others = [p[2] for p in points] + summary_terms
                if all(_cosine(terms, other) <= _REDUNDANT for other in others):
                    points.append((index, text, terms))
                    break
    if not points:  # nothing else to say: the summary sentences are the points
        return tuple(s.text for s in summary)
    return tuple(text for _, text, _ in sorted(points))


_MIN_KEY_POINTS = 3


def with_quotes(
    summary: str, points: Sequence[str], quotes: Sequence[tuple[str, str]]
) -> tuple[str, ...]:
    """Key points topped up to three with attributed quotes, ``Speaker: “words”``.

    A short interview piece leaves few sentences that stand alone (most are quotes whose
    speaker is in the sentence before); a quote with its speaker's full name in front reads
    alone. One quote per speaker first, in the article's order; none that repeats the summary
    or a point; nothing added when the points are three or more already.
    """
    out = list(points)
    if len(out) >= _MIN_KEY_POINTS:
        return tuple(out)
    taken = [_terms(summary), *(_terms(p) for p in out)]
    speakers: set[str] = set()
    for second_round in (False, True):
        for speaker, text in quotes:
            if len(out) >= _MIN_KEY_POINTS:
                break
            if not speaker or not text or (speaker in speakers and not second_round):
                continue
            if not _whole(text) or word_count(text) > _KEY_POINT_MAX_WORDS:
                continue
            terms = _terms(text)
            if not terms or any(_cosine(terms, t) > _REDUNDANT for t in taken):
                continue
            out.append(f"{speaker}: “{text}”")
            taken.append(terms)
            speakers.add(speaker)
    return tuple(out)
