"""Find the article inside a plain-text page dump: headline, section, byline and body paragraphs."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from briefgen.ingest.article import Article
from briefgen.ingest.dates import find_author, find_date, is_meta_line
from briefgen.ingest.lines import (
    BREADCRUMB,
    BULLET,
    SENTENCE_END,
    Line,
    belongs,
    best_window,
    content_words,
    features,
    function_words,
    is_prose,
    is_wall,
    split_lines,
    unclosed_quote,
    weight,
)

_ARTICLE_WORDS = 40  # prose above a comment heading for it to close an article
_COMMENT_FACTOR = 0.3  # how much a comment counts next to the article
_WIDE_GAP = 8  # non-prose lines between two runs of prose that may separate two stories
_RELATED = 0.25  # share of a run's words found in the article for it to count as the article
_OPEN_QUOTES = "“«„"
_LIST_ITEM_WORDS = 4  # shorter bulleted lines are menu entries


@dataclass(frozen=True, slots=True, kw_only=True)
class DumpParts:
    """What was found in a page dump."""

    title: str = ""
    section: str = ""
    author: str = ""
    date: dt.date | None = None
    paragraphs: tuple[str, ...] = ()


def _introduces(text: str) -> bool:
    """True for a line that announces a list or a quote (ends with a colon)."""
    return text.rstrip().endswith(":")


def _continues(previous: str, text: str) -> bool:
    """True when ``text`` carries on the sentence of the line above (a line break, not a block)."""
    return not SENTENCE_END.search(previous) and (text[:1].islower() or unclosed_quote(previous))


def _as_markdown_item(text: str) -> str:
    """Turn a dump bullet into a Markdown list item."""
    m = BULLET.match(text)
    if not m or re.match(r"^\d", text):
        return text
    return "- " + text[m.end() :]


def _find_title(
    lines: Sequence[Line],
    prose: Sequence[bool],
    start: int,
    body_words: Counter[str],
    fw: frozenset[str],
) -> int:
    """Index of the headline: a title-shaped line shortly before the body that shares its words."""
    best, best_score = -1, 0.0
    for i in range(max(0, start - 40), min(start + 3, len(lines))):
        line = lines[i]
        if prose[i]:
            continue  # a headline is not running text
        if (
            line.junk
            or line.bullet
            or is_meta_line(line.text)
            or (BREADCRUMB.match(line.text) and line.size <= 6)
        ):
            continue
        if not 3 <= line.size <= 30 or (
            SENTENCE_END.search(line.text) and not line.text.endswith("?")
        ):
            continue
        words = content_words(line.text, fw)
        if not words:
            continue
        overlap = sum(1 for w in words if body_words[w] > 0) / len(words)
        # A line inside the body is the headline only when nothing before the body could be.
        closeness = 1.0 - (start - i) / 50 if i < start else -1.0
        score = overlap * 2 + closeness
        if score > best_score:
            best, best_score = i, score
    return best


def _in_list(lines: Sequence[Line]) -> list[bool]:
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


def _weights(lines: Sequence[Line], prose: Sequence[bool], fw: frozenset[str]) -> list[float]:
    """Each line's weight for the body window, prose scaled by how much it shares the page topic."""
    weights = [weight(line, p) for line, p in zip(lines, prose, strict=True)]
    # The article's paragraphs talk about the same things; teasers and boilerplate do not.
    recurring: Counter[str] = Counter()
    for line, p in zip(lines, prose, strict=True):
        if p:
            recurring.update(content_words(line.text, fw))
    for i, line in enumerate(lines):
        if prose[i] and weights[i] > 0:
            words = content_words(line.text, fw)
            shared = sum(1 for w in words if recurring[w] >= 3) / len(words) if words else 0.0
            weights[i] *= 0.4 + shared
    return _discount_comments(lines, prose, weights)


def _discount_comments(
    lines: Sequence[Line], prose: Sequence[bool], weights: Sequence[float]
) -> list[float]:
    """Weights where prose below a comment heading after the article counts as readers' talk."""
    words_before = 0.0
    for i, line in enumerate(lines):
        if is_wall(line.text) and words_before >= _ARTICLE_WORDS:
            below = [w * _COMMENT_FACTOR if w > 0 else w for w in weights[i + 1 :]]
            return [*weights[: i + 1], *below]
        if prose[i]:
            words_before += line.size
    return list(weights)


def _segments(prose: Sequence[bool], start: int, end: int) -> list[tuple[int, int, int]]:
    """Runs of prose in the window as (first, last + 1, non-prose lines before the run)."""
    out: list[tuple[int, int, int]] = []
    gap, first = 0, -1
    for i in range(start, end):
        if prose[i]:
            if first < 0:
                first = i
            continue
        if first >= 0:
            out.append((first, i, gap))
            first, gap = -1, 0
        gap += 1
    if first >= 0:
        out.append((first, end, gap))
    return out


def _trim_segments(
    lines: Sequence[Line], prose: Sequence[bool], start: int, end: int, fw: frozenset[str]
) -> tuple[int, int]:
    """Cut off prose beyond a wide gap that does not talk about what the main run talks about."""
    segments = _segments(prose, start, end)
    if len(segments) < 2:
        return start, end

    def vocabulary(first: int, last: int) -> set[str]:
        return {w for i in range(first, last) if prose[i] for w in content_words(lines[i].text, fw)}

    def size(first: int, last: int) -> float:
        return sum(lines[i].size for i in range(first, last) if prose[i])

    main = max(range(len(segments)), key=lambda k: size(*segments[k][:2]))
    # Only after the main run: what comes before it is usually its own lead and standfirst.
    seen = vocabulary(segments[0][0], segments[main][1])
    for k in range(main + 1, len(segments)):
        words = vocabulary(*segments[k][:2])
        related = len(words & seen) / len(words) if words else 0.0
        if segments[k][2] >= _WIDE_GAP and related < _RELATED:
            return start, segments[k - 1][1]
        seen |= words
    return start, end


def parse_dump(text: str) -> DumpParts:
    """Split a page dump into headline, section, byline, date and the article's paragraphs."""
    raw_lines = split_lines(text)
    if not raw_lines:
        return DumpParts()
    fw = function_words([t for t, _ in raw_lines])
    lines = [features(t, joined, fw) for t, joined in raw_lines]
    # Captions, teasers and menus repeat on a page; a paragraph of the article does not.
    seen = Counter(line.text for line in lines)
    # A line of figures printed twice is a teaser headline ("30 jets for $8.8bn"), not data.
    lines = [replace(line, data=False) if seen[line.text] > 1 else line for line in lines]
    prose = [is_prose(line, bool(fw)) and seen[line.text] == 1 for line in lines]
    listed = _in_list(lines)
    start, end = best_window(_weights(lines, prose, fw))
    start, end = _trim_segments(lines, prose, start, end, fw)
    while 0 < start < end and lines[start - 1].data:
        start -= 1  # the scores or table rows the first paragraph follows on from
    if start == end:  # nothing reads like prose: keep the longest line as the body
        start = max(range(len(lines)), key=lambda i: lines[i].size)
        end = start + 1
        prose[start] = True
    body_words: Counter[str] = Counter()
    for line, p in zip(lines[start:end], prose[start:end], strict=True):
        if p:
            body_words.update(content_words(line.text, fw))

    title_at = _find_title(lines, prose, start, body_words, fw)
    first = lines[0]
    # Above the body only plain paragraphs (no menus: no bullets, no runs of joined lines).
    plain_top = all(not (line.junk or line.bullet or line.joined) for line in lines[: start + 1])
    if (
        start <= 8
        and plain_top
        and not (prose[0] or BREADCRUMB.match(first.text))
        and first.size <= 30
    ):
        title_at = 0  # a file that opens with its headline, as saved articles do
    title = lines[title_at].text if title_at >= 0 else ""
    # A clean article file (headline on the first line, no page furniture) is all article:
    # there, runs of short lines are lists or tables, not menus.
    clean = title_at == 0 and not any(line.junk or is_wall(line.text) for line in lines)
    if clean:
        start, end = 1, len(lines)
    # A list introduced by the last paragraph ("Tour dates:") belongs to it, and so does a
    # closing run of short sentences and introduced lists ("This game will help you!").
    end = _tail_end(lines, listed, end)
    section = _find_section(lines[: max(title_at, 0) or start])
    author, date = "", None
    for line in lines[max(title_at, 0) : start + 3]:
        if not author:
            author = find_author(line.text)
        if date is None and is_meta_line(line.text):
            date = find_date(line.text)

    keep = _keep_flags(lines, prose, listed, seen, start, end, title_at, clean, body_words, fw)
    paragraphs = _join_paragraphs([lines[i].text for i in range(start, end)], keep)
    return DumpParts(title=title, section=section, author=author, date=date, paragraphs=paragraphs)


def _tail_end(lines: Sequence[Line], listed: Sequence[bool], end: int) -> int:
    """The window's end moved past lists and short sentences that close the article: a run of
    short sentences counts only when a line ending with a colon and its bulleted list follow."""
    probe = end
    while probe < len(lines):
        line = lines[probe]
        if listed[probe]:
            probe += 1
            end = probe
            continue
        if line.junk or line.bullet or is_wall(line.text) or is_meta_line(line.text):
            break
        if _introduces(line.text) and _list_after(lines, probe + 1):
            probe = end = _list_after(lines, probe + 1)
            continue
        if not (2 <= line.size <= 12 and line.ends and line.function_share > 0):
            break
        probe += 1
    return end


def _list_after(lines: Sequence[Line], i: int) -> int:
    """End of a run of bulleted items of several words starting at ``i`` (0 when none)."""
    j = i
    while (
        j < len(lines)
        and lines[j].bullet
        and lines[j].size >= _LIST_ITEM_WORDS
        and not lines[j].junk
        and (j == i or lines[j].joined)
    ):
        j += 1
    return j if j - i >= 2 else 0


def _keep_flags(
    lines: Sequence[Line],
    prose: Sequence[bool],
    listed: Sequence[bool],
    seen: Counter[str],
    start: int,
    end: int,
    title_at: int,
    clean: bool,
    body_words: Counter[str],
    fw: frozenset[str],
) -> list[bool]:
    """For each line of the body window: does it belong to the article?"""
    title = lines[title_at].text if title_at >= 0 else ""
    flags: list[bool] = []
    in_list = False
    for i in range(start, end):
        line = lines[i]
        keep = prose[i] or _keep_short(lines, i, prose, body_words, fw, title)
        if clean and not keep:
            # Keep standfirsts, subheads, lists and tables; drop only what looks like the
            # headline of another story dropped between two paragraphs.
            keep = not _foreign_headline(lines, prose, i, body_words, fw)
        if not keep and _introduces(line.text) and _list_after(lines, i + 1):
            keep = not line.junk  # "Dare to Play 3:" heads the list after it
        item = line.bullet and line.size >= _LIST_ITEM_WORDS and not line.junk
        introduced = (
            item and i > start and flags[-1] and (in_list or _introduces(lines[i - 1].text))
        )
        in_list = bool(introduced)
        if not keep and introduced:
            keep = True  # an item of a list that a kept line ending with a colon introduced
        if not keep and i > start and flags[-1]:
            keep = listed[i] or (
                line.joined and not line.junk and _continues(lines[i - 1].text, line.text)
            )
        if not keep and line.data:
            # Scores and table rows between paragraphs are the article's figures.
            keep = bool(flags and flags[-1]) or _data_follows(lines, prose, i + 1, end)
        if i == title_at or (i < start + 3 and is_meta_line(line.text) and not prose[i]):
            keep = False
        if keep and not clean and seen[line.text] > 1 and not prose[i]:
            keep = False  # repeated on the page: a caption, a teaser or the headline again
        flags.append(keep)
    return flags


def _data_follows(lines: Sequence[Line], prose: Sequence[bool], i: int, end: int) -> bool:
    """True when a run of data lines starting at ``i`` leads into prose inside the window."""
    while i < end and lines[i].data and not prose[i]:
        i += 1
    return i < end and prose[i]


def _join_paragraphs(texts: Sequence[str], keep: Sequence[bool]) -> tuple[str, ...]:
    """The kept lines as paragraphs; a quote left open before a dropped line continues after it."""
    kept: list[str] = []
    dropped_since_kept = False
    for text, wanted in zip(texts, keep, strict=True):
        if not wanted:
            dropped_since_kept = True
            continue
        item = _as_markdown_item(text)
        if (
            kept
            and dropped_since_kept
            and unclosed_quote(kept[-1])
            and not item.startswith(tuple(_OPEN_QUOTES))
        ):
            kept[-1] += " " + item
        else:
            kept.append(item)
        dropped_since_kept = False
    return tuple(kept)


def _keep_short(
    lines: Sequence[Line],
    i: int,
    prose: Sequence[bool],
    body_words: Counter[str],
    fw: frozenset[str],
    title: str,
) -> bool:
    """Decide on a line inside the body window that does not read as prose."""
    line = lines[i]
    if line.junk or BULLET.sub("", line.text) == title or is_meta_line(line.text):
        return False
    if line.bullet and line.size < 4:
        return False  # a menu entry; real list items are kept with the line introducing them
    if line.size >= 2 and SENTENCE_END.search(line.text) and (line.function_share > 0 or not fw):
        return True  # a short paragraph
    followed_by_prose = any(prose[j] for j in range(i + 1, min(i + 3, len(lines))))
    # A subhead belongs to the story; an interleaved headline of another story does not.
    return line.size <= 12 and followed_by_prose and belongs(line, body_words, fw)


def _foreign_headline(
    lines: Sequence[Line],
    prose: Sequence[bool],
    i: int,
    body_words: Counter[str],
    fw: frozenset[str],
) -> bool:
    """True for a lone title-case line between paragraphs whose words the article does not use."""
    line = lines[i]
    if line.ends or line.size < 5 or not (0 < i < len(lines) - 1):
        return False
    if not (prose[i - 1] and prose[i + 1]):
        return False
    words = [w for w in line.text.split() if w[:1].isalpha()]
    capitalised = sum(1 for w in words if w[:1].isupper()) / len(words) if words else 0.0
    return capitalised >= 0.6 and not belongs(line, body_words, fw)


def _find_section(lines: Sequence[Line]) -> str:
    """The section named by a breadcrumb line such as ``Home EurAsian Region``."""
    for line in reversed(lines):
        m = BREADCRUMB.match(line.text)
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
