"""Sentence splitting and word tokenising for English news text."""

from __future__ import annotations

import re

# Words whose trailing dot rarely ends a sentence (titles, months, Latin shorthands).
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt gen col lt sgt capt cmdr adm gov sen rep rev hon vs v no nos
    jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e etc approx fig al u.s u.k u.n a.m
    p.m cf
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# A boundary candidate: terminal punctuation, optional closing quotes/brackets, whitespace.
_CANDIDATE = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")
_OPENERS = "\"'“‘([«"
_LAST_WORD = re.compile(r"([^\W\d_][\w.]*)\.$")
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


def _starts_sentence(rest: str) -> bool:
    """True when the text after a candidate boundary looks like a new sentence."""
    head = rest.lstrip(_OPENERS)
    return bool(head) and (head[0].isupper() or head[0].isdigit())


def _is_abbreviation(chunk: str) -> bool:
    """True when the chunk ends in an abbreviation or a single initial."""
    match = _LAST_WORD.search(chunk.rstrip("\"'”’)]"))
    if not match:
        return False
    word = match.group(1).lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; every line break is a boundary."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        start = 0
        for match in _CANDIDATE.finditer(line):
            if not _starts_sentence(line[match.end() :]):
                continue
            chunk = line[start : match.end()].rstrip()
            if chunk.endswith(".") and _is_abbreviation(chunk):
                continue
            if chunk:
                out.append(chunk)
            start = match.end()
        tail = line[start:].strip()
        if tail:
            out.append(tail)
    return out


def words(text: str) -> list[str]:
    """Word tokens (letters and digits, inner hyphens and apostrophes kept)."""
    return _WORD.findall(text)


def word_count(text: str) -> int:
    """Number of word tokens, counted the way the evaluation does (``\\w+``)."""
    return len(re.findall(r"\w+", text))
