"""Plain view data for every page: what each template shows, computed once, no I/O.

Paths in views are site-root paths (``briefs/x.html``); templates turn them into relative
links with ``url()``, so a view does not depend on the page it appears on.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from briefgen.config import Config
from briefgen.model import ENTITY_KIND_LABELS, ENTITY_KINDS, Brief, LinkGraph, PageSpec, Related
from briefgen.pipeline.editions import Edition, connections, lead_text, plan_editions
from briefgen.pipeline.feeds import topic_feed
from briefgen.pipeline.threads import Thread, plan_threads, thread_of
from briefgen.slugs import slugify
from briefgen.urls import (
    brief_path,
    edition_path,
    email_path,
    entity_path,
    human_date,
    index_path,
    paged_path,
    short_date,
    tag_path,
    thread_path,
)

WORDS_PER_MINUTE = 230
CARD_CHIPS = 3  # chips on a card: more crowd out the summary
# Related briefs below this score share little more than common words: fewer but right.
RELATED_MIN_SCORE = 0.2
RELATED_SHARED = 3  # shared things named per related brief
DEVELOPING_DAYS = 7  # a thread is "developing" on the front page while this fresh
DEVELOPING_SHOWN = 4
LEAD_POINTS = 3  # key points under the front page's lead
# Entity kinds that say what a card is about come before places, then tags.
_CHIP_ORDER = {"other": 0, "organizations": 1, "people": 2, "places": 3}


def card(brief: Brief, graph: LinkGraph) -> dict[str, Any]:
    """A brief as it appears in lists: enough for a title, meta line, summary and chips."""
    tags = [{"name": graph.tags[t].name, "path": tag_path(t)}
            for t in dict.fromkeys(_tag_slugs(brief, graph))]
    entities = [{"name": graph.entities[k].name, "path": entity_path(k),
                 "kind": graph.entities[k].kind}
                for k in graph.brief_entities.get(brief.slug, ())[:6]]
    return {
        "slug": brief.slug,
        "title": brief.title,
        "path": brief_path(brief.slug),
        "date": brief.date.isoformat(),
        "date_human": human_date(brief.date),
        "time": brief.time.strftime("%H:%M") if brief.time else "",
        "source": brief.source.name,
        "section": brief.section,
        "summary": brief.summary,
        "tags": tags,
        "entities": entities,
        "chips": card_chips(entities, tags),
    }


def card_chips(entities: Sequence[Mapping[str, str]], tags: Sequence[Mapping[str, str]],
               limit: int = CARD_CHIPS) -> list[dict[str, str]]:
    """At most ``limit`` chips: what the brief is about before where, entities before tags,
    and a tag that names an entity already shown ("s-400" beside "S-400") left out."""
    ranked = sorted(entities, key=lambda e: _CHIP_ORDER.get(e["kind"], 9))
    chips: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in [*ranked, *({**t, "kind": "tag"} for t in tags)]:
        key = slugify(item["name"], fallback=item["name"].casefold())
        if key not in seen:
            seen.add(key)
            chips.append(dict(item))
    return chips[:limit]


def _tag_slugs(brief: Brief, graph: LinkGraph) -> list[str]:
    return list(graph.brief_tags.get(brief.slug, ()))


def brief_view(brief: Brief, graph: LinkGraph, body_html: str,
               position: int | None = None, *, brief_card: dict[str, Any] | None = None,
               links: dict[str, dict[str, str]] | None = None,
               thread: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything a brief page shows (``position``: the brief's index in ``graph.order``).

    A caller planning many pages passes the brief's ``card`` and a ``links`` dict shared
    between calls, so each brief's card and link are made once (views are read-only).
    """
    links = {} if links is None else links

    def link(other: Brief) -> dict[str, str]:
        found = links.get(other.slug)
        if found is None:
            found = links[other.slug] = _link(other)
        return found

    order = graph.order
    index = order.index(brief.slug) if position is None else position
    newer = graph.briefs[order[index - 1]] if index > 0 else None
    older = graph.briefs[order[index + 1]] if index + 1 < len(order) else None
    entity_groups = []
    keys = graph.brief_entities.get(brief.slug, ())
    for kind in ENTITY_KINDS:
        names = [{"name": graph.entities[k].name, "path": entity_path(k)}
                 for k in keys if graph.entities[k].kind == kind]
        if names:
            entity_groups.append({"kind": kind, "label": ENTITY_KIND_LABELS[kind],
                                  "entities": names})
    speakers = {}
    for key in keys:
        info = graph.entities[key]
        if info.kind == "people":
            for name in (info.name, *info.aliases):
                speakers[name.casefold()] = entity_path(key)
    updates = graph.briefs.get(graph.wikilinks.get(brief.slug, {}).get(brief.updates, "")) \
        or graph.briefs.get(brief.updates)
    return {
        **(brief_card or card(brief, graph)),
        "author": brief.author,
        "source_url": brief.source.url,
        "reading_minutes": max(1, math.ceil(brief.word_count / WORDS_PER_MINUTE)),
        "summary_is_auto": brief.summary_is_auto,
        "key_points": list(brief.key_points),
        "body_html": body_html,
        "quotes": [{"speaker": q.speaker, "text": q.text,
                    "speaker_path": speakers.get(q.speaker.casefold(), "")}
                   for q in brief.quotes],
        "entity_groups": entity_groups,
        "related": [{**link(graph.briefs[r.id]), "shared": list(r.shared), "score": r.score}
                    for r in strong_related(graph.related.get(brief.slug, ()), graph)],
        "thread": thread,
        "backlinks": [link(graph.briefs[s]) for s in graph.backlinks.get(brief.slug, ())],
        "follows_up": link(updates) if updates else None,
        "follow_ups": [link(graph.briefs[s]) for s in graph.follow_ups.get(brief.slug, ())],
        "newer": link(newer) if newer else None,
        "older": link(older) if older else None,
        "edition_path": edition_path(brief.date),
    }


def strong_related(items: Sequence[Related], graph: LinkGraph,
                   minimum: float = RELATED_MIN_SCORE) -> list[Related]:
    """The related briefs worth a reader's click: score at least ``minimum``, and each shared
    thing named once (case and spelling folded: "S-400" and "s-400", the tag "ai-act" and
    the entity "AI Act")."""
    kept = []
    for item in items:
        if item.id not in graph.briefs or item.score < minimum:
            continue
        names: dict[str, str] = {}
        for name in item.shared:
            names.setdefault(slugify(name, fallback=name.casefold()), name)
        kept.append(Related(id=item.id, score=item.score,
                            shared=tuple(names.values())[:RELATED_SHARED]))
    return kept


def _link(brief: Brief) -> dict[str, str]:
    return {"title": brief.title, "path": brief_path(brief.slug), "date": brief.date.isoformat(),
            "date_human": human_date(brief.date)}


def group_by_day(cards: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive cards of the same date as ``{date, date_human, edition_path, briefs}``."""
    days: list[dict[str, Any]] = []
    for item in cards:
        if not days or days[-1]["date"] != item["date"]:
            day = dt.date.fromisoformat(item["date"])
            days.append({"date": item["date"], "date_human": human_date(day),
                         "edition_path": edition_path(day), "briefs": []})
        days[-1]["briefs"].append(item)
    return days


def site_view(config: Config) -> dict[str, Any]:
    """Site-wide values every template may use."""
    return {
        "title": config.title,
        "description": config.description,
        "language": config.language,
        "author": config.author,
        "base_url": config.site_url,
        "search": config.search,
    }


def plan_cards(graph: LinkGraph) -> dict[str, dict[str, Any]]:
    """Every published brief's card (see ``card``), by slug: listings share them."""
    return {slug: card(graph.briefs[slug], graph) for slug in graph.order}


def plan_ranked_pages(graph: LinkGraph, bodies: Mapping[str, str],
                      cards: Mapping[str, dict[str, Any]],
                      config: Config | None = None) -> list[PageSpec]:
    """The pages that depend on related briefs: one per brief, the story threads, the
    editions (whose top stories count how often a brief is someone's related) and, with
    ``config``, the front page (its lead is the most connected brief, its threads need the
    ranking)."""
    pages: list[PageSpec] = []
    links: dict[str, dict[str, str]] = {}
    threads = plan_threads(graph)
    by_brief = thread_of(threads)
    for position, slug in enumerate(graph.order):
        brief = graph.briefs[slug]
        found = by_brief.get(slug)
        view = brief_view(brief, graph, bodies[slug], position, brief_card=cards.get(slug),
                          links=links, thread=_thread_link(found, slug) if found else None)
        pages.append(PageSpec(path=brief_path(slug), template="brief.html",
                              source=brief.path, view={"kind": "brief", **view}))
    pages += _thread_pages(threads, graph, cards)
    if config is not None:
        pages.insert(0, PageSpec(path=index_path(1), template="index.html",
                                 view=front_view(config, graph, cards, threads)))
    return pages + _edition_pages(graph, cards)


def _thread_link(thread: Thread, slug: str) -> dict[str, Any]:
    return {"title": thread.title, "path": thread_path(thread.slug), "count": len(thread.briefs),
            "number": thread.briefs.index(slug) + 1, "since": short_date(thread.first)}


def _thread_summary(thread: Thread, graph: LinkGraph) -> dict[str, Any]:
    """A thread as listed: 'Developing: S-400 and Turkey · 5 briefs since 16 Nov'."""
    newest = graph.briefs[thread.briefs[-1]]
    return {"title": thread.title, "path": thread_path(thread.slug), "count": len(thread.briefs),
            "first": thread.first.isoformat(), "first_human": human_date(thread.first),
            "since": short_date(thread.first), "last": thread.last.isoformat(),
            "last_human": human_date(thread.last), "latest": _link(newest),
            "latest_summary": newest.summary,
            "sources": sorted({graph.briefs[s].source.name for s in thread.briefs}
                              - {""}, key=str.casefold)}


def _thread_pages(threads: Sequence[Thread], graph: LinkGraph,
                  cards: Mapping[str, dict[str, Any]]) -> list[PageSpec]:
    pages = [PageSpec(path="threads/index.html", template="threads.html", view={
        "kind": "threads", "title": "Story threads",
        "threads": [_thread_summary(t, graph) for t in threads]})]
    for thread in threads:
        timeline = []
        for slug in thread.briefs:
            item = _timeline_item(cards[slug])
            earlier, how = thread.joins.get(slug, ("", ""))
            item["follows"] = ({**_link(graph.briefs[earlier]), "how": how} if earlier else None)
            timeline.append(item)
        pages.append(PageSpec(path=thread_path(thread.slug), template="thread.html", view={
            "kind": "thread", **_thread_summary(thread, graph),
            "topics": [{"name": graph.entities[k].name, "path": entity_path(k),
                        "kind": graph.entities[k].kind} for k in thread.topics[:6]],
            "timeline": timeline,
        }))
    return pages


def front_view(config: Config, graph: LinkGraph, cards: Mapping[str, dict[str, Any]],
               threads: Sequence[Thread]) -> dict[str, Any]:
    """The front page as today's briefing: the lead, the developing threads, the latest
    day's other briefs by section, then earlier days (up to ``items_per_page`` briefs)."""
    per_page = config.items_per_page
    total = max(1, math.ceil(len(graph.order) / per_page))
    view: dict[str, Any] = {
        "kind": "index", "title": config.title, "number": 1, "total": total,
        "count": len(graph.order), "newer_path": "",
        "older_path": index_path(2) if total > 1 else "",
        "lead": None, "developing": [], "sections": [], "days": [], "threads_by_path": {},
    }
    if not graph.order:
        return view
    shown = graph.order[:per_page]
    latest = graph.briefs[shown[0]].date
    today = [s for s in shown if graph.briefs[s].date == latest]
    lead = pick_lead(today, graph)
    by_brief = thread_of(threads)
    lead_brief = graph.briefs[lead]
    in_thread = by_brief.get(lead)
    sections: dict[str, list[dict[str, Any]]] = {}
    for slug in today:
        if slug != lead:
            sections.setdefault(graph.briefs[slug].section, []).append(cards[slug])
    fresh = [t for t in threads if (latest - t.last).days <= DEVELOPING_DAYS]
    view.update({
        "date": latest.isoformat(), "date_human": human_date(latest),
        "weekday": _WEEKDAYS[latest.weekday()], "today_count": len(today),
        "edition_path": edition_path(latest),
        "lead": {**cards[lead], "key_points": list(lead_brief.key_points[:LEAD_POINTS]),
                 "thread": _thread_link(in_thread, lead) if in_thread else None},
        # Named sections first, largest first, then by name; briefs without one last.
        "sections": [{"name": name or "More briefs", "id": "s-" + slugify(name or "more"),
                      "briefs": items}
                     for name, items in sorted(sections.items(), key=lambda kv: (
                         kv[0] == "", -len(kv[1]), kv[0].casefold()))],
        "developing": [_thread_summary(t, graph) for t in fresh[:DEVELOPING_SHOWN]],
        "threads_by_path": {brief_path(s): {"title": t.title, "path": thread_path(t.slug)}
                            for s in shown for t in (by_brief.get(s),) if t},
        "days": group_by_day([cards[s] for s in shown if graph.briefs[s].date != latest]),
    })
    return view


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def pick_lead(today: Sequence[str], graph: LinkGraph) -> str:
    """The brief marked ``lead: true`` (the newest such), else the most connected one (links,
    follow-ups, being another brief's related), newest first among equals."""
    marked = [s for s in today if graph.briefs[s].lead]
    if marked:
        return marked[0]
    weight = connections(graph)
    return min(today, key=lambda s: (-weight.get(s, 0), today.index(s)))


def plan_listing_pages(config: Config, graph: LinkGraph,
                       cards: Mapping[str, dict[str, Any]]) -> list[PageSpec]:
    """The index pages after the first, tag, entity, search and 404 pages, which do not
    depend on related briefs, so they can be planned while the ranking runs. The front page
    is planned with the ranked pages (see ``front_view``)."""
    briefs = [graph.briefs[s] for s in graph.order]
    pages: list[PageSpec] = []
    per_page = config.items_per_page
    total = max(1, math.ceil(len(briefs) / per_page))
    for number in range(2, total + 1):
        chunk = briefs[(number - 1) * per_page : number * per_page]
        pages.append(PageSpec(path=index_path(number), template="index.html", view={
            "kind": "index", "title": f"{config.title}, page {number}",
            "days": group_by_day([cards[b.slug] for b in chunk]),
            "number": number, "total": total, "count": len(briefs),
            "newer_path": index_path(number - 1),
            "older_path": index_path(number + 1) if number < total else "",
        }))
    pages.extend(_tag_pages(graph, cards, per_page, config.feed_min_briefs))
    pages.extend(_entity_pages(graph, cards, per_page, config.feed_min_briefs))
    if config.search:
        pages.append(_search_page(graph))
    pages.append(PageSpec(path="404.html", template="404.html",
                          view={"kind": "404", "title": "Page not found",
                                "latest": [cards[b.slug] for b in briefs[:5]]}))
    return pages


def _paginate(first: str, slugs: Sequence[str], per_page: int) -> list[dict[str, Any]]:
    """Split a long list of briefs into pages, with paths and newer/older links."""
    total = max(1, math.ceil(len(slugs) / per_page))
    return [{
        "path": paged_path(first, n), "number": n, "total": total,
        "slugs": slugs[(n - 1) * per_page : n * per_page],
        "newer_path": paged_path(first, n - 1) if n > 1 else "",
        "older_path": paged_path(first, n + 1) if n < total else "",
    } for n in range(1, total + 1)]


def _tag_pages(graph: LinkGraph, cards: Mapping[str, dict[str, Any]],
               per_page: int, min_feed: int = 1) -> list[PageSpec]:
    pages = [PageSpec(path="tags/index.html", template="tags.html", view={
        "kind": "tags", "title": "Tags",
        "tags": [{"name": t.name, "path": tag_path(t.slug), "count": len(t.briefs)}
                 for t in sorted(graph.tags.values(), key=lambda t: t.slug)],
    })]
    for tag in graph.tags.values():
        for part in _paginate(tag_path(tag.slug), tag.briefs, per_page):
            suffix = f", page {part['number']}" if part["number"] > 1 else ""
            pages.append(PageSpec(path=part["path"], template="tag.html", view={
                "kind": "tag", "title": f"Tag: {tag.name}{suffix}", "name": tag.name,
                "slug": tag.slug, "count": len(tag.briefs),
                "feed_path": topic_feed(f"tags/{tag.slug}.xml", len(tag.briefs), min_feed),
                "days": group_by_day([cards[s] for s in part["slugs"]]),
                **{k: part[k] for k in ("number", "total", "newer_path", "older_path")},
            }))
    return pages


def _entity_pages(graph: LinkGraph, cards: Mapping[str, dict[str, Any]],
                  per_page: int, min_feed: int = 1) -> list[PageSpec]:
    groups = []
    for kind in ENTITY_KINDS:
        members = sorted((e for e in graph.entities.values() if e.kind == kind),
                         key=lambda e: (e.name.casefold(), e.key))
        if members:
            groups.append({"kind": kind, "label": ENTITY_KIND_LABELS[kind], "entities": [
                {"name": e.name, "path": entity_path(e.key), "count": len(e.briefs)}
                for e in members]})
    pages = [PageSpec(path="entities/index.html", template="entities.html",
                      view={"kind": "entities", "title": "People, organisations and places",
                            "groups": groups})]
    for info in graph.entities.values():
        for part in _paginate(entity_path(info.key), info.briefs, per_page):
            first = part["number"] == 1
            pages.append(PageSpec(path=part["path"], template="entity.html", view={
                "kind": "entity", "name": info.name, "key": info.key,
                "title": info.name + ("" if first else f", page {part['number']}"),
                "entity_kind": info.kind, "kind_label": ENTITY_KIND_LABELS[info.kind],
                "aliases": list(info.aliases), "description": info.description,
                "count": len(info.briefs),
                "feed_path": topic_feed(f"entities/{info.key}.xml", len(info.briefs), min_feed),
                "timeline": [_timeline_item(cards[s]) for s in part["slugs"]],
                # Quotes and co-mentions summarise the whole entity: first page only.
                "quotes": [{"text": q.text, "speaker": q.speaker, **_link(graph.briefs[s])}
                           for s, q in info.quotes[:20]] if first else [],
                "co_mentions": [{"name": graph.entities[k].name, "path": entity_path(k),
                                 "count": n} for k, n in info.co_mentions] if first else [],
                **{k: part[k] for k in ("number", "total", "newer_path", "older_path")},
            }))
    return pages


def _timeline_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("slug", "title", "path", "date", "date_human", "time",
                                 "summary", "source")}


def _edition_pages(graph: LinkGraph,
                   cards: Mapping[str, dict[str, Any]]) -> list[PageSpec]:
    editions = plan_editions(graph)
    pages = [PageSpec(path="editions/index.html", template="archive.html", view={
        "kind": "archive", "title": "Editions",
        "editions": [{"date": e.date.isoformat(), "date_human": human_date(e.date),
                      "path": edition_path(e.date), "count": len(e.slugs),
                      "headlines": [graph.briefs[s].title for s in e.top]} for e in editions],
    })]
    for edition in editions:
        pages.append(PageSpec(path=edition_path(edition.date), template="edition.html",
                              view=edition_view(edition, graph, cards)))
    return pages


def edition_view(edition: Edition, graph: LinkGraph,
                 cards: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """An edition page: the lead, what is new since the previous edition, the day's briefs."""
    day = edition.date
    topics = [{"name": f"#{graph.tags[t].name}", "path": tag_path(t), "kind": "tag"}
              for t in edition.new_tags]
    topics += [{"name": graph.entities[k].name, "path": entity_path(k),
                "kind": graph.entities[k].kind} for k in edition.new_entities]
    return {
        "kind": "edition", "title": f"Edition of {human_date(day)}",
        "date": day.isoformat(), "date_human": human_date(day),
        "edition_path": edition_path(day), "count": len(edition.slugs),
        "briefs": [cards[s] for s in edition.slugs],
        "lead": lead_text(edition, graph),
        "top": [_link(graph.briefs[s]) for s in edition.top],
        "new_topics": topics,
        "developing": [{**_link(graph.briefs[s]), "earlier": _link(graph.briefs[e])}
                       for s, e in edition.developing],
        "previous": _edition_link(edition.previous),
        "next": _edition_link(edition.next),
        "email_path": email_path(day, "html"),
        "text_path": email_path(day, "txt"),
    }


def _edition_link(day: dt.date | None) -> dict[str, str] | None:
    if day is None:
        return None
    return {"path": edition_path(day), "date": day.isoformat(), "date_human": human_date(day)}


def _search_page(graph: LinkGraph) -> PageSpec:
    """The search page; its filter choices are every tag, entity and section of the digest.

    ``meta`` names the Pagefind metadata key each filter is checked against (see brief.html).
    """
    def options(names: set[str]) -> list[str]:
        return sorted(names, key=lambda n: (n.casefold(), n))

    filters = [
        {"name": "tag", "meta": "tags", "label": "Tag",
         "options": options({t.name for t in graph.tags.values()})},
        {"name": "entity", "meta": "entities", "label": "Person, organisation or place",
         "options": options({e.name for e in graph.entities.values()})},
        {"name": "section", "meta": "section", "label": "Section",
         "options": options({b.section for b in graph.briefs.values() if b.section})},
    ]
    return PageSpec(path="search.html", template="search.html", view={
        "kind": "search", "title": "Search", "count": len(graph.order),
        "filters": [f for f in filters if f["options"]],
    })
