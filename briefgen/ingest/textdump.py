"""Find the article inside a plain-text page dump: headline, section, byline and body paragraphs."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from briefgen.ingest.article import Article
from briefgen.ingest.dates import find_author, find_date, is_meta_line

_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_END = re.compile(r"[.!?:;…。！？」』)\]\"”’»]\s*$")
_SENTENCE_END = re.compile(r"[.!?…。！？][\"”’»)]?\s*$")
_BULLET = re.compile(r"^(?:[•·▪◦○●□■☆★◆♦►▶»*+\-–—]|\d{1,2}[.)])\s*")
_BRACKETED = re.compile(r"^\[[^\]]*\]$")
# Lines that pages print around every article; the rest is judged by shape and content.
_JUNK = re.compile(
    r"^(?:advertisement|advertising|anzeige|publicidad|pubblicità|publicité|реклама|reklam|iklan|"
    r"sponsored(?: content)?|exit mobile version|skip to (?:main )?content|"
    r"share(?: this)?(?: article| story)?:?|"
    r"read more\b.*|related\b.*:.*|see also:.*|more from\b.*|recommended\b.*|you may also like.*|"
    r"(?:photo|image|picture|video|credit|source|foto|fotoğraf)\s*:.*|image \d+ of.*|\d+\s*/\s*\d+|"
    r"back to gallery|caption|close|loading\.*|comments?|\d+ comments?|leave a (?:comment|reply).*|"
    r"tags?:.*|filed under:?.*|categor(?:y|ies):.*|sign up\b.*|subscribe\b.*|newsletter\b.*|"
    r"follow us\b.*|(?=.{0,100}$).*\b(?:subscri\w+|newsletter|sign up|log ?in)\b.*|"
    r"(?:©|\(c\)|copyright\b).*|all rights reserved.*|"
    r".*\b(?:cookies?|javascript)\b.*\b(?:accept|enable|use|consent)\b.*|click here\b.*)$",
    re.IGNORECASE,
)
# Lines that open a comment section or a reader's comment: the article never runs past them.
_WALL = re.compile(
    r"^(?:\d+\s+(?:responses?|comments?|replies|thoughts?|kommentare|comentarios|commenti|yorum)\b.*|"
    r"(?:leave|post|add|write) a (?:comment|reply)\b.*|join the (?:discussion|conversation)\b.*|"
    r"(?:reader )?comments?\s*(?:\(\d+\))?:?|reply|responder|antworten|rispondi|"
    r"(?:\S+\s+){0,5}says:|.*\b\d{1,2}:\d\d\s*(?:am|pm)?\s*(?:says|said|wrote):)$",
    re.IGNORECASE,
)
_BREADCRUMB = re.compile(
    r"^(?:home|start|inicio|accueil|startseite|anasayfa|главная)\s*(?:[>»/|›:]\s*)?(?P<rest>.*)$",
    re.IGNORECASE,
)
# A seed of very common function words in the languages met most; each page adds its own.
_COMMON_FUNCTION_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "and",
        "is",
        "was",
        "for",
        "on",
        "that",
        "with",
        "as",
        "it",
        "by",
        "at",
        "from",
        "be",
        "are",
        "has",
        "have",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "his",
        "her",
        "its",
        "this",
        "not",
        "but",
        "or",
        "said",
        "will",
        "would",
        "de",
        "la",
        "el",
        "en",
        "y",
        "que",
        "los",
        "las",
        "del",
        "un",
        "una",
        "por",
        "con",
        "para",
        "se",
        "o",
        "do",
        "da",
        "em",
        "os",
        "das",
        "dos",
        "um",
        "uma",
        "com",
        "não",
        "il",
        "lo",
        "di",
        "e",
        "che",
        "per",
        "le",
        "du",
        "des",
        "et",
        "est",
        "dans",
        "une",
        "pas",
        "qui",
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "mit",
        "den",
        "ein",
        "eine",
        "zu",
        "von",
        "het",
        "een",
        "van",
        "ik",
        "je",
        "yang",
        "dan",
        "di",
        "ini",
        "itu",
        "dengan",
        "untuk",
        "ve",
        "bir",
        "bu",
        "ile",
        "için",
        "da",
        "и",
        "в",
        "не",
        "на",
        "что",
        "с",
        "по",
        "как",
    ]
)
_OPEN_QUOTES = "“«„"
_CLOSE_QUOTES = "”»“"


@dataclass(frozen=True, slots=True, kw_only=True)
class DumpParts:
    """What was found in a page dump."""

    title: str = ""
    section: str = ""
    author: str = ""
    date: dt.date | None = None
    paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Line:
    """One non-empty line of the dump and the features used to judge it."""

    text: str
    size: float  # words, or an equivalent for scripts written without spaces
    ends: bool  # ends like a sentence or clause
    function_share: float  # share of the page's function words among its words
    bullet: bool
    junk: bool
    joined: bool  # no blank line before it: same block as the line above (list item, line break)


def _size(text: str) -> float:
    """Words in ``text``; two CJK characters count as one word."""
    cjk = len(_CJK.findall(text))
    words = len(_WORD.findall(_CJK.sub(" ", text)))
    return words + cjk / 2


def _function_words(lines: Sequence[str]) -> frozenset[str]:
    """The page's own function words: short words found in most long lines, in any language."""
    long_lines = [line for line in lines if len(_WORD.findall(line)) >= 12]
    counts: Counter[str] = Counter()
    for line in long_lines:
        counts.update({w.lower() for w in _WORD.findall(line) if len(w) <= 4 and not w.isdigit()})
    # Short words in many long lines: mostly function words, though a short topic word can slip in.
    floor = max(2, len(long_lines) // 5)
    return _COMMON_FUNCTION_WORDS | {w for w, c in counts.most_common(40) if c >= floor}


def _features(text: str, joined: bool, function_words: frozenset[str]) -> _Line:
    """Measure one line."""
    words = [w.lower() for w in _WORD.findall(text)]
    share = sum(w in function_words for w in words) / len(words) if words else 0.0
    return _Line(
        text=text,
        size=_size(text),
        ends=bool(_END.search(text)),
        function_share=share,
        bullet=bool(_BULLET.match(text)),
        junk=bool(_JUNK.match(text)) or bool(_BRACKETED.match(text)),
        joined=joined,
    )


def _is_prose(line: _Line, has_function_words: bool) -> bool:
    """True for a line that reads like running text."""
    if line.junk:
        return False
    if has_function_words and line.function_share < 0.04 and not _CJK.search(line.text):
        return False
    return (line.size >= 8 and line.ends) or line.size >= 20


def _weight(line: _Line, prose: bool) -> float:
    """Contribution of a line to the body window: prose pays, everything else costs."""
    if _WALL.match(line.text):
        return -1e6
    if is_meta_line(line.text):
        return -8.0  # bylines and dates inside the body mark teaser cards of other stories
    if prose:
        # Running text ends like a sentence; a long line that does not is often a footer blurb.
        return line.size if line.ends else line.size / 2
    return -(1.0 + 0.5 * min(line.size, 12.0))


def _best_window(weights: Sequence[float]) -> tuple[int, int]:
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


def _content_words(text: str, function_words: frozenset[str]) -> set[str]:
    """Lower-cased words that carry meaning (not function words, not numbers, 3+ letters)."""
    return {
        w.lower()
        for w in _WORD.findall(text)
        if len(w) >= 3 and not w.isdigit() and w.lower() not in function_words
    }


def _belongs(line: _Line, body_words: Counter[str], function_words: frozenset[str]) -> bool:
    """True when a short line talks about the article: most of its words recur in the body."""
    # Only the fixed function words here: a page's own list may hold its topic words ("wall").
    words = _content_words(line.text, _COMMON_FUNCTION_WORDS)
    if not words:
        return False
    shared = sum(1 for w in words if body_words[w] > 0 or w in function_words)
    return shared / len(words) >= 0.6


def _unclosed_quote(text: str) -> bool:
    """True when a paragraph opens a quote it does not close."""
    curly_open = sum(text.count(q) for q in "“«„")
    curly_close = sum(text.count(q) for q in "”»")
    if curly_open or curly_close:
        return curly_open > curly_close
    return text.count('"') % 2 == 1


def _introduces(text: str) -> bool:
    """True for a line that announces a list or a quote (ends with a colon)."""
    return text.rstrip().endswith(":")


def _continues(previous: str, text: str) -> bool:
    """True when ``text`` carries on the sentence of the line above (a line break, not a block)."""
    return not _SENTENCE_END.search(previous) and (text[:1].islower() or _unclosed_quote(previous))


def _as_markdown_item(text: str) -> str:
    """Turn a dump bullet into a Markdown list item."""
    m = _BULLET.match(text)
    if not m or re.match(r"^\d", text):
        return text
    return "- " + text[m.end() :]


def _split_lines(text: str) -> list[tuple[str, bool]]:
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


def _find_title(
    lines: Sequence[_Line],
    prose: Sequence[bool],
    start: int,
    body_words: Counter[str],
    fw: frozenset[str],
) -> int:
    """Index of the headline: a title-shaped line shortly before the body that shares its words."""
    best, best_score = -1, 0.0
    for i in range(max(0, start - 40), min(start + 3, len(lines))):
        line = lines[i]
        if i >= start and prose[i]:
            continue
        if (
            line.junk
            or line.bullet
            or is_meta_line(line.text)
            or (_BREADCRUMB.match(line.text) and line.size <= 6)
        ):
            continue
        if not 3 <= line.size <= 30 or (
            _SENTENCE_END.search(line.text) and not line.text.endswith("?")
        ):
            continue
        words = _content_words(line.text, fw)
        if not words:
            continue
        overlap = sum(1 for w in words if body_words[w] > 0) / len(words)
        # A line inside the body is the headline only when nothing before the body could be.
        closeness = 1.0 - (start - i) / 50 if i < start else -1.0
        score = overlap * 2 + closeness
        if score > best_score:
            best, best_score = i, score
    return best


def _in_list(lines: Sequence[_Line]) -> list[bool]:
    """For each line: True when it sits in a block that a line ending with a colon introduced."""
    out: list[bool] = []
    for i, line in enumerate(lines):
        out.append(
            line.joined
            and i > 0
            and (out[i - 1] or _introduces(lines[i - 1].text))
            and not line.junk
        )
    return out


def parse_dump(text: str) -> DumpParts:
    """Split a page dump into headline, section, byline, date and the article's paragraphs."""
    raw_lines = _split_lines(text)
    if not raw_lines:
        return DumpParts()
    fw = _function_words([t for t, _ in raw_lines])
    lines = [_features(t, joined, fw) for t, joined in raw_lines]
    # Captions, teasers and menus repeat on a page; a paragraph of the article does not.
    seen = Counter(line.text for line in lines)
    prose = [_is_prose(line, bool(fw)) and seen[line.text] == 1 for line in lines]
    listed = _in_list(lines)
    weights = [_weight(line, p) for line, p in zip(lines, prose, strict=True)]
    # The article's paragraphs talk about the same things; teasers and boilerplate do not.
    recurring: Counter[str] = Counter()
    for line, p in zip(lines, prose, strict=True):
        if p:
            recurring.update(_content_words(line.text, fw))
    for i, line in enumerate(lines):
        if prose[i] and weights[i] > 0:
            words = _content_words(line.text, fw)
            shared = sum(1 for w in words if recurring[w] >= 3) / len(words) if words else 0.0
            weights[i] *= 0.4 + shared
    start, end = _best_window(weights)
    if start == end:  # nothing reads like prose: keep the longest line as the body
        start = max(range(len(lines)), key=lambda i: lines[i].size)
        end = start + 1
        prose[start] = True
    body_words: Counter[str] = Counter()
    for line, p in zip(lines[start:end], prose[start:end], strict=True):
        if p:
            body_words.update(_content_words(line.text, fw))

    title_at = _find_title(lines, prose, start, body_words, fw)
    first = lines[0]
    if (
        start <= 2
        and not (prose[0] or first.junk or first.bullet or _BREADCRUMB.match(first.text))
        and first.size <= 30
    ):
        title_at = 0  # a file that opens with its headline, as saved articles do
    title = lines[title_at].text if title_at >= 0 else ""
    # A clean article file (headline on the first line, no page furniture) is all article:
    # there, runs of short lines are lists or tables, not menus.
    clean = title_at == 0 and not any(line.junk or _WALL.match(line.text) for line in lines)
    if clean:
        start, end = 1, len(lines)
    # A list introduced by the last paragraph ("Tour dates:") belongs to it.
    while end < len(lines) and listed[end]:
        end += 1
    section = _find_section(lines[: max(title_at, 0) or start])
    author, date = "", None
    for line in lines[max(title_at, 0) : start + 3]:
        if not author:
            author = find_author(line.text)
        if date is None and is_meta_line(line.text):
            date = find_date(line.text)

    kept: list[str] = []
    dropped_since_kept = False
    for i in range(start, end):
        line = lines[i]
        keep = prose[i] or _keep_short(lines, i, prose, body_words, fw, title)
        if clean and not keep:  # a standfirst, or a line of a list or table
            keep = (
                i == start or (i > start and not prose[i - 1]) or (i + 1 < end and not prose[i + 1])
            )
        if not keep and kept and not dropped_since_kept and i > start:
            keep = listed[i] or (
                line.joined and not line.junk and _continues(lines[i - 1].text, line.text)
            )
        if i == title_at or (i < start + 3 and is_meta_line(line.text) and not prose[i]):
            keep = False
        if not keep:
            dropped_since_kept = True
            continue
        item = _as_markdown_item(line.text)
        # A quote left open before a dropped line continues after it: keep it one paragraph.
        if (
            kept
            and dropped_since_kept
            and _unclosed_quote(kept[-1])
            and not item.startswith(tuple(_OPEN_QUOTES))
        ):
            kept[-1] += " " + item
        else:
            kept.append(item)
        dropped_since_kept = False
    return DumpParts(title=title, section=section, author=author, date=date, paragraphs=tuple(kept))


def _keep_short(
    lines: Sequence[_Line],
    i: int,
    prose: Sequence[bool],
    body_words: Counter[str],
    fw: frozenset[str],
    title: str,
) -> bool:
    """Decide on a line inside the body window that does not read as prose."""
    line = lines[i]
    if line.junk or line.text == title or is_meta_line(line.text):
        return False
    if line.bullet and line.size < 4:
        return False  # a menu entry; real list items are kept with the line introducing them
    if line.size >= 2 and _SENTENCE_END.search(line.text) and (line.function_share > 0 or not fw):
        return True  # a short paragraph
    followed_by_prose = any(prose[j] for j in range(i + 1, min(i + 3, len(lines))))
    # A subhead belongs to the story; an interleaved headline of another story does not.
    return line.size <= 12 and followed_by_prose and _belongs(line, body_words, fw)


def _find_section(lines: Sequence[_Line]) -> str:
    """The section named by a breadcrumb line such as ``Home EurAsian Region``."""
    for line in reversed(lines):
        m = _BREADCRUMB.match(line.text)
        if m and m.group("rest") and line.size <= 8 and not line.ends:
            parts = re.split(r"\s*[>»/|›]\s*", m.group("rest"))
            return parts[-1].strip()
    return ""


_MD_SPECIAL = re.compile(r"([\\`*<\[\]])")
_MD_LINE_START = re.compile(r"^(#{1,6}\s|>|[+=]\s|-\s(?!\S))")


def _escape(paragraph: str) -> str:
    """Plain text as Markdown that renders as the same text (no accidental markup or raw HTML)."""
    if paragraph.startswith("- "):  # a list item made from a dump bullet
        return "- " + _MD_SPECIAL.sub(r"\\\1", paragraph[2:])
    text = _MD_SPECIAL.sub(r"\\\1", paragraph)
    return "\\" + text if _MD_LINE_START.match(text) else text


def read_text_dump(text: str, source_file: str) -> Article | None:
    """The article in a plain-text page dump, or None when nothing in it reads like one."""
    parts = parse_dump(text)
    if not parts.paragraphs:
        return None
    return Article(
        title=parts.title or parts.paragraphs[0][:80],
        source_file=source_file,
        date=parts.date,
        author=parts.author,
        section=parts.section,
        paragraphs=tuple(_escape(p) for p in parts.paragraphs),
    )
