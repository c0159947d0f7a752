"""Daily editions as plain data: the lead, what is new since the previous edition, neighbours.

Shared by the edition pages and the email version, so both say the same thing. Everything is
keyed by slugs and entity keys; callers turn those into links for their medium.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from briefgen.model import LinkGraph

TOP_STORIES = 3
NEW_TAGS = 6
NEW_ENTITIES = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class Edition:
    """One day of the digest."""

    date: dt.date
    slugs: tuple[str, ...]  # the day's briefs, newest first
    top: tuple[str, ...]  # the most connected briefs of the day, best first
    new_tags: tuple[str, ...]  # tag slugs no earlier edition had
    new_entities: tuple[str, ...]  # entity keys no earlier edition had
    developing: tuple[tuple[str, str], ...]  # (brief, earlier brief it updates or links to)
    previous: dt.date | None  # the edition before this one
    next: dt.date | None  # the edition after this one


def plan_editions(graph: LinkGraph) -> tuple[Edition, ...]:
    """Every day that has briefs, newest first."""
    days: dict[dt.date, list[str]] = {}
    for slug in graph.order:
        days.setdefault(graph.briefs[slug].date, []).append(slug)
    dates = sorted(days)
    weight = connections(graph)
    brief_tags = _invert((t.slug, t.briefs) for t in graph.tags.values())
    seen_tags: set[str] = set()
    seen_entities: set[str] = set()
    updated = _invert(graph.follow_ups.items())  # brief -> the earlier briefs it updates
    editions: list[Edition] = []
    for index, day in enumerate(dates):  # oldest first, so "seen" means "in an earlier edition"
        slugs = days[day]
        tags = _first_seen(slugs, brief_tags, seen_tags)
        entities = _first_seen(slugs, graph.brief_entities, seen_entities)
        editions.append(Edition(
            date=day, slugs=tuple(slugs),
            top=tuple(sorted(slugs, key=lambda s: -weight[s])[:TOP_STORIES]),
            new_tags=tags[:NEW_TAGS], new_entities=entities[:NEW_ENTITIES],
            developing=_developing(slugs, day, graph, updated),
            previous=dates[index - 1] if index > 0 else None,
            next=dates[index + 1] if index + 1 < len(dates) else None,
        ))
    return tuple(reversed(editions))


def connections(graph: LinkGraph) -> dict[str, int]:
    """How much of the digest points at each brief: links, follow-ups, being someone's related."""
    weight = {slug: len(graph.backlinks.get(slug, ())) + len(graph.follow_ups.get(slug, ()))
              for slug in graph.order}
    for related in graph.related.values():
        for item in related:
            if item.id in weight:
                weight[item.id] += 1
    return weight


def _invert(pairs: Iterable[tuple[str, Sequence[str]]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for name, slugs in sorted(pairs):
        for slug in slugs:
            out[slug].append(name)
    return out


def _first_seen(slugs: Sequence[str], topics: Mapping[str, Sequence[str]],
                seen: set[str]) -> tuple[str, ...]:
    """Topics of these briefs that no earlier edition had, most mentioned first; marks them."""
    counts: dict[str, int] = {}
    for slug in slugs:
        for topic in topics.get(slug, ()):
            if topic not in seen:
                counts[topic] = counts.get(topic, 0) + 1
    seen.update(counts)
    return tuple(sorted(counts, key=lambda t: (-counts[t], t)))


def _developing(slugs: Sequence[str], day: dt.date, graph: LinkGraph,
                updated: Mapping[str, Sequence[str]]) -> tuple[tuple[str, str], ...]:
    """Briefs that carry an earlier story on: the brief they update, else one they link to."""
    pairs: list[tuple[str, str]] = []
    for slug in slugs:
        earlier = [s for s in updated.get(slug, ()) if graph.briefs[s].date < day]
        if not earlier:
            targets = graph.wikilinks.get(slug, {}).values()
            earlier = sorted({s for s in targets if s in graph.briefs
                              and graph.briefs[s].date < day})
        if earlier:
            pairs.append((slug, max(earlier, key=lambda s: graph.briefs[s].sort_key)))
    return tuple(pairs)


def lead_text(edition: Edition, graph: LinkGraph) -> str:
    """'4 briefs; top stories: A, B and C.' as plain text. No "today": an edition is read
    long after its day, in the archive and in the email."""
    count = len(edition.slugs)
    titles = [graph.briefs[s].title for s in edition.top]
    noun = "brief" if count == 1 else "briefs"
    if count == 1:
        return f"1 brief: {titles[0]}."
    label = "top story" if len(titles) == 1 else "top stories"
    return f"{count} {noun}; {label}: {join_words(titles)}."


def join_words(words: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
