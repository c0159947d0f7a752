"""Feeds: each Atom feed and its JSON Feed twin parse, keep stable ids, RFC 3339, absolute links."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import feedparser
from conftest import FIXTURES, brief
from linkcheck import links_of

from briefgen.build import build
from briefgen.config import load_config

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
BASE = "https://example.org/golden/"


def _feeds(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.xml") if p.name != "sitemap.xml")


def _golden(tmp_path: Path, base_url: str | None = None) -> Path:
    root = tmp_path / "golden"
    shutil.copytree(FIXTURES / "golden" / "src", root)
    if base_url is not None:
        config = (root / "briefgen.yaml").read_text()
        (root / "briefgen.yaml").write_text(re.sub(r"base_url: .*", f"base_url: {base_url}",
                                                   config))
    build(load_config(root))
    return root / "site"


def _ids(site: Path) -> dict[str, list[str]]:
    """Feed id and entry ids of every Atom feed, by path."""
    out = {}
    for path in _feeds(site):
        tree = ElementTree.parse(path).getroot()
        out[path.relative_to(site).as_posix()] = [
            tree.findtext(f"{ATOM}id") or "",
            *(e.findtext(f"{ATOM}id") or "" for e in tree.iter(f"{ATOM}entry"))]
    return out


def test_every_feed_and_its_json_twin_parse(sample_site: Path) -> None:
    feeds = _feeds(sample_site)
    kinds = {p.relative_to(sample_site).parts[0] for p in feeds}
    assert {"feed.xml", "tags", "entities"} <= kinds
    assert len(feeds) > 10
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
        assert parsed.version == "atom10" and parsed.entries, path
        twin = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert twin["version"] == "https://jsonfeed.org/version/1.1"
        assert [i["id"] for i in twin["items"]] == [e.id for e in parsed.entries], path
        assert [i["title"] for i in twin["items"]] == [e.title for e in parsed.entries]
        main = path.name == "feed.xml"  # the main feed has whole briefs, topic feeds summaries
        for item, entry in zip(twin["items"], parsed.entries, strict=True):
            assert item["summary"] == entry.summary  # summaries are plain text
            assert entry.summary_detail.type == "text/plain"
            if main:
                assert entry.content[0].type == "text/html" and item["content_html"]
            else:
                assert "content" not in entry and "content_html" not in item
                assert item["content_text"] == item["summary"]


def test_tag_and_entity_pages_link_their_feeds(sample_site: Path) -> None:
    for page in ("tags/s-400.html", "entities/people/hulusi-akar.html"):
        html = (sample_site / page).read_text()
        hrefs = re.findall(r'<link rel="alternate" type="application/atom\+xml"[^>]*'
                           r'href="([^"]+)"', html)
        targets = {((sample_site / page).parent / h).resolve() for h in hrefs}
        own = (sample_site / page.replace(".html", ".xml")).resolve()
        assert own in targets and own.is_file(), (page, hrefs)
        assert (sample_site / "feed.xml").resolve() in targets  # the whole digest's feed too


def test_dates_are_rfc3339(sample_site: Path) -> None:
    for path in _feeds(sample_site):
        tree = ElementTree.parse(path).getroot()
        stamps = [e.text or "" for e in tree.iter() if e.tag in (f"{ATOM}updated",
                                                                f"{ATOM}published")]
        assert stamps and all(RFC3339.match(s) for s in stamps), (path, stamps)
        twin = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        for item in twin["items"]:
            assert RFC3339.match(item["date_published"]) and RFC3339.match(item["date_modified"])


def test_ids_are_stable_across_builds_hosts_and_new_briefs(tmp_path: Path,
                                                          make_site: Callable[..., Path]) -> None:
    first = _ids(_golden(tmp_path / "a"))
    moved = _ids(_golden(tmp_path / "b", base_url="https://elsewhere.example.net/news/"))
    assert first == moved  # ids do not depend on where the site is hosted
    assert all(i.startswith("urn:uuid:") for ids in first.values() for i in ids)
    entries = [i for ids in first.values() for i in ids[1:]]
    assert len(set(first["feed.xml"][1:])) == len(first["feed.xml"]) - 1

    root = make_site({"content/briefs/a.md": brief("Alpha", "2026-01-01", slug="alpha")})
    build(load_config(root))
    before = _ids(root / "site")["feed.xml"]
    (root / "content/briefs/b.md").write_text(brief("Beta", "2026-01-02", slug="beta"))
    build(load_config(root))
    after = _ids(root / "site")["feed.xml"]
    assert after[0] == before[0] and after[2:] == before[1:]  # the new entry comes first
    assert entries  # the golden feeds have entries at all


def test_links_are_absolute_with_base_url(tmp_path: Path) -> None:
    site = _golden(tmp_path)
    for path in _feeds(site):
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.feed.link.startswith(BASE), path
        twin = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert twin["home_page_url"].startswith(BASE)
        assert twin["feed_url"] == BASE + path.relative_to(site).with_suffix(".json").as_posix()
        self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
        assert self_links == [BASE + path.relative_to(site).as_posix()]
        for entry, item in zip(parsed.entries, twin["items"], strict=True):
            assert entry.link.startswith(BASE) and item["url"] == entry.link
            if "content_html" not in item:  # topic feeds carry summaries only
                continue
            for html in (entry.content[0].value, item["content_html"]):
                for link in links_of(html):
                    assert link.startswith(("https://", "http://", "mailto:")), (path, link)


def test_a_large_archive_gets_a_sitemap_index() -> None:
    from briefgen.pipeline.feeds import sitemaps
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    pages = {f"briefs/b{i}.html": f"2025-01-{i + 1:02d}" for i in range(7)} | {"index.html": ""}
    assert [p for p, _ in sitemaps(BASE, pages)] == ["sitemap.xml"]  # under the limit: one file
    files = dict(sitemaps(BASE, pages, limit=3))
    assert sorted(files) == ["sitemap.xml", "sitemaps/1.xml", "sitemaps/2.xml", "sitemaps/3.xml"]
    index = ElementTree.fromstring(files["sitemap.xml"])
    assert index.tag == f"{ns}sitemapindex"
    assert [e.findtext(f"{ns}loc") for e in index] == [
        f"{BASE}sitemaps/{n}.xml" for n in (1, 2, 3)]
    listed = []
    for n in (1, 2, 3):
        urls = ElementTree.fromstring(files[f"sitemaps/{n}.xml"])
        assert urls.tag == f"{ns}urlset" and len(urls) <= 3
        listed += [u.findtext(f"{ns}loc") for u in urls]
        newest = max((u.findtext(f"{ns}lastmod") or "" for u in urls), default="")
        assert (index[n - 1].findtext(f"{ns}lastmod") or "") == newest
    assert listed == [BASE + p for p in sorted(pages)]


def test_topic_feeds_only_for_terms_with_enough_briefs(make_site: Callable[..., Path]) -> None:
    """Every tag and entity had two feed files, most of them for a single brief."""
    files = {f"content/briefs/b{n}.md": brief(f"Brief {n}", f"2026-11-2{n}",
                                              tags="[common]" if n < 3 else "[common, rare]")
             for n in range(4)}
    root = make_site(files)
    build(load_config(root))
    site = root / "site"
    assert (site / "tags" / "common.xml").is_file() and (site / "tags" / "common.json").is_file()
    assert not (site / "tags" / "rare.xml").exists() and not (site / "tags" / "rare.json").exists()
    rare = (site / "tags" / "rare.html").read_text(encoding="utf-8")
    assert "rare.xml" not in rare and rare.count("application/atom+xml") == 1  # the site's
    assert "common.xml" in (site / "tags" / "common.html").read_text(encoding="utf-8")
    (root / "briefgen.yaml").write_text("title: T\nfeed_min_briefs: 1\n", encoding="utf-8")
    build(load_config(root))
    assert (site / "tags" / "rare.xml").is_file() and (site / "tags" / "rare.json").is_file()
