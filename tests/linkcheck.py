"""A small link checker for built sites: on disk (file://) and over HTTP under a prefix."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import urlopen


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)


def links_of(html: str) -> list[str]:
    """Every href and src value in a page."""
    parser = _Links()
    parser.feed(html)
    return parser.links


def _internal(link: str) -> bool:
    scheme = urlsplit(link).scheme
    return not scheme and not link.startswith(("#", "//"))


def broken_links_on_disk(site: Path) -> list[str]:
    """``page -> link`` for every relative link that does not resolve to a file."""
    broken: list[str] = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        for link in links_of(page.read_text(encoding="utf-8")):
            if not _internal(link):
                continue
            if link.startswith("/"):
                broken.append(f"{rel} -> {link} (root-absolute)")
                continue
            target_path = unquote(urlsplit(link).path)
            if not target_path:
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target_path))
            if target.startswith("..") or not (site / target).is_file():
                broken.append(f"{rel} -> {link}")
    return broken


def crawl(start: str, prefix: str) -> tuple[set[str], list[str]]:
    """Follow every internal link from ``start`` over HTTP; return (visited, broken)."""
    seen: set[str] = set()
    broken: list[str] = []
    queue = [start]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        try:
            with urlopen(url, timeout=10) as response:
                body = response.read()
                kind = response.headers.get("Content-Type", "")
        except OSError as exc:
            broken.append(f"{url}: {exc}")
            continue
        if "html" not in kind:
            continue
        for link in links_of(body.decode("utf-8")):
            if not _internal(link):
                continue
            target = urljoin(url, link).split("#", 1)[0]
            if not urlsplit(target).path.startswith(prefix):
                broken.append(f"{url} -> {link} (leaves {prefix})")
                continue
            if target not in seen:
                queue.append(target)
    return seen, broken
