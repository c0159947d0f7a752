"""Syndication: which feeds a digest has, and its Atom 1.0 and JSON Feed 1.1 documents,
sitemap, robots.txt and index.json (the link graph for other tools), as files."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from urllib.parse import urljoin
from xml.sax.saxutils import escape, quoteattr  # nosec B406 - writes XML, parses none

from briefgen.config import Config
from briefgen.hashing import Memo, digest
from briefgen.model import Brief, LinkGraph, OutputFile
from briefgen.urls import brief_path, entity_path, tag_path

_ID_NAMESPACE = uuid.UUID("6c1f0bd4-3d2b-5c1e-9a8e-2f4b7e0c9d11")
_HREF = re.compile(r'\b(href|src)="([^"]*)"')


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedMeta:
    """What a feed is about and where it lives."""

    title: str
    subtitle: str
    path: str  # the Atom file's site-root path; the JSON Feed sits beside it
    page_path: str  # the HTML page the feed mirrors
    site_url: str  # base URL with a trailing slash, or ""
    language: str
    author: str


def topic_feed(path: str, briefs: int, min_briefs: int) -> str:
    """``path`` when a tag or entity with ``briefs`` briefs gets a feed, else "".

    A feed of one or two briefs is rarely subscribed to yet cost two files per term: most
    terms of a real digest have one brief (``feed_min_briefs`` in briefgen.yaml).
    """
    return path if briefs >= min_briefs else ""


def rfc3339(brief: Brief) -> str:
    """The brief's date and time as RFC 3339 (midnight UTC for a bare date)."""
    if brief.time is not None:
        stamp = brief.time if brief.time.tzinfo else brief.time.replace(tzinfo=dt.UTC)
        return stamp.isoformat()
    return f"{brief.date.isoformat()}T00:00:00Z"


def entry_id(slug: str) -> str:
    """A stable id for a brief, independent of where the site is hosted."""
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, 'brief/' + slug)}"


def feed_id(path: str) -> str:
    """A stable id for a feed."""
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, 'feed/' + path)}"


def absolutize(html: str, site_url: str, page_path: str) -> str:
    """Make relative ``href``/``src`` values absolute (when the site has a base URL)."""
    if not site_url:
        return html
    base = site_url + page_path

    def fix(match: re.Match[str]) -> str:
        # The value is already HTML-escaped text; joining keeps its entities as they are.
        return f'{match.group(1)}="{urljoin(base, match.group(2))}"'

    return _HREF.sub(fix, html)


def _link(site_url: str, path: str) -> str:
    return site_url + path if site_url else path


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One brief rendered once as an Atom entry and a JSON Feed item, reused by every feed.

    ``atom``/``json`` carry the whole brief; ``atom_short``/``json_short`` only its summary,
    for the many tag and entity feeds (the main feed has the full text).
    """

    updated: str
    atom: str
    json: str
    atom_short: str
    json_short: str


def entry(brief: Brief, path: str, body: str, site_url: str) -> Entry:
    """Render a brief's feed entry in both formats (``body`` is relative to ``path``)."""
    stamp = rfc3339(brief)
    ident = entry_id(brief.slug)
    link = _link(site_url, path)
    content = absolutize(body, site_url, path)
    lines = ["  <entry>", f"    <id>{ident}</id>", f"    <title>{escape(brief.title)}</title>",
             f'    <link rel="alternate" type="text/html" href={quoteattr(link)}/>',
             f"    <published>{stamp}</published>", f"    <updated>{stamp}</updated>"]
    if brief.author:
        lines.append(f"    <author><name>{escape(brief.author)}</name></author>")
    lines += [f"    <category term={quoteattr(tag)}/>" for tag in brief.tags]
    lines.append(f'    <summary type="text">{escape(brief.summary)}</summary>')
    short = [*lines, "  </entry>"]
    lines.append(f'    <content type="html">{escape(content)}</content>')
    lines.append("  </entry>")
    item: dict[str, object] = {
        "id": ident, "url": link, "title": brief.title, "summary": brief.summary,
        "content_html": content, "date_published": stamp, "date_modified": stamp,
        "tags": list(brief.tags),
    }
    if brief.author:
        item["authors"] = [{"name": brief.author}]
    if brief.source.url:
        item["external_url"] = brief.source.url
    brief_item = {k: v for k, v in item.items() if k != "content_html"}
    brief_item["content_text"] = brief.summary  # JSON Feed requires some content
    return Entry(updated=stamp, atom="\n".join(lines), json=json.dumps(item, ensure_ascii=False),
                 atom_short="\n".join(short), json_short=json.dumps(brief_item, ensure_ascii=False))


def atom(meta: FeedMeta, entries: Sequence[Entry], *, full: bool = True) -> bytes:
    """An Atom feed of pre-rendered entries, newest first (``full``: with each brief's text)."""
    updated = max((e.updated for e in entries), default="1970-01-01T00:00:00Z")
    self_link = _link(meta.site_url, meta.path)
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(meta.language)}>',
           f"  <id>{feed_id(meta.path)}</id>",
           f"  <title>{escape(meta.title)}</title>"]
    if meta.subtitle:
        out.append(f"  <subtitle>{escape(meta.subtitle)}</subtitle>")
    out.append(f"  <updated>{updated}</updated>")
    if meta.site_url:
        out.append(f'  <link rel="self" type="application/atom+xml" href={quoteattr(self_link)}/>')
    page = _link(meta.site_url, meta.page_path)
    out.append(f'  <link rel="alternate" type="text/html" href={quoteattr(page)}/>')
    out.append(f"  <author><name>{escape(meta.author or meta.title)}</name></author>")
    out.append("  <generator>briefgen</generator>")
    out += [e.atom if full else e.atom_short for e in entries]
    out.append("</feed>")
    return ("\n".join(out) + "\n").encode("utf-8")


def json_feed(meta: FeedMeta, entries: Sequence[Entry], *, full: bool = True) -> bytes:
    """A JSON Feed 1.1 document mirroring the Atom feed."""
    doc: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": _link(meta.site_url, meta.page_path),
        "language": meta.language,
    }
    if meta.site_url:
        doc["feed_url"] = _link(meta.site_url, meta.path.removesuffix(".xml") + ".json")
    if meta.subtitle:
        doc["description"] = meta.subtitle
    if meta.author:
        doc["authors"] = [{"name": meta.author}]
    head = json.dumps(doc, ensure_ascii=False)[:-1]
    # Items are JSON text already: splice them in rather than encoding each brief again.
    items = ", ".join(e.json if full else e.json_short for e in entries)
    return (head + ', "items": [' + items + "]}\n").encode("utf-8")


SITEMAP_LIMIT = 50_000  # URLs one sitemap file may list (sitemaps.org protocol)


def sitemaps(site_url: str, pages: Mapping[str, str],
             limit: int = SITEMAP_LIMIT) -> list[tuple[str, bytes]]:
    """``(path, bytes)`` of the sitemap of ``{path: lastmod date}`` pages (needs a base URL).

    Up to ``limit`` pages that is one ``sitemap.xml``. A larger archive gets numbered
    sitemaps under ``sitemaps/`` and a ``sitemap.xml`` that indexes them, as the protocol
    requires; robots.txt names ``sitemap.xml`` either way.
    """
    paths = sorted(pages)
    if len(paths) <= limit:
        return [("sitemap.xml", _urlset(site_url, paths, pages))]
    parts = [paths[i:i + limit] for i in range(0, len(paths), limit)]
    files = [(f"sitemaps/{n}.xml", _urlset(site_url, part, pages))
             for n, part in enumerate(parts, 1)]
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for (path, _), part in zip(files, parts, strict=True):
        newest = max((pages[p] for p in part if pages[p]), default="")
        out.append(f"  <sitemap><loc>{escape(site_url + path)}</loc>"
                   + (f"<lastmod>{newest}</lastmod>" if newest else "") + "</sitemap>")
    out.append("</sitemapindex>")
    return [("sitemap.xml", ("\n".join(out) + "\n").encode("utf-8")), *files]


def _urlset(site_url: str, paths: Sequence[str], pages: Mapping[str, str]) -> bytes:
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path in paths:
        lastmod = pages[path]
        out.append(f"  <url><loc>{escape(site_url + path)}</loc>"
                   + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>")
    out.append("</urlset>")
    return ("\n".join(out) + "\n").encode("utf-8")


def robots(site_url: str) -> bytes:
    """robots.txt pointing at the sitemap."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {site_url}sitemap.xml\n".encode()


FeedPlan = tuple[str, str, str, str, tuple[str, ...], int]  # path, page, titles, briefs, limit



def feed_plans(config: Config, graph: LinkGraph) -> list[FeedPlan]:
    """The digest's feed, and one per tag and entity with enough briefs."""
    # Topic feeds carry fewer entries than the main feed, and summaries rather than whole
    # briefs: there are thousands of them in a large digest (Hugo's feeds carry summaries too).
    topic_limit = min(config.feed_items, 20)
    plans: list[FeedPlan] = [("feed.xml", "index.html", config.title, config.description,
                              graph.order, config.feed_items)]
    least = config.feed_min_briefs
    for tag in graph.tags.values():
        if topic_feed(f"tags/{tag.slug}.xml", len(tag.briefs), least):
            plans.append((f"tags/{tag.slug}.xml", tag_path(tag.slug),
                          f"{config.title}: #{tag.name}", f"Briefs tagged {tag.name}",
                          tag.briefs, topic_limit))
    for info in graph.entities.values():
        if topic_feed(f"entities/{info.key}.xml", len(info.briefs), least):
            plans.append((f"entities/{info.key}.xml", entity_path(info.key),
                          f"{config.title}: {info.name}", f"Briefs mentioning {info.name}",
                          info.briefs, topic_limit))
    return plans



def feed_files(config: Config, graph: LinkGraph, bodies: Mapping[str, str],
               plans: Sequence[FeedPlan], memo: Memo | None = None) -> list[OutputFile]:
    """Each planned feed in Atom and JSON Feed."""
    rendered: dict[str, Entry] = {}

    def entries(slugs: tuple[str, ...], limit: int) -> list[Entry]:
        for slug in slugs[:limit]:
            if slug not in rendered:  # a brief sits in many feeds; render its entry once
                rendered[slug] = _entry(graph.briefs[slug], bodies[slug], config.site_url, memo)
        return [rendered[s] for s in slugs[:limit]]

    out: list[OutputFile] = []
    for path, page, title, subtitle, slugs, limit in plans:
        meta = FeedMeta(title=title, subtitle=subtitle, path=path, page_path=page,
                              site_url=config.site_url, language=config.language,
                              author=config.author)
        items = entries(slugs, limit)
        full = path == "feed.xml"
        out.append(OutputFile(path=path, data=atom(meta, items, full=full), source=page))
        out.append(OutputFile(path=path.removesuffix(".xml") + ".json",
                              data=json_feed(meta, items, full=full), source=page))
    return out



def feed_outputs(config: Config, graph: LinkGraph, bodies: dict[str, str],
           memo: Memo | None = None) -> list[OutputFile]:
    """The digest's feed, and one per tag and entity with enough briefs, in Atom and JSON Feed."""
    return feed_files(config, graph, bodies, feed_plans(config, graph), memo)



def _entry(brief: Brief, body: str, site_url: str, memo: Memo | None) -> Entry:
    """A brief's feed entry, from the memo when the brief file and its body HTML are the same
    (kept as a plain tuple of strings, so the memo stays plain data)."""
    path = brief_path(brief.slug)
    key = digest("feed-entry", brief.path, brief.content_hash, path, site_url, body)
    found = memo.get(key) if memo is not None else None
    if found is not None:
        return Entry(**dict(zip(_ENTRY_FIELDS, found, strict=True)))
    made = entry(brief, path, body, site_url)
    if memo is not None:
        memo.put(key, tuple(getattr(made, name) for name in _ENTRY_FIELDS))
    return made



_ENTRY_FIELDS = tuple(f.name for f in fields(Entry))



def extras(config: Config, graph: LinkGraph) -> list[OutputFile]:
    """Files made from the link graph alone: index.json, sitemaps, robots.txt, CNAME."""
    out = [OutputFile(path=".nojekyll", data=b"", source="briefgen"),
           OutputFile(path="index.json", data=_index_json(graph), source="briefgen")]
    if config.cname:
        out.append(OutputFile(path="CNAME", data=config.cname.strip().encode() + b"\n",
                              source="briefgen.yaml"))
    if config.site_url:
        lastmod = {brief_path(s): graph.briefs[s].date.isoformat() for s in graph.order}
        newest = graph.briefs[graph.order[0]].date.isoformat() if graph.order else ""
        pages = {"index.html": newest, "tags/index.html": newest, "entities/index.html": newest,
                 "editions/index.html": newest, **lastmod}
        pages.update({tag_path(t.slug): graph.briefs[t.briefs[0]].date.isoformat()
                      for t in graph.tags.values()})
        pages.update({entity_path(e.key): graph.briefs[e.briefs[0]].date.isoformat()
                      for e in graph.entities.values()})
        out.extend(OutputFile(path=path, data=data, source="briefgen")
                   for path, data in sitemaps(config.site_url, pages))
        out.append(OutputFile(path="robots.txt", data=robots(config.site_url),
                              source="briefgen"))
    return out



def _index_json(graph: LinkGraph) -> bytes:
    """The link graph for other tools: briefs newest first, related best first."""
    briefs = []
    for slug in graph.order:
        brief = graph.briefs[slug]
        briefs.append({
            "slug": slug,
            "title": brief.title,
            "date": brief.date.isoformat(),
            "url": brief_path(slug),
            "summary": brief.summary,
            "tags": list(brief.tags),
            "entities": {kind: list(names) for kind, names in brief.entities.by_kind() if names},
            "source": {"file": brief.source.file, "url": brief.source.url,
                       "name": brief.source.name},
            "related": [{"slug": r.id, "score": r.score, "shared": list(r.shared)}
                        for r in graph.related.get(slug, ())],
            "backlinks": list(graph.backlinks.get(slug, ())),
        })
    return (json.dumps({"briefs": briefs}, ensure_ascii=False) + "\n").encode("utf-8")

