"""Search: the Pagefind index, the search page in Chromium, and a build without Pagefind."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import brief
from linkcheck import broken_links_on_disk
from pages_server import serve_pages

from briefgen.build import build
from briefgen.config import load_config

RIGHT_BRIEF = "briefs/turkey-s400-deescalation.html"
S400_STORY = [f"briefs/{slug}.html" for slug in (
    "turkey-s400-deescalation", "us-weighs-ankara-s400-offer", "russia-s400-delivery-schedule",
    "nato-air-defence-talks", "turkey-us-s400-working-group")]


def _results(page: Any, base: str) -> list[str]:
    """Wait for the search to settle; return the result links relative to ``base``."""
    page.wait_for_function(
        "() => /result|No results|not available/.test("
        "document.getElementById('search-status').textContent)")
    hrefs = page.eval_on_selector_all(".search-result h2 a", "els => els.map(e => e.href)")
    assert all(h.startswith(base) for h in hrefs), hrefs
    return [h.removeprefix(base) for h in hrefs]


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and "favicon" not in m.text and "404" not in m.text else None)
    return problems


def test_sample_site_has_index_and_search_page(sample_site: Path) -> None:
    assert (sample_site / "pagefind" / "pagefind.js").is_file()
    assert (sample_site / "pagefind" / "pagefind-entry.json").is_file()
    page = (sample_site / "search.html").read_text()
    assert 'data-index="pagefind/pagefind.js"' in page
    assert '<script src="assets/search.js" defer>' in page
    for name in ("tag", "entity", "section"):
        assert f'id="filter-{name}"' in page
    assert "<option>EurAsian Region</option>" in page and "<option>Hulusi Akar</option>" in page
    brief_page = (sample_site / RIGHT_BRIEF).read_text()
    assert 'data-pagefind-body' in brief_page
    assert 'data-pagefind-meta="date:16 November 2026"' in brief_page
    assert 'data-pagefind-meta="summary"' in brief_page
    # Page chrome (the meta line, notices, box headings) is kept out of excerpts.
    assert '<p class="meta" data-pagefind-ignore>' in brief_page
    assert '<h2 id="summary-h" data-pagefind-ignore>Summary</h2>' in brief_page
    assert 'data-section="EurAsian Region"' in brief_page
    assert "data-tags='[\"defence\", \"turkey\"" in brief_page  # JSON, for the tag filter
    # The header box on every page sends its query to the search page.
    assert 'action="../search.html"' in brief_page


def test_search_page_not_built_when_search_is_off(make_site: Callable[..., Path]) -> None:
    root = make_site({"content/briefs/a.md": brief("Alpha")}, config="search: false\n")
    result = build(load_config(root))
    assert not (root / "site" / "search.html").exists()
    assert not (root / "site" / "pagefind").exists()
    assert 'role="search"' not in (root / "site" / "index.html").read_text()
    assert [d for d in result.diagnostics if d.code == "BG-SR001"] == []


@pytest.mark.parametrize("binary", ["missing", "failing"])
def test_build_warns_when_pagefind_cannot_run(make_site: Callable[..., Path], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              binary: str) -> None:
    fake = tmp_path / "pagefind"
    if binary == "failing":
        fake.write_text("#!/bin/sh\necho 'Error: simulated crash' >&2\nexit 3\n")
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake))
    root = make_site({"content/briefs/a.md": brief("Alpha"), "content/briefs/b.md": brief("B")})
    result = build(load_config(root))
    (warning,) = [d for d in result.diagnostics if d.code == "BG-SR001"]
    assert warning.severity == "warning" and result.errors == ()
    assert "search index not built" in warning.message
    if binary == "failing":
        assert "exit code 3" in warning.message and "simulated crash" in warning.message
    site = root / "site"
    assert (site / "briefs" / "a.html").is_file() and (site / "search.html").is_file()
    assert not (site / "pagefind").exists()
    assert broken_links_on_disk(site) == []
    run = subprocess.run([sys.executable, "-m", "briefgen", "build", "-C", str(root)],
                         capture_output=True, text=True, check=False,
                         env={**os.environ, "PAGEFIND_BINARY_PATH": str(fake)})
    assert run.returncode == 0
    assert "warning: search index not built" in run.stderr and "[BG-SR001]" in run.stderr


@pytest.mark.browser
def test_search_finds_the_right_brief_under_a_project_path(browser: Any,
                                                           sample_site: Path) -> None:
    page = browser.new_page()
    problems = _watch(page)
    with serve_pages(sample_site, "/repo/") as base:
        # The header box on any page leads to the search page, which runs the query.
        page.goto(base + "briefs/nordic-power-prices.html")
        page.fill("#site-search", "S-400")
        page.press("#site-search", "Enter")
        page.wait_for_url("**/repo/search.html?q=S-400")
        found = _results(page, base)
        # Ranked by relevance: the five briefs of the S-400 story come before anything else.
        assert RIGHT_BRIEF in found[:5]
        assert set(found[:5]) == set(S400_STORY)
        assert page.input_value("#search-q") == "S-400"
        assert page.input_value("#site-search") == "S-400"
        first = page.locator(".search-result").first
        assert "November 2026 · EurAsian Region" in first.locator(".meta").inner_text()
        # The excerpt is what the brief is about (its summary, matches marked), not chrome.
        summary = first.locator(".summary")
        assert "S-400" in summary.inner_text()
        assert summary.locator("mark").count() >= 1
        for item in page.locator(".search-result").all():
            text = item.inner_text()
            assert "min read" not in text and "Example Wire" not in text, text

        page.select_option("#filter-tag", "united-states")
        narrowed = _results(page, base)
        assert 0 < len(narrowed) < len(found)
        assert "tag=united-states" in page.url
        page.select_option("#filter-tag", "")
        page.select_option("#filter-entity", "Rosoboronexport")
        assert _results(page, base) == ["briefs/russia-s400-delivery-schedule.html"]
        page.select_option("#filter-entity", "")
        page.select_option("#filter-section", "Public Health")
        assert _results(page, base) == []
        assert page.inner_text("#search-status").startswith("No results")

        page.goto(base + "search.html?q=quixotically")
        assert _results(page, base) == []
        assert "No results for “quixotically”" in page.inner_text("#search-status")

        # A match in the body only: the summary, then the matching passage of the body.
        page.goto(base + "search.html?q=hydropower")
        found = _results(page, base)
        assert "briefs/andes-glacier-survey.html" in found
        result = page.locator(".search-result", has_text="Andean Glacier Survey")
        assert result.locator(".excerpt").text_content().startswith("In the brief: ")
        assert result.locator(".excerpt mark").inner_text().lower() == "hydropower"
        assert "min read" not in result.inner_text()

        page.goto(base + "search.html?q=glacier")
        page.locator(".search-result h2 a").first.click()
        page.wait_for_load_state()
        assert page.url.endswith("/repo/briefs/andes-glacier-survey.html")
    assert problems == []
    page.close()


@pytest.mark.browser
def test_search_page_works_at_a_domain_root(browser: Any, sample_site: Path) -> None:
    page = browser.new_page()
    with serve_pages(sample_site, "/") as base:
        page.goto(base + "search.html?q=measles")
        assert _results(page, base)[0] == "briefs/measles-catch-up-campaign.html"
    page.close()


@pytest.mark.browser
def test_search_page_from_disk_explains_itself(browser: Any, sample_site: Path) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((sample_site / "search.html").as_uri() + "?q=S-400")
    page.wait_for_function(
        "() => document.getElementById('search-status').textContent.includes('HTTP')")
    assert page.input_value("#search-q") == "S-400"
    assert errors == []
    page.close()


def test_index_covers_only_briefs(sample_site: Path) -> None:
    entry = json.loads((sample_site / "pagefind" / "pagefind-entry.json").read_text())
    indexed = sum(lang["page_count"] for lang in entry["languages"].values())
    assert indexed == len(list((sample_site / "briefs").glob("*.html")))
