"""Story threads: briefs that carry one story on, found from ``updates:`` and strong related
links. Pure: a link graph in, frozen threads out, the same for the same input.

A thread is a connected group of briefs where two briefs are joined when one ``updates:`` the
other, or when one is the other's related brief with a score of at least ``STRONG`` and they
are at most ``WINDOW_DAYS`` apart (so a long archive does not chain unrelated stories through
a run of near neighbours). Its title names what its briefs share; its slug comes from that title
and its first brief, so it stays put while the story grows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from briefgen.link import LinkGraph
from briefgen.model import Brief, Related
from briefgen.slugs import slugify

STRONG = 0.4  # related score that joins two briefs into one thread
WINDOW_DAYS = 21  # strong related links join briefs at most this far apart
MIN_BRIEFS = 2  # a thread has at least this many briefs
# Kinds of entity that name a story best come first; places say where, so they come second.
_TOPIC_KINDS = ("other", "organizations", "people")


@dataclass(frozen=True, slots=True, kw_only=True)
class Thread:
    """One story followed across several briefs."""

    slug: str
    title: str
    briefs: tuple[str, ...]  # slugs, oldest first
    first: dt.date
    last: dt.date
    topics: tuple[str, ...]  # entity keys shared by most of its briefs, best first
    joins: Mapping[str, tuple[str, str]]  # brief -> (earlier brief it follows, "updates"|"related")


def group_threads(
    briefs: Mapping[str, Brief],
    follow_ups: Mapping[str, Sequence[str]],
    related: Mapping[str, Sequence[Related]],
    *,
    strong: float = STRONG,
    window_days: int = WINDOW_DAYS,
    min_briefs: int = MIN_BRIEFS,
) -> list[list[str]]:
    """Groups of brief slugs joined by updates or strong related links, each oldest first;
    groups ordered by their newest brief, newest first (ties by slug)."""
    parent = {slug: slug for slug in briefs}

    def root(slug: str) -> str:
        while parent[slug] != slug:
            parent[slug] = parent[parent[slug]]
            slug = parent[slug]
        return slug

    def join(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            low, high = sorted((ra, rb))  # the smaller slug roots: the result is order-free
            parent[high] = low

    for earlier, newer in sorted(follow_ups.items()):
        for slug in newer:
            if earlier in parent and slug in parent:
                join(earlier, slug)
    for slug, items in sorted(related.items()):
        if slug not in parent:
            continue
        for item in items:
            other = briefs.get(item.id)
            if other is None or item.score < strong:
                continue
            if abs((other.date - briefs[slug].date).days) <= window_days:
                join(slug, item.id)
    groups: dict[str, list[str]] = {}
    for slug in sorted(parent):
        groups.setdefault(root(slug), []).append(slug)
    found = [sorted(g, key=lambda s: briefs[s].sort_key) for g in groups.values()
             if len(g) >= min_briefs]
    found.sort(key=lambda g: (briefs[g[-1]].sort_key, g[0]), reverse=True)
    return found


def plan_threads(graph: LinkGraph, *, strong: float = STRONG,
                 window_days: int = WINDOW_DAYS) -> tuple[Thread, ...]:
    """The digest's story threads, the most recently updated first."""
    groups = group_threads(graph.briefs, graph.follow_ups, graph.related, strong=strong,
                           window_days=window_days)
    threads: list[Thread] = []
    taken: set[str] = set()
    updated_by = {new: old for old, news in graph.follow_ups.items() for new in news}
    for members in groups:
        topics = _topics(members, graph)
        title = _title(topics, members, graph)
        slug = slugify(title, fallback="story")
        if slug in taken:  # two stories about the same things: the first brief tells them apart
            slug = f"{slug}-{members[0]}"[:120]
        taken.add(slug)
        threads.append(Thread(
            slug=slug, title=title, briefs=tuple(members),
            first=graph.briefs[members[0]].date, last=graph.briefs[members[-1]].date,
            topics=topics, joins=_joins(members, graph, updated_by)))
    return tuple(threads)


def _topics(members: Sequence[str], graph: LinkGraph) -> tuple[str, ...]:
    """Entity keys in at least half of the thread's briefs (and in two at least): the most
    shared first, then in the order the briefs list them (writers list the main one first)."""
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for slug in members:
        for key in graph.brief_entities.get(slug, ()):
            first.setdefault(key, len(first))
        counts.update(set(graph.brief_entities.get(slug, ())))
    need = max(2, (len(members) + 1) // 2)
    shared = [k for k, n in counts.items() if n >= need]
    return tuple(sorted(shared, key=lambda k: (-counts[k], first[k])))


def _title(topics: Sequence[str], members: Sequence[str], graph: LinkGraph) -> str:
    """'S-400 and Turkey': the shared thing (an entity of kind other) and the shared place;
    either alone when the other is missing; else the best shared organisation or person;
    the first brief's headline when the briefs share no entity."""
    def best(kinds: tuple[str, ...]) -> list[str]:
        return [graph.entities[k].name for k in topics if graph.entities[k].kind in kinds][:1]

    names = best(("other",)) + best(("places",)) or best(_TOPIC_KINDS[1:])
    if not names:
        return graph.briefs[members[0]].title
    return " and ".join(names)


def _joins(members: Sequence[str], graph: LinkGraph,
           updated_by: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """For each brief after the first, the earlier brief of the thread it follows and how
    (``updated_by``: each brief's ``updates:`` target, resolved)."""
    inside = set(members)
    position = {s: i for i, s in enumerate(members)}
    joins: dict[str, tuple[str, str]] = {}
    for slug in members[1:]:
        earlier_one = updated_by.get(slug, "")
        if earlier_one in inside and position[earlier_one] < position[slug]:
            joins[slug] = (earlier_one, "updates")
            continue
        earlier = [r for r in graph.related.get(slug, ()) if r.id in inside
                   and position[r.id] < position[slug]]
        if earlier:
            joins[slug] = (earlier[0].id, "related")
    return joins


def thread_of(threads: Iterable[Thread]) -> dict[str, Thread]:
    """Each brief's thread, by brief slug."""
    return {slug: t for t in threads for slug in t.briefs}
