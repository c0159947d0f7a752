"""Editions: the lead, what is new since the previous edition, neighbours, and the email twins."""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import brief
from linkcheck import links_of

from briefgen.build import build
from briefgen.config import load_config
from briefgen.pipeline.editions import join_words

BASE = "https://news.example.org/digest/"


@pytest.fixture
def three_days(make_site: Callable[..., Path]) -> Path:
    """Three editions; the last follows up the first and brings new tags and entities."""
    root = make_site({
        "content/briefs/a.md": brief("Port strike begins", "2026-05-01", tags="[ports, labour]",
                                     slug="strike", entities="{places: [Rotterdam]}"),
        "content/briefs/b.md": brief("Grain prices rise", "2026-05-02", tags="[grain]",
                                     slug="grain"),
        "content/briefs/c.md": brief("Port strike ends", "2026-05-04", tags="[ports, wages]",
                                     slug="strike-ends", updates="strike",
                                     entities="{people: [Ana Ruiz], places: [Rotterdam]}"),
        "content/briefs/d.md": brief("Ferry routes resume", "2026-05-04", tags="[ports]",
                                     slug="ferries", body="After [[strike-ends]], ferries run."),
    }, config=f"title: Harbour Desk\nbase_url: {BASE}\n")
    build(load_config(root))
    return root / "site"


def _main(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def test_edition_page_has_lead_news_and_neighbours(three_days: Path) -> None:
    page = _main((three_days / "editions/2026-05-04/index.html").read_text())
    lead = re.sub(r"<[^>]+>", "", page.split('class="lede edition-lead">', 1)[1].split("</p>")[0])
    # An archived edition does not say "today", nor repeat its count as "2 new briefs".
    assert lead == "2 briefs; top stories: Port strike ends and Ferry routes resume."
    assert "new brief" not in page and "Today" not in page.split("</h1>", 1)[1]
    assert "New since the edition of <time datetime=\"2026-05-02\">2 May 2026</time>" in page
    assert ('Developing: <a href="../../briefs/strike-ends.html">Port strike ends</a> follows '
            '<a href="../../briefs/strike.html">Port strike begins</a>') in page
    new_topics = page.split("First mentioned in this edition:", 1)[1].split("</ul>", 1)[0]
    assert "#wages" in new_topics and "Ana Ruiz" in new_topics
    assert "#ports" not in new_topics and "Rotterdam" not in new_topics  # seen on 1 May
    assert 'rel="prev" href="../../editions/2026-05-02/index.html"' in page
    assert 'rel="next"' not in page  # the newest edition
    assert 'href="../../editions/2026-05-04/email.html"' in page
    assert 'href="../../editions/2026-05-04/email.txt"' in page

    first = _main((three_days / "editions/2026-05-01/index.html").read_text())
    assert "New in this first edition" in first and 'rel="prev"' not in first
    assert 'rel="next" href="../../editions/2026-05-02/index.html"' in first
    assert "1 brief: " in first and "Today:" not in first
    archive = (three_days / "editions/index.html").read_text()
    assert archive.index("2026-05-04") < archive.index("2026-05-01")


def test_email_is_inline_styled_tables_with_absolute_links(three_days: Path) -> None:
    html = (three_days / "editions/2026-05-04/email.html").read_text()
    assert "<style" not in html and "stylesheet" not in html and "class=" not in html
    assert "<script" not in html
    assert html.count('role="presentation"') == 2 and "max-width:600px" in html
    links = links_of(html)
    assert links and all(link.startswith(BASE) for link in links), links
    assert f"{BASE}briefs/strike-ends.html" in links
    assert f"{BASE}editions/2026-05-02/index.html" in links  # previous edition
    assert "2 briefs; top stories:" in html and "Today:" not in html
    text = (three_days / "editions/2026-05-04/email.txt").read_text()
    assert text.startswith("Harbour Desk\nEdition of 4 May 2026\n")
    assert "2 briefs; top stories: Port strike ends and Ferry routes resume." in text
    assert f"Read the brief: {BASE}briefs/ferries.html" in text
    assert "Developing: Port strike ends follows Port strike begins" in text
    assert "<" not in text and "&amp;" not in text
    assert max(len(line) for line in text.splitlines() if BASE not in line) <= 76


def test_email_links_are_relative_without_base_url(sample_site: Path) -> None:
    html = (sample_site / "editions/2026-11-17/email.html").read_text()
    assert 'href="../../briefs/us-weighs-ankara-s400-offer.html"' in html
    text = (sample_site / "editions/2026-11-17/email.txt").read_text()
    assert "Climate & Science" in text  # plain text is not HTML-escaped


def test_join_words() -> None:
    assert [join_words(w) for w in ([], ["A"], ["A", "B"], ["A", "B", "C"])] == [
        "", "A", "A and B", "A, B and C"]


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


@pytest.mark.browser
@pytest.mark.parametrize("width", [600, 360, 1024])
def test_email_renders_without_horizontal_scroll(browser: Any, sample_site: Path,
                                                 tmp_path: Path, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((sample_site / "editions/2026-11-22/email.html").as_uri())
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the email scrolls sideways at {width}px ({scroll}px wide)"
    content = page.locator("table table").first.bounding_box()
    assert content is not None and content["width"] == min(width, 600)
    shot = tmp_path / f"email-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    shot_width, shot_height = _png_size(shot.read_bytes())
    assert shot_width == width and shot_height > 600
    page.close()
