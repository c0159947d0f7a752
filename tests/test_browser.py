"""The sample digest in a real headless Chromium, opened from disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_follow_brief_tag_and_entity_from_disk(browser: Any, sample_site: Path) -> None:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.goto((sample_site / "index.html").as_uri())
    assert page.title()
    page.locator(".card-title a").first.click()
    page.wait_for_load_state()
    assert "/briefs/" in page.url
    assert page.locator("h1.brief-title").count() == 1
    assert page.locator(".summary-box").is_visible()
    page.locator(".brief-aside .chip-tag").first.click()
    page.wait_for_load_state()
    assert "/tags/" in page.url and page.locator(".card").count() >= 1
    page.locator(".card-title a").first.click()
    page.wait_for_load_state()
    page.locator(".brief-aside a[class*='chip-']:not(.chip-tag)").first.click()
    page.wait_for_load_state()
    assert "/entities/" in page.url
    assert page.locator("h1.page-title").inner_text()
    assert problems == []
    page.close()


def test_layout_fits_a_phone(browser: Any, sample_site: Path) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740})
    for rel in ("index.html", "briefs/turkey-s400-deescalation.html"):
        page.goto((sample_site / rel).as_uri())
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{rel} scrolls sideways on a phone ({width}px)"
    page.close()


def test_dark_mode_changes_colours(browser: Any, sample_site: Path) -> None:
    colours = []
    for scheme in ("light", "dark"):
        page = browser.new_page(color_scheme=scheme)
        page.goto((sample_site / "index.html").as_uri())
        colours.append(page.evaluate("getComputedStyle(document.body).backgroundColor"))
        page.close()
    assert colours[0] != colours[1]
