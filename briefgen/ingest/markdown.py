"""Read a Markdown note (front matter optional): keep what it says, complete the rest."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from briefgen.errors import Diagnostic, diag
from briefgen.ingest.article import Article
from briefgen.model import ENTITY_KINDS, Entities, Quote
from briefgen.source.frontmatter import FrontMatterError
from briefgen.source.frontmatter import read as read_front_matter

_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
# Keys the brief writer produces itself; any other key is carried over untouched.
_KNOWN = frozenset(
    {
        "title",
        "date",
        "author",
        "section",
        "summary",
        "key_points",
        "tags",
        "entities",
        "quotes",
        "source",
        "ingest_hash",
    }
)


def _strings(value: Any) -> tuple[str, ...]:
    """A list of strings from a YAML value that should be one."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if v is not None)
    return ()


def _entities(value: Any) -> Entities | None:
    """Entities from front matter, or None when absent."""
    if not isinstance(value, Mapping):
        return None
    return Entities(**{kind: _strings(value.get(kind)) for kind in ENTITY_KINDS})


def _quotes(value: Any) -> tuple[Quote, ...] | None:
    """Quotes from front matter, or None when absent."""
    if not isinstance(value, list):
        return None
    return tuple(
        Quote(speaker=str(q.get("speaker", "")), text=str(q.get("text", "")))
        for q in value
        if isinstance(q, Mapping) and q.get("text")
    )


def _date(value: Any) -> dt.date | None:
    """A date from a YAML date, datetime or string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def read_markdown(text: str, source_file: str) -> tuple[Article | None, tuple[Diagnostic, ...]]:
    """The note as an article: front matter values kept, the body kept byte for byte."""
    try:
        front = read_front_matter(text, required=False)
    except FrontMatterError as exc:
        return None, (diag(source_file, exc.line, exc.col, "BG-IN008", str(exc), exc.hint),)
    meta: dict[str, Any] = front.data
    body = front.body
    problems: list[Diagnostic] = []
    if meta.get("date") is not None and _date(meta.get("date")) is None:
        line = front.line_of("date")
        problems.append(
            diag(
                source_file,
                line,
                1,
                "BG-IN008",
                "date is not a date; the brief takes the ingest date instead",
                "write it as YYYY-MM-DD",
                severity="warning",
            )
        )
    body = body.lstrip("\n")
    title = str(meta.get("title") or "").strip()
    if not title:
        heading = _HEADING.search(body)
        title = heading.group(1).strip() if heading else ""
        if heading and heading.start() == 0:
            body = body[heading.end() :].lstrip("\n")  # the title moves into the front matter
    if not title and not body.strip():
        return None, (
            diag(source_file, 1, 0, "BG-IN006", "the note has neither a title nor a body"),
        )
    source = meta.get("source") if isinstance(meta.get("source"), Mapping) else {}
    assert isinstance(source, Mapping)  # nosec B101 - narrows the type for mypy only
    summary = meta.get("summary")
    return (
        Article(
            title=title,
            source_file=source_file,
            date=_date(meta.get("date")),
            author=str(meta.get("author") or ""),
            section=str(meta.get("section") or ""),
            source_name=str(source.get("name") or ""),
            source_url=str(source.get("url") or ""),
            paragraphs=(body.rstrip(),) if body.strip() else (),
            summary=" ".join(_strings(summary)) if summary else "",
            key_points=_strings(meta.get("key_points")),
            tags=_strings(meta.get("tags")),
            entities=_entities(meta.get("entities")),
            quotes=_quotes(meta.get("quotes")),
            extra=tuple((k, v) for k, v in meta.items() if k not in _KNOWN),
        ),
        tuple(problems),
    )
