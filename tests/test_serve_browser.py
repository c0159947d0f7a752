"""`briefgen serve` in a real headless Chromium: live text edits, CSS swaps, the error
overlay and dropped articles, all without reloading the page."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, brief

from briefgen.pipeline.theme import builtin_theme_dir
from briefgen.serve import DevServer

pytestmark = pytest.mark.browser

LONG = "content/briefs/2026-11-20-long-brief.md"
_BODY = "\n\n".join(f"Paragraph {n} of the long brief, with enough words in it to fill a line "
                    "or two of the page so that the page scrolls." for n in range(120))


@pytest.fixture
def live(make_site: Callable[..., Path]) -> Iterator[tuple[Path, DevServer]]:
    """A served three-brief site with a site-level stylesheet; stopped at the end."""
    root = make_site({
        LONG: brief("The long brief", "2026-11-20", _BODY, tags="[alpha]"),
        "content/briefs/2026-11-19-short.md": brief("A short brief", "2026-11-19", "Short.",
                                                     tags="[alpha]"),
        "content/briefs/2026-11-18-other.md": brief("Another brief", "2026-11-18", "Other."),
        "themes/default/static/style.css":
            (builtin_theme_dir() / "static" / "style.css").read_text(encoding="utf-8"),
    })
    (root / "content/articles").mkdir(parents=True)
    server = DevServer(root, port=0, echo=lambda text: None, follow_up_delay=0.3)
    server.start()
    try:
        yield root, server
    finally:
        server.stop()


def _open(browser: Any, server: DevServer, rel: str) -> Any:
    """A page showing ``rel``, connected to the live stream, with a marker on ``window``."""
    page = browser.new_page(viewport={"width": 900, "height": 600})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.problems = problems
    before = server.hub.count()
    page.goto(server.url + rel)
    deadline = time.monotonic() + 5
    while server.hub.count() <= before:  # the page's stream is open: no edit can be missed
        assert time.monotonic() < deadline, "the live-reload client never connected"
        time.sleep(0.02)
    page.evaluate("window.__marker = 'still the same page'")
    return page


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_edit_updates_text_in_place_keeping_scroll(browser: Any,
                                                   live: tuple[Path, DevServer]) -> None:
    root, server = live
    page = _open(browser, server, "briefs/long-brief.html")
    page.evaluate("window.scrollTo(0, 1800)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 1000
    _edit(root / LONG, "Paragraph 60 of", "Paragraph SIXTY, freshly edited, of")
    page.wait_for_function("document.body.textContent.includes('SIXTY, freshly edited')",
                           timeout=5000)
    assert page.evaluate("window.__marker") == "still the same page"  # no reload happened
    assert page.evaluate("window.scrollY") == scrolled
    assert not (root / "site").exists()
    assert page.problems == []
    page.close()


def test_css_edit_swaps_the_stylesheet_without_reload(browser: Any,
                                                      live: tuple[Path, DevServer]) -> None:
    root, server = live
    page = _open(browser, server, "index.html")
    style = root / "themes/default/static/style.css"
    style.write_text(style.read_text(encoding="utf-8")
                     + "\nbody { background-color: rgb(1, 2, 3) !important; }\n",
                     encoding="utf-8")
    page.wait_for_function(
        "getComputedStyle(document.body).backgroundColor === 'rgb(1, 2, 3)'", timeout=5000)
    assert page.evaluate("window.__marker") == "still the same page"
    assert page.evaluate("document.querySelectorAll('link[rel=stylesheet]').length") == 1
    page.close()


def test_broken_brief_shows_overlay_until_fixed(browser: Any,
                                               live: tuple[Path, DevServer]) -> None:
    root, server = live
    page = _open(browser, server, "briefs/long-brief.html")
    _edit(root / LONG, "title: The long brief", "title: [The long brief")
    overlay = page.locator("#briefgen-overlay .where")
    overlay.first.wait_for(timeout=5000)
    assert overlay.first.inner_text().startswith(f"{LONG}:")
    assert int(overlay.first.inner_text().split(":")[1]) in (2, 3)
    assert "[BG-FM001]" in page.locator("#briefgen-overlay .message").inner_text()
    # Opaque, so the page does not show through the message.
    assert page.locator("#briefgen-overlay .panel").evaluate(
        "e => getComputedStyle(e).backgroundColor") == "rgb(20, 20, 24)"
    line = overlay.first.inner_text().split(":")[1]
    assert page.locator("#briefgen-overlay .source").inner_text().startswith(f"{line} | ")
    assert page.locator("h1.brief-title").inner_text() == "The long brief"  # last good page
    _edit(root / LONG, "title: [The long brief", "title: The long brief")
    page.locator("#briefgen-overlay").wait_for(state="detached", timeout=5000)
    _edit(root / LONG, "Paragraph 3 of", "Paragraph THREE of")
    page.wait_for_function("document.body.textContent.includes('Paragraph THREE')",
                           timeout=5000)
    assert page.evaluate("window.__marker") == "still the same page"
    page.close()


def test_dropped_article_appears_in_the_index(browser: Any,
                                              live: tuple[Path, DevServer]) -> None:
    root, server = live
    page = _open(browser, server, "index.html")
    assert page.locator("[data-brief]").count() == 3  # the lead, cards and earlier lines
    source = REPO / "content/articles/danube-barge-traffic-low-water.txt"
    shutil.copy(source, root / "content/articles" / source.name)
    page.wait_for_function("document.querySelectorAll('[data-brief]').length === 4",
                           timeout=15000)
    assert page.evaluate("window.__marker") == "still the same page"
    assert list((root / "content/briefs").glob("*danube*.md"))
    page.close()


def test_many_tabs_share_one_stream_and_all_update(browser: Any,
                                                   live: tuple[Path, DevServer]) -> None:
    root, server = live
    context = browser.new_context()
    try:
        tabs = []
        for _ in range(8):  # more than Chromium's six connections per host
            tab = context.new_page()
            tab.goto(server.url + "briefs/short.html", wait_until="domcontentloaded")
            tabs.append(tab)
        for tab in tabs:
            tab.wait_for_function("window.__briefgen && window.__briefgen.version >= 0",
                                  timeout=5000)
        assert server.hub.count() == 1  # one shared worker holds the only stream
        tabs.pop(3).close()  # a tab that goes away disturbs nobody
        _edit(root / "content/briefs/2026-11-19-short.md", "Short.", "Short, now edited.")
        for tab in tabs:
            tab.wait_for_function("document.body.textContent.includes('now edited')",
                                  timeout=5000)
    finally:
        context.close()
