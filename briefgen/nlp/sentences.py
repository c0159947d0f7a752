"""Sentence splitting and word tokenising for English news text."""

from __future__ import annotations

import re
from collections.abc import Sequence

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


# Bounded repeats: "[" * 100_000 made unbounded link patterns quadratic (issue 15).
# The classes exclude the opening bracket too, so a run of "[" fails at once at each start.
_IMAGE = re.compile(r"!\[[^\[\]\n]{0,300}\]\([^()\n]{0,2000}\)")
_LINK = re.compile(r"\[([^\[\]\n]{1,300})\]\([^()\n]{0,2000}\)")
_WIKILINK = re.compile(r"\[\[([^\[\]|\n]{1,300})(?:\|([^\[\]\n]{1,300}))?\]\]")
_MARKS = re.compile(r"(?<!\\)(\*\*|__|`)")
_LEAD = re.compile(r"^\s*(?:>\s*)+|^\s*(?:[-*+]|\d{1,3}[.)])\s+")
# A backslash before ASCII punctuation is a Markdown escape: "\[ref\]" reads "[ref]".
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def markdown_to_text(markdown: str) -> str:
    """One Markdown paragraph as plain text: images dropped, link and wikilink text kept,
    emphasis and block markers removed, backslash escapes undone."""
    text = _IMAGE.sub("", markdown)
    text = _WIKILINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _LINK.sub(r"\1", text)
    text = _LEAD.sub("", _MARKS.sub("", text))
    return _ESCAPE.sub(r"\1", text).strip()


def plain_paragraphs(paragraphs: Sequence[str]) -> list[str]:
    """Paragraphs as plain text: Markdown links, emphasis and markers removed, headings dropped."""
    out: list[str] = []
    for paragraph in paragraphs:
        if paragraph.lstrip().startswith("#"):
            continue  # a subhead is a label, not a sentence of the story
        text = markdown_to_text(paragraph)
        if text:
            out.append(text)
    return out
