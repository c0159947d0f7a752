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


PAGES = ("index.html", "briefs/turkey-us-s400-working-group.html",
         "threads/s-400-and-turkey.html", "entities/other/s-400.html", "tags/defence.html",
         "editions/2026-11-22/index.html")


@pytest.mark.parametrize("width", [1280, 390])
def test_spacing_around_main(browser: Any, sample_site: Path, width: int) -> None:
    """The page title clears the header and the last block clears the footer rule (the
    `.wrap` padding once zeroed main's vertical padding)."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    for rel in PAGES:
        page.goto((sample_site / rel).as_uri())
        gaps = page.evaluate("""() => {
            const header = document.querySelector('.site-header').getBoundingClientRect();
            const h1 = document.querySelector('main h1').getBoundingClientRect();
            const main = document.querySelector('main');
            const footer = document.querySelector('.site-footer').getBoundingClientRect();
            let bottom = 0;
            for (const el of main.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if (r.height > 0) bottom = Math.max(bottom, r.bottom);
            }
            return {top: h1.top - header.bottom, bottom: footer.top - bottom};
        }""")
        assert gaps["top"] >= 16, f"{rel}: the title is {gaps['top']}px under the header"
        assert gaps["bottom"] >= 16, f"{rel}: the content is {gaps['bottom']}px above the footer"
    page.close()


def test_phone_header_is_compact_and_inside_the_margins(browser: Any, sample_site: Path) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto((sample_site / "index.html").as_uri())
    box = page.evaluate("""() => {
        const r = e => document.querySelector(e).getBoundingClientRect();
        return {header: r('.site-header').height, form: r('.search-form'),
                title: r('.site-title')};
    }""")
    assert box["header"] <= 100, f"the phone header is {box['header']}px tall"
    assert box["form"]["left"] >= 16 and box["form"]["right"] <= 390 - 16 + 0.5
    assert box["form"]["top"] < box["title"]["bottom"]  # on the title's row
    page.close()


def test_hyphenated_words_in_headlines_stay_whole(browser: Any, sample_site: Path) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for rel in ("index.html", "briefs/turkey-us-s400-working-group.html",
                "threads/s-400-and-turkey.html"):
        page.goto((sample_site / rel).as_uri())
        words = page.evaluate("""() => [...document.querySelectorAll('h1, h2, h3, .brief-line a')]
            .flatMap(h => [...h.querySelectorAll('.nobr')])
            .map(s => [s.textContent, s.getClientRects().length])""")
        assert words, rel
        assert all(lines == 1 for _, lines in words), f"{rel}: {words}"
        assert any(text == "S-400" for text, _ in words)
    page.close()


def test_meta_lines_have_no_stray_whitespace(browser: Any, sample_site: Path) -> None:
    page = browser.new_page()
    for rel in PAGES[:2]:
        page.goto((sample_site / rel).as_uri())
        stray = page.evaluate("""() => [...document.querySelectorAll('p.meta')].filter(p =>
            [...p.childNodes].some(n => n.nodeType === 3 && !n.textContent.trim()))
            .map(p => p.outerHTML)""")
        assert stray == [], stray[:2]
        assert page.locator("p.meta:empty").count() == 0, rel
        seps = page.evaluate("""() => [...document.querySelectorAll('main p.meta')].flatMap(p =>
            [...p.children].slice(1).map(e => getComputedStyle(e, '::before').content))""")
        assert seps and all("·" in s for s in seps), rel
    page.close()


def test_cards_keep_their_own_height(browser: Any, sample_site: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((sample_site / "tags/defence.html").as_uri())
    slack = page.evaluate("""() => [...document.querySelectorAll('.card')].map(card => {
        const kids = [...card.children].map(k => k.getBoundingClientRect());
        const content = Math.max(...kids.map(r => r.bottom)) - Math.min(...kids.map(r => r.top));
        return card.getBoundingClientRect().height - content;
    })""")
    assert len(slack) >= 2 and max(slack) < 40, slack
    page.close()


def test_new_since_last_visit_marks_without_moving_anything(browser: Any,
                                                           sample_site: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    front = (sample_site / "index.html").as_uri()
    page.goto(front)
    assert page.locator(".is-new").count() == 0  # a first visit marks nothing
    # A later visit, by a reader whose newest brief seen was from 20 November.
    page.evaluate("""() => { localStorage.setItem('briefgen:newest', '2026-11-20T23:59');
                             sessionStorage.clear(); }""")
    page.evaluate("""() => { window.__shift = 0; new PerformanceObserver(list => {
        for (const e of list.getEntries()) window.__shift += e.value; })
        .observe({type: 'layout-shift', buffered: true}); }""")
    page.goto(front)
    page.wait_for_load_state("load")
    marked = page.eval_on_selector_all(".is-new", "els => els.map(e => e.dataset.brief)")
    assert "turkey-us-s400-working-group" in marked  # 24 November
    assert "veloria-election-results" in marked  # 22 November
    assert "nato-air-defence-talks" not in marked  # 20 November: seen
    assert page.locator(".is-new .new-note").first.text_content() == \
        " (new since your last visit)"
    shift = page.evaluate("""() => new Promise(done => {
        let total = 0;
        new PerformanceObserver(list => { for (const e of list.getEntries()) total += e.value; })
            .observe({type: 'layout-shift', buffered: true});
        setTimeout(() => done(total), 200);
    })""")
    assert shift == 0
    # Reloading keeps the marks; opening a brief clears its own.
    page.reload()
    assert page.locator(".is-new").count() == len(marked)
    page.goto((sample_site / "briefs/veloria-election-results.html").as_uri())
    page.goto(front)
    after = page.eval_on_selector_all(".is-new", "els => els.map(e => e.dataset.brief)")
    assert "veloria-election-results" not in after and len(after) == len(marked) - 1
    # Never in print.
    page.emulate_media(media="print")
    hidden = page.evaluate("""() => { const card = document.querySelector('.card.is-new');
        return [getComputedStyle(card, '::after').content, getComputedStyle(card).boxShadow]; }""")
    assert hidden == ["none", "none"]
    context.close()


def test_email_has_no_new_marks(sample_site: Path) -> None:
    for email in (sample_site / "editions").glob("*/email.html"):
        text = email.read_text()
        assert "seen.js" not in text and "data-brief" not in text


def test_edition_send_on_line_has_one_separator(browser: Any, sample_site: Path) -> None:
    page = browser.new_page()
    page.goto((sample_site / "editions/2026-11-22/index.html").as_uri())
    line = page.evaluate("""() => { const p = document.querySelector('.send-on');
        return [...p.childNodes].map(n => (n.nodeType === 1 ?
            getComputedStyle(n, '::before').content.replace(/^none$/, '') : '') +
            n.textContent).join(''); }""")
    assert line.replace('"', "").replace(" / ", "") == "Send it on: email version·plain text"
    page.close()
