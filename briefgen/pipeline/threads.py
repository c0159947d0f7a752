"""Story threads: briefs that carry one story on, found from ``updates:`` and strong related
links. Pure: a link graph in, frozen threads out, the same for the same input.

A thread is one developing story (a handful of briefs about the same event and actors over
days), not a topic. Two briefs are joined when one ``updates:`` the other (always), or by a
related link that passes every test:

- each is among the other's related briefs (mutual), with a score of at least ``STRONG``;
- they are at most ``WINDOW_DAYS`` apart;
- they name a common actor, thing or place in their headline, summary (the first paragraph
  when there is none) or key points, where a writer says what a brief is about; and it is rare
  in the digest (in at most ``_RARE_SHARE`` of the briefs, or ``_RARE_MIN`` for small
  digests), so "United Kingdom", "Labour" or a noisy extracted "Most" joins nothing;
- the joined thread keeps a common actor: one story entity is named by at least two thirds
  of its briefs (a chain a-b on x, b-c on y, c-d on z is not one story).

Related scores measure topic likeness, and a topic's briefs form long chains of near
neighbours; so links are not simply followed to connected components. They are taken
strongest first (``updates:`` before any related link) and one that would make a thread
larger than ``MAX_BRIEFS``, longer than ``MAX_SPAN_DAYS`` or without a common actor is
dropped: a Kruskal pass with limits, which keeps the strongest links of each maximum spanning
tree and cuts the weakest. ``updates:`` chains always hold, whatever their size.

Its title names what its briefs share; its slug comes from that title and its first brief, so
it stays put while the story grows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from briefgen.model import Brief, LinkGraph, Related
from briefgen.slugs import slugify

STRONG = 0.4  # related score that may join two briefs into one thread
WINDOW_DAYS = 21  # related links join briefs at most this far apart (a story over weeks)
MAX_BRIEFS = 10  # related links do not grow a thread beyond this many briefs
MAX_SPAN_DAYS = 30  # nor make it cover more days than this, first brief to last
MIN_BRIEFS = 2  # a thread has at least this many briefs
_RARE_SHARE = 0.03  # a story entity is in at most this share of the digest's briefs ...
_RARE_MIN = 2 * MAX_BRIEFS  # ... or in at most this many: a long story keeps its names
_PLACES = "places"
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


def story_entities(graph: LinkGraph) -> dict[str, frozenset[str]]:
    """Each brief's entities that can tie it to a story: rare in the digest, and named (by
    name or alias, as a whole word) in its headline, summary (else first paragraph) or key
    points, where a writer puts what the brief is about rather than what it mentions in
    passing."""
    rare = max(_RARE_MIN, int(_RARE_SHARE * len(graph.briefs)))
    patterns: dict[str, re.Pattern[str]] = {}
    for key, info in graph.entities.items():
        if len(info.briefs) > rare:
            continue
        names = sorted(
            {n.strip() for n in (info.name, *info.aliases) if n.strip()}, key=lambda n: (-len(n), n)
        )
        if names:
            alternatives = "|".join(re.escape(n) for n in names)
            patterns[key] = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    found: dict[str, frozenset[str]] = {}
    for slug, brief in graph.briefs.items():
        summary = brief.summary or brief.body.strip().split("\n\n", 1)[0]
        lead = "\n".join((brief.title, summary, *brief.key_points))
        found[slug] = frozenset(
            k
            for k in graph.brief_entities.get(slug, ())
            if k in patterns and patterns[k].search(lead)
        )
    return found


def group_threads(
    briefs: Mapping[str, Brief],
    follow_ups: Mapping[str, Sequence[str]],
    related: Mapping[str, Sequence[Related]],
    story: Mapping[str, frozenset[str]],
    *,
    strong: float = STRONG,
    window_days: int = WINDOW_DAYS,
    max_briefs: int = MAX_BRIEFS,
    max_span_days: int = MAX_SPAN_DAYS,
    min_briefs: int = MIN_BRIEFS,
) -> list[list[str]]:
    """Groups of brief slugs joined by updates or strong related links (see the module),
    each oldest first; groups ordered by their newest brief, newest first (ties by slug)."""
    scores: dict[tuple[str, str], list[float]] = {}
    for slug, items in related.items():
        if slug not in briefs:
            continue
        for item in items:
            if item.id in briefs and item.id != slug:
                pair = (min(slug, item.id), max(slug, item.id))
                scores.setdefault(pair, []).append(item.score)
    # A link: (strength, pair). updates: links come first, whatever the related scores say.
    links: list[tuple[float, str, str]] = []
    for earlier, newer in follow_ups.items():
        for slug in newer:
            if earlier in briefs and slug in briefs and earlier != slug:
                links.append((float("inf"), min(earlier, slug), max(earlier, slug)))
    for (a, b), found in scores.items():
        if len(found) < 2 or min(found) < strong:  # not mutual, or too weak one way
            continue
        if abs((briefs[a].date - briefs[b].date).days) > window_days:
            continue
        if not story.get(a, frozenset()) & story.get(b, frozenset()):
            continue
        links.append((sum(found) / 2, a, b))
    links.sort(key=lambda link: (-link[0], link[1], link[2]))  # strongest first, then by slug

    parent = {slug: slug for slug in briefs}
    size = dict.fromkeys(briefs, 1)
    span = {slug: (b.date, b.date) for slug, b in briefs.items()}
    named = {slug: Counter(story.get(slug, ())) for slug in briefs}  # story entity -> briefs

    def root(slug: str) -> str:
        while parent[slug] != slug:
            parent[slug] = parent[parent[slug]]
            slug = parent[slug]
        return slug

    for strength, a, b in links:
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        first = min(span[ra][0], span[rb][0])
        last = max(span[ra][1], span[rb][1])
        both = named[ra] + named[rb]
        if strength != float("inf") and (
            size[ra] + size[rb] > max_briefs
            or (last - first).days > max_span_days
            or max(both.values(), default=0) * 3 < 2 * (size[ra] + size[rb])
        ):
            continue  # the weakest links of a topic-sized cluster are cut here
        low, high = sorted((ra, rb))  # the smaller slug roots: the result is order-free
        parent[high] = low
        size[low] += size[high]
        span[low] = (first, last)
        named[low] = both
    groups: dict[str, list[str]] = {}
    for slug in sorted(parent):
        groups.setdefault(root(slug), []).append(slug)
    found_groups = [
        sorted(g, key=lambda s: briefs[s].sort_key) for g in groups.values() if len(g) >= min_briefs
    ]
    found_groups.sort(key=lambda g: (briefs[g[-1]].sort_key, g[0]), reverse=True)
    return found_groups


def plan_threads(
    graph: LinkGraph, *, strong: float = STRONG, window_days: int = WINDOW_DAYS
) -> tuple[Thread, ...]:
    """The digest's story threads, the most recently updated first."""
    groups = group_threads(
        graph.briefs,
        graph.follow_ups,
        graph.related,
        story_entities(graph),
        strong=strong,
        window_days=window_days,
    )
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
        threads.append(
            Thread(
                slug=slug,
                title=title,
                briefs=tuple(members),
                first=graph.briefs[members[0]].date,
                last=graph.briefs[members[-1]].date,
                topics=topics,
                joins=_joins(members, graph, updated_by),
            )
        )
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
    the first brief's headline when the briefs share no entity. Entities rare in the digest
    are preferred, so a story is not named after the country half the digest mentions."""
    rare = max(_RARE_MIN, int(_RARE_SHARE * len(graph.briefs)))

    def best(kinds: tuple[str, ...], keys: Sequence[str]) -> list[str]:
        return [graph.entities[k].name for k in keys if graph.entities[k].kind in kinds][:1]

    def names(keys: Sequence[str]) -> list[str]:
        return best(("other",), keys) + best((_PLACES,), keys) or best(_TOPIC_KINDS[1:], keys)

    found = names([k for k in topics if len(graph.entities[k].briefs) <= rare]) or names(topics)
    if not found:
        return graph.briefs[members[0]].title
    return " and ".join(found)


def _joins(
    members: Sequence[str], graph: LinkGraph, updated_by: Mapping[str, str]
) -> dict[str, tuple[str, str]]:
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
        earlier = [
            r
            for r in graph.related.get(slug, ())
            if r.id in inside and position[r.id] < position[slug]
        ]
        if earlier:
            joins[slug] = (earlier[0].id, "related")
    return joins


def thread_of(threads: Iterable[Thread]) -> dict[str, Thread]:
    """Each brief's thread, by brief slug."""
    return {slug: t for t in threads for slug in t.briefs}
