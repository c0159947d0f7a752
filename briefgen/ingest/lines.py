"""Lines of a page dump and what they look like: length, ending, function words, junk patterns."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from briefgen.ingest.dates import is_meta_line

WORD = re.compile(r"\w+")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# Not ")" or "]": lines ending "(185)" or "[photo]" are counters and alt texts, not sentences.
END = re.compile(r"[.!?:;…。！？」』\"”’»]\s*$")
SENTENCE_END = re.compile(r"[.!?…。！？][\"”’»)]?\s*$")
BULLET = re.compile(r"^(?:[•·▪◦○●□■☆★◆♦►▶»*+\-–—]|\d{1,2}[.)])\s*")
BRACKETED = re.compile(r"^\[[^\]]*\]$")
# Lines that pages print around every article; the rest is judged by shape and content.
# Page furniture is short; longer lines skip the patterns (and their cost on huge lines).
MAX_PATTERN_CHARS = 1000
JUNK = re.compile(
    r"^(?:advertisement|advertising|anzeige|publicidad|pubblicità|publicité|реклама|reklam|iklan|"
    r"sponsored(?: content)?|exit mobile version|skip to (?:main )?content|"
    r"share(?: this)?(?: article| story)?:?|"
    r"read more\b.*|related\b.*:.*|see also:.*|more from\b.*|recommended\b.*|you may also like.*|"
    r"(?:photo|image|picture|video|credit|source|foto|fotoğraf)\s*:.*|image \d+ of.*|\d+\s*/\s*\d+|"
    r"back to gallery|caption|close|loading\.*|comments?|\d+ comments?|leave a (?:comment|reply).*|"
    r"tags?:.*|filed under:?.*|categor(?:y|ies):.*|sign up\b.*|subscribe\b.*|newsletter\b.*|"
    r"follow us\b.*|follow\b.{0,60}\b(?:twitter|facebook|instagram|youtube|linkedin)\b.*|"
    r"(?:image|photo) copyright\b.*|(?:twitter|instagram|facebook) post by\b.*|"
    r"(?=.{0,100}$).*\b(?:subscri\w+|newsletter|sign up|log ?in)\b.*|"
    r"(?:©|\(c\)|copyright\b).*|all rights reserved.*|"
    r".*\b(?:cookies?|javascript)\b.*\b(?:accept|enable|use|consent)\b.*|click here\b.*)$",
    re.IGNORECASE,
)
# Lines that open a comment section or a reader's comment: the article never runs past them.
# Photo captions and credits: they describe a picture, in the present tense, and name the agency.
CAPTION = re.compile(
    r"^(?:in this\b.{0,80}?\b(?:photo|image|picture|file)\b|file photo\b|pictured\b|photograph:)"
    r"|\((?:[^()]*\b(?:photo|photos|getty images|reuters|afp|credit|image|pictures)\b[^()]*)\)\s*$"
    r"|\b(?:getty images|shutterstock|associated press|afp via getty images)\s*$",
    re.IGNORECASE,
)
# Boilerplate that may sit anywhere in a short line.
BOILERPLATE = re.compile(
    r"^(?=.{0,300}$).*\b(?:subject to copyright|registered trademarks?|all rights reserved|"
    r"like this article\?|citation:)",
    re.IGNORECASE,
)
# The author's bio or the publisher's blurb follows the article: "About Jane Doe", "About Ascom".
# The same heading in the languages met most: "Sobre Ana Lima", "Über Moritz Bachmann".
ABOUT = re.compile(
    r"^(?:About|Sobre|Über|Acerca de|À propos de|A propos de|Informazioni su|Over) "
    r"(?:the [Aa]uthor|[oa] autora?|den Autor|die Autorin|l'auteur|el autor|"
    r"[A-ZÀ-ÖØ-Þ][\w'’.-]+(?: [A-ZÀ-ÖØ-Þ][\w'’.-]+){0,3})$"
)
WALL = re.compile(
    r"^(?:\d+\s+(?:responses?|comments?|replies|thoughts?|kommentare|comentarios|commenti|yorum)\b.*|"
    r"(?:leave|post|add|write) a (?:comment|reply)\b.*|join the (?:discussion|conversation)\b.*|"
    r"(?:reader )?comments?\s*(?:\(\d+\))?:?|reply|responder|antworten|rispondi|"
    r"(?:\S+\s+){0,5}says:|.*\b\d{1,2}:\d\d\s*(?:am|pm)?\s*(?:says|said|wrote):)$",
    re.IGNORECASE,
)
# A field that is a number, a score or a figure: "70-44", "(1-0):", "$8.8", "12%", "5,040".
NUMBER = re.compile(r"^[(\[]?[-+$£€#]?\d[\d.,:%–-]*[)\]]?[.,:;]?$")
_DATA_SHARE = 0.3  # share of a short line's fields that are numbers for it to be data
BREADCRUMB = re.compile(
    r"^(?:home|start|inicio|accueil|startseite|anasayfa|главная)\s*(?:[>»/|›:]\s*)?(?P<rest>.*)$",
    re.IGNORECASE,
)
# A seed of very common function words in the languages met most; each page adds its own.
_FUNCTION_WORD_TEXT = (
    "the a an of to in and is was for on that with as it by at from be are has have he she "
    "they we you i his her its this not but or said will would de la el en y que los las "
    "del un una por con para se o do da em os das dos um uma com não il lo di e che per le "
    "du des et est dans une pas qui der die das und ist nicht mit den ein eine zu von het "
    "een van ik je yang dan di ini itu dengan untuk ve bir bu ile için da и в не на что с "
    "по как "
)
COMMON_FUNCTION_WORDS = frozenset(_FUNCTION_WORD_TEXT.split())


@dataclass(frozen=True, slots=True)
class Line:
    """One non-empty line of the dump and the features used to judge it."""

    text: str
    size: float  # words, or an equivalent for scripts written without spaces
    ends: bool  # ends like a sentence or clause
    function_share: float  # share of the page's function words among its words
    bullet: bool
    junk: bool
    joined: bool  # no blank line before it: same block as the line above (list item, line break)
    data: bool = False  # a short line mostly of numbers: a score, a table row, a result


def is_data(text: str) -> bool:
    """True for a short line where numbers carry the meaning ("Palm Bay 18 22 13 17 — 70").

    Menus, share bars and link lists are words; results, standings and figures are numbers.
    Dates and bylines are not data (they are judged by ``is_meta_line``)."""
    fields = text.split()
    if not 2 <= len(fields) <= 30 or is_meta_line(text):
        return False
    numeric = sum(1 for f in fields if NUMBER.match(f))
    return numeric >= 2 and numeric / len(fields) >= _DATA_SHARE


def size(text: str) -> float:
    """Words in ``text``; two CJK characters count as one word."""
    cjk = len(CJK.findall(text))
    words = len(WORD.findall(CJK.sub(" ", text)))
    return words + cjk / 2


def function_words(lines: Sequence[str]) -> frozenset[str]:
    """The page's own function words: short words found in most long lines, in any language."""
    long_lines = [line for line in lines if len(WORD.findall(line)) >= 12]
    counts: Counter[str] = Counter()
    for line in long_lines:
        counts.update({w.lower() for w in WORD.findall(line) if len(w) <= 4 and not w.isdigit()})
    # Short words in many long lines: mostly function words, though a short topic word can slip in.
    floor = max(2, len(long_lines) // 5)
    return COMMON_FUNCTION_WORDS | {w for w, c in counts.most_common(40) if c >= floor}


def features(text: str, joined: bool, function_words: frozenset[str]) -> Line:
    """Measure one line."""
    words = [w.lower() for w in WORD.findall(text)]
    share = sum(w in function_words for w in words) / len(words) if words else 0.0
    junk = len(text) <= MAX_PATTERN_CHARS and any(
        p.search(text) for p in (JUNK, BRACKETED, CAPTION, BOILERPLATE)
    )
    return Line(
        text=text,
        size=size(text),
        ends=bool(END.search(text)),
        function_share=share,
        bullet=bool(BULLET.match(text)),
        junk=junk,
        joined=joined,
        data=not junk and is_data(text),
    )


def is_prose(line: Line, has_function_words: bool) -> bool:
    """True for a line that reads like running text."""
    if line.junk:
        return False
    if has_function_words and line.function_share < 0.04 and not CJK.search(line.text):
        return False
    return (line.size >= 8 and line.ends) or line.size >= 20


def is_wall(text: str) -> bool:
    """True for a line that closes the article: a comment heading, an author's bio heading."""
    return len(text) <= MAX_PATTERN_CHARS and bool(WALL.match(text) or ABOUT.match(text))


def weight(line: Line, prose: bool) -> float:
    """Contribution of a line to the body window: prose pays, everything else costs."""
    if is_wall(line.text):
        return -1e6
    if is_meta_line(line.text):
        return -8.0  # bylines and dates inside the body mark teaser cards of other stories
    if line.data and not prose:
        return 0.0  # a score or a table row: neither article prose nor page furniture
    if prose:
        # Running text ends like a sentence; a long line that does not is often a footer blurb.
        return line.size if line.ends else line.size / 2
    return -(1.0 + 0.5 * min(line.size, 12.0))


def best_window(weights: Sequence[float]) -> tuple[int, int]:
    """Bounds [start, end) of the contiguous run with the largest total weight."""
    best, best_bounds = 0.0, (0, 0)
    total, start = 0.0, 0
    for i, w in enumerate(weights):
        if total <= 0:
            total, start = 0.0, i
        total += w
        if total > best:
            best, best_bounds = total, (start, i + 1)
    return best_bounds


def content_words(text: str, function_words: frozenset[str]) -> set[str]:
    """Lower-cased words that carry meaning (not function words, not numbers, 3+ letters)."""
    return {
        w.lower()
        for w in WORD.findall(text)
        if len(w) >= 3 and not w.isdigit() and w.lower() not in function_words
    }


def belongs(line: Line, body_words: Counter[str], function_words: frozenset[str]) -> bool:
    """True when a short line talks about the article: most of its words recur in the body."""
    # Only the fixed function words here: a page's own list may hold its topic words ("wall").
    words = content_words(line.text, COMMON_FUNCTION_WORDS)
    if not words:
        return False
    shared = sum(1 for w in words if body_words[w] > 0 or w in function_words)
    return shared / len(words) >= 0.6


def unclosed_quote(text: str) -> bool:
    """True when a paragraph opens a quote it does not close."""
    curly_open = sum(text.count(q) for q in "“«„")
    curly_close = sum(text.count(q) for q in "”»")
    if curly_open or curly_close:
        return curly_open > curly_close
    return text.count('"') % 2 == 1


def split_lines(text: str) -> list[tuple[str, bool]]:
    """Non-empty stripped lines with a "joined to the line above" flag; wrapped lines re-joined."""
    out: list[tuple[str, bool]] = []
    previous_long = False
    joined = False
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(raw.split())
        if not line:
            previous_long = joined = False
            continue
        if previous_long and out:
            out[-1] = (out[-1][0] + " " + line, out[-1][1])
        else:
            out.append((line, joined))
        previous_long = len(raw) >= 1000
        joined = True
    return out
