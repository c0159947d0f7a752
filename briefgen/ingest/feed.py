"""Read an RSS or Atom feed: one article per entry, entry HTML through the HTML path."""

from __future__ import annotations

import datetime as dt
from typing import Any

from briefgen.errors import Diagnostic, diag
from briefgen.ingest.article import Article
from briefgen.ingest.html import fragment_blocks, read_html, sanitize_html


def _entry_date(entry: Any) -> dt.date | None:
    """The entry's published (or updated) date."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return dt.date(value.tm_year, value.tm_mon, value.tm_mday)
    return None


def _entry_author(entry: Any) -> str:
    """The author's name, without the e-mail address RSS puts first."""
    detail = entry.get("author_detail") or {}
    name = detail.get("name") or entry.get("author") or ""
    return " ".join(str(name).split())


def _entry_html(entry: Any) -> str:
    """The richest HTML the entry carries: full content, else the summary."""
    for content in entry.get("content") or ():
        if content.get("value"):
            return str(content["value"])
    return str(entry.get("summary") or entry.get("description") or "")


def _entry_article(entry: Any, feed_title: str, source_file: str, index: int) -> Article | None:
    """One feed entry as an article, its HTML read like a page."""
    title = " ".join(str(entry.get("title") or "").split())
    html = _entry_html(entry)
    page = f"<html><body><article>{sanitize_html(html)}</article></body></html>"
    body = read_html(page, source_file)
    paragraphs = body.paragraphs if body else ()
    if not paragraphs and html.strip():
        paragraphs = fragment_blocks(html)
    if not title and not paragraphs:
        return None
    link = str(entry.get("link") or "")
    tags = tuple(str(t.get("term")) for t in entry.get("tags") or () if t.get("term"))
    return Article(
        title=title or (paragraphs[0][:80] if paragraphs else ""),
        source_file=source_file,
        date=_entry_date(entry),
        author=_entry_author(entry),
        source_name=feed_title,
        source_url=link if link.startswith(("http://", "https://")) else "",
        categories=tags,
        paragraphs=paragraphs,
        entry_key=str(entry.get("id") or link or f"entry-{index}"),
    )


def read_feed(data: bytes, source_file: str) -> tuple[tuple[Article, ...], tuple[Diagnostic, ...]]:
    """Every entry of a feed as an article, with a diagnostic when the feed cannot be read."""
    import feedparser

    parsed = feedparser.parse(data)
    if parsed.get("bozo") and not parsed.entries:
        reason = str(parsed.get("bozo_exception") or "not a feed")
        return (), (diag(source_file, 0, 0, "BG-IN007", f"cannot read feed: {reason}"),)
    feed_title = " ".join(str(parsed.feed.get("title") or "").split())
    articles = []
    for index, entry in enumerate(parsed.entries):
        article = _entry_article(entry, feed_title, source_file, index)
        if article is not None:
            articles.append(article)
    if not articles:
        return (), (diag(source_file, 0, 0, "BG-IN006", "the feed has no entries with text"),)
    return tuple(articles), ()
