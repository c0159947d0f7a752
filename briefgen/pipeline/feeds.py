"""Atom 1.0 and JSON Feed 1.1 documents, sitemap and robots.txt, as bytes."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin
from xml.sax.saxutils import escape, quoteattr  # nosec B406 - writes XML, parses none

from briefgen.model import Brief

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
