"""The ``Article``: what every reader produces and the brief writer consumes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from briefgen.model import Entities, Quote


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """One article read from an input file, before it becomes a brief."""

    title: str
    source_file: str  # the input path as given on the command line
    date: dt.date | None = None
    author: str = ""
    section: str = ""
    source_name: str = ""
    source_url: str = ""
    categories: tuple[str, ...] = ()
    paragraphs: tuple[str, ...] = ()  # Markdown blocks of the body, in order
    language: str = ""
    # Fields already present in a Markdown input: kept as written, never recomputed.
    summary: str = ""
    key_points: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    entities: Entities | None = None
    quotes: tuple[Quote, ...] | None = None
    extra: tuple[tuple[str, Any], ...] = field(default=())  # other front matter keys, in order
    entry_key: str = ""  # distinguishes the entries of one feed file

    @property
    def body_markdown(self) -> str:
        """The body as Markdown: blocks separated by blank lines."""
        return "\n\n".join(p for p in self.paragraphs if p.strip())
