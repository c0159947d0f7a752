"""Plain, frozen data passed between the pipeline stages. No I/O here."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

T = TypeVar("T")


def quick_pickle(cls: type[T]) -> type[T]:
    """Give a frozen, slotted dataclass a fast pickled form: a plain tuple of its fields.

    The state functions ``dataclass(slots=True)`` adds call ``fields()`` for every object,
    which made loading the build cache (and handing parsed briefs back from worker
    processes) take seconds at 10,000 briefs.
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    get = operator.attrgetter(*names)
    setter = object.__setattr__

    def getstate(self: Any) -> tuple[Any, ...]:
        state = get(self)
        return state if len(names) > 1 else (state,)

    def setstate(self: Any, state: tuple[Any, ...]) -> None:
        for name, value in zip(names, state, strict=True):
            setter(self, name, value)

    cls.__getstate__ = getstate  # type: ignore[method-assign]
    cls.__setstate__ = setstate  # type: ignore[attr-defined]
    return cls

ENTITY_KINDS: tuple[str, ...] = ("people", "organizations", "places", "other")
ENTITY_KIND_LABELS: Mapping[str, str] = {
    "people": "Person",
    "organizations": "Organisation",
    "places": "Place",
    "other": "Other",
}


@quick_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """A direct quote and who said it."""

    speaker: str
    text: str


@quick_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """Where a brief came from: the outlet, the article's address, the ingested file, when."""

    name: str = ""
    url: str = ""
    file: str = ""
    retrieved: str = ""


@quick_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class Entities:
    """Named things a brief mentions, by kind."""

    people: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    other: tuple[str, ...] = ()

    def by_kind(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Pairs of (kind, names) in the fixed kind order."""
        return tuple((kind, getattr(self, kind)) for kind in ENTITY_KINDS)

    def all(self) -> tuple[tuple[str, str], ...]:
        """Every (kind, name) pair."""
        return tuple((kind, name) for kind, names in self.by_kind() for name in names)


@quick_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class PreparedBody:
    """A body rendered once at load, with placeholders for what only the whole digest
    knows (see ``source.markdown.prepare``): the text runs a known entity may link, the
    wikilinks, and the hrefs of links to other briefs' ``.md`` files."""

    html: str
    texts: tuple[str, ...]  # each placeholder's text run, as markdown-it gave it
    wikilinks: tuple[tuple[str, str], ...]  # (target, label) of each wikilink
    md_hrefs: tuple[str, ...]  # each ``.md`` link's href as written (normalised)


@dataclass(frozen=True, slots=True, kw_only=True)
class Brief:
    """A validated brief: front matter fields, the Markdown body and where each came from."""

    path: str  # relative to the site root, posix separators
    slug: str
    title: str
    date: dt.date
    time: dt.datetime | None = None  # when the front matter gave a time too
    summary: str = ""
    summary_is_auto: bool = False
    key_points: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    section: str = ""
    entities: Entities = field(default_factory=Entities)
    quotes: tuple[Quote, ...] = ()
    author: str = ""
    source: Source = field(default_factory=Source)
    draft: bool = False
    lead: bool = False  # the front page's lead while it is among the latest day's briefs
    updates: str = ""
    body: str = ""
    body_line: int = 1  # file line on which the Markdown body starts
    key_lines: Mapping[str, int] = field(default_factory=dict)  # front matter key -> line
    content_hash: str = ""
    word_count: int = 0  # words outside code, from the body's token stream
    wikilinks: tuple[tuple[str, int, int], ...] = ()  # (target, line, col) outside code
    # The body as parsed at load, ready for the link tables; derived from ``body``, so it
    # takes no part in comparisons (and the cache does not keep it: see store/codec.py).
    prepared: PreparedBody | None = field(default=None, compare=False, repr=False)

    def line_of(self, key: str) -> int:
        """The line of a front matter key, or 1 when unknown."""
        return self.key_lines.get(key, 1)

    @property
    def sort_key(self) -> tuple[str, str, str]:
        """Newest first when sorted in reverse; ties broken by slug."""
        stamp = self.time.isoformat() if self.time else self.date.isoformat()
        return (self.date.isoformat(), stamp, self.slug)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputFile:
    """One file of the built site: a site-root-relative posix path and its bytes."""

    path: str
    data: bytes
    source: str = ""  # the input that produced it (brief path or template), for collision errors


@dataclass(frozen=True, slots=True, kw_only=True)
class PageSpec:
    """A page to render: output path, template, plain view data, and what produced it."""

    path: str
    template: str
    view: Mapping[str, object]
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class EntityDef:
    """An entry of ``content/entities.yaml``: a canonical name, its kind, aliases, description."""

    name: str
    kind: str = ""
    aliases: tuple[str, ...] = ()
    description: str = ""


@quick_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class Related:
    """A related brief, its score and the reasons shown to the reader (see ``related``)."""

    id: str
    score: float
    shared: tuple[str, ...]


# -- the link stage's output, read by every stage after it ----------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class EntityInfo:
    """One entity across the digest."""

    key: str  # "<kind>/<slug>", also its page path stem
    kind: str
    name: str
    slug: str
    aliases: tuple[str, ...]
    description: str
    briefs: tuple[str, ...]  # slugs, newest first
    quotes: tuple[tuple[str, Quote], ...]  # (brief slug, quote) by this entity, newest first
    co_mentions: tuple[tuple[str, int], ...]  # (entity key, count), most first


@dataclass(frozen=True, slots=True, kw_only=True)
class TagInfo:
    """One tag across the digest."""

    slug: str
    name: str
    briefs: tuple[str, ...]  # newest first


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkGraph:
    """Everything the render stage needs to draw connections between briefs."""

    order: tuple[str, ...]  # published slugs, newest first
    briefs: Mapping[str, Brief]
    wikilinks: Mapping[str, Mapping[str, str]]  # brief -> written target -> resolved slug
    backlinks: Mapping[str, tuple[str, ...]]  # brief -> briefs that link to it
    follow_ups: Mapping[str, tuple[str, ...]]  # brief -> newer briefs that update it
    related: Mapping[str, tuple[Related, ...]]
    entities: Mapping[str, EntityInfo]
    brief_entities: Mapping[str, tuple[str, ...]]  # brief -> entity keys in front-matter order
    name_index: Mapping[str, str]  # any written name (lowercased) -> entity key, per site
    tags: Mapping[str, TagInfo]
    brief_tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # brief -> tag slugs
