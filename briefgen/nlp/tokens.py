"""Word tokens of a paragraph and the shape tests the name rules build on."""

from __future__ import annotations

import re
from typing import NamedTuple

from briefgen.nlp.namewords import PLAIN_ACRONYMS
from briefgen.nlp.sentences import split_sentences

_TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[^\W_]+(?:[-'’&][^\W_]+)*|[^\w\s]")
# Model numbers and codes: S-400, F-35, MiG-29, COVID-19, A380.
_CODE = re.compile(r"^(?:[A-Z]{1,5}|[A-Z][a-z]?[A-Z]?)-?\d{1,5}[A-Z]?s?$")
_NOT_CODES = re.compile(r"^(?:Q[1-4]|H[12]|[A-Z]\d?)$")
_ACRONYM = re.compile(r"^[A-Z][A-Z&]{1,6}$")
_POSSESSIVE = ("’s", "'s", "’", "'")
# Names that start in lower case: "iTunes", "eBay", "al-Qaeda".
INNER_CAP = re.compile(r"(?:[a-z]{1,2}[A-Z]|(?:al|el|ad)-[A-Z])")
_OPENING = frozenset("\"“‘'([«:")


class Token(NamedTuple):
    """A word or punctuation mark with its offsets in the paragraph."""

    text: str
    start: int
    end: int
    initial: bool  # first word of a sentence or of a quote


def bare(text: str) -> str:
    """A token without a possessive ending."""
    if not text.endswith(("s", "'", "’")):
        return text  # the common case, kept cheap: this runs for every token
    for ending in _POSSESSIVE:
        if text.endswith(ending) and len(text) > len(ending) + 1:
            return text[: -len(ending)]
    return text


def is_possessive(text: str) -> bool:
    """True for "Turkey’s" and "allies’"."""
    return bare(text) != text


def is_cap(text: str) -> bool:
    """True for words that start with a capital letter, but not for adjectives made from a
    name ("UK-based", "Vioxx-related", "X-ray"): their last part is lower case."""
    if not text[0].isupper():
        return bool(INNER_CAP.match(text))  # "iTunes", "al-Qaeda"
    head, dash, tail = text.rpartition("-")
    if dash and tail.isalpha() and tail.islower():
        return not (len(head) >= 3 or head.isupper())  # "Co-operation" stays a name word
    return True


def is_code(text: str) -> bool:
    """True for model numbers and codes such as S-400."""
    stem = bare(text)
    if not _CODE.match(stem) or _NOT_CODES.match(stem):
        return False
    return stem not in PLAIN_ACRONYMS and stem.removesuffix("s") not in PLAIN_ACRONYMS


def code_name(text: str) -> str:
    """Canonical code: no possessive, no plural s ("S-400s" -> "S-400")."""
    stem = bare(text)
    return stem[:-1] if stem.endswith("s") and stem[-2].isdigit() else stem


def is_acronym(text: str) -> bool:
    """True for upper-case abbreviations like NATO."""
    return bool(_ACRONYM.match(text)) or bool(re.fullmatch(r"(?:[A-Z]\.){2,}", text))


def tokenize(paragraph: str) -> list[Token]:
    """Tokens of a paragraph, marking those that start a sentence or a quote."""
    starts: set[int] = set()
    cursor = 0
    for sentence in split_sentences(paragraph):
        at = paragraph.find(sentence, cursor)
        if at >= 0:
            starts.add(at)
            cursor = at + len(sentence)
    tokens: list[Token] = []
    fresh = True
    for match in _TOKEN.finditer(paragraph):
        text = match.group()
        if match.start() in starts:
            fresh = True
        if not (text[0].isalnum()):
            fresh = fresh or text in _OPENING
            tokens.append(Token(text, match.start(), match.end(), False))
            continue
        tokens.append(Token(text, match.start(), match.end(), fresh))
        fresh = False
    return tokens
