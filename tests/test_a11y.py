"""Accessibility: axe-core in headless Chromium finds no violation at all, light and dark,
at desktop and phone widths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, need

pytestmark = pytest.mark.browser

AXE = REPO / "tests" / "node" / "node_modules" / "axe-core" / "axe.min.js"


def _pages(site: Path) -> list[str]:
    """The digest, a brief, a tag, an entity, a story thread and the list of threads, an
    edition, the search page (when built) and 404."""
    pages = ["index.html",
             sorted(p for p in (site / "briefs").glob("*.html"))[0].relative_to(site).as_posix(),
             sorted(p for p in (site / "tags").glob("*.html") if p.name != "index.html")[0]
             .relative_to(site).as_posix(),
             sorted(p for p in (site / "entities").rglob("*.html") if p.parent != site /
                    "entities")[0].relative_to(site).as_posix(),
             "404.html", "threads/index.html",
             sorted(p for p in (site / "threads").glob("*.html") if p.name != "index.html")[0]
             .relative_to(site).as_posix(),
             sorted((site / "editions").glob("*/index.html"))[0].relative_to(site).as_posix()]
    if (site / "search.html").is_file():
        pages.append("search.html")
    return pages


@pytest.fixture(scope="module")
def axe_source() -> str:
    need(AXE.is_file(), "axe-core is not installed: run npm ci --prefix tests/node")
    return AXE.read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations(browser: Any, sample_site: Path, axe_source: str, scheme: str,
                           width: int) -> None:
    found = []
    page = browser.new_page(color_scheme=scheme, viewport={"width": width, "height": 900})
    for rel in _pages(sample_site):
        page.goto((sample_site / rel).as_uri())
        page.add_script_tag(content=axe_source)
        violations = page.evaluate("""async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact,
                help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""")
        found += [f"{rel}: {v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}"
                  for v in violations]
    page.close()
    assert found == [], "\n".join(found)
