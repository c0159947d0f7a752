"""Build: golden output, determinism, atomic writes, errors, links, feeds."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
from conftest import FIXTURES, REPO, brief
from linkcheck import broken_links_on_disk

from briefgen.build import build, build_site
from briefgen.config import load_config
from briefgen.errors import BriefgenError

GOLDEN = FIXTURES / "golden"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _build_golden(tmp_path: Path) -> Path:
    root = tmp_path / "golden"
    shutil.copytree(GOLDEN / "src", root)
    build(load_config(root))
    return root / "site"


def test_golden_site_matches_expected_tree(tmp_path: Path) -> None:
    site = _build_golden(tmp_path)
    expected = GOLDEN / "expected"
    if os.environ.get("BRIEFGEN_UPDATE_GOLDEN"):
        shutil.rmtree(expected, ignore_errors=True)
        shutil.copytree(site, expected)
    got, want = _tree(site), _tree(expected)
    assert sorted(got) == sorted(want)
    different = [name for name in want if got[name] != want[name]]
    assert different == [], (
        f"differs from tests/fixtures/golden/expected: {different}; if the change is intended, "
        "run BRIEFGEN_UPDATE_GOLDEN=1 pytest tests/test_build.py -k golden")


def test_golden_site_content(tmp_path: Path) -> None:
    site = _build_golden(tmp_path)
    index = (site / "index.html").read_text()
    assert "Harbour at Port Vell Reopens" in index and "An Unfinished Note" not in index
    assert (site / "page" / "2.html").is_file()  # items_per_page: 2 -> two index pages
    page = (site / "briefs" / "harbour-reopens.html").read_text()
    assert "Lena Ortiz" in page and "Example Harbour News" in page
    assert 'href="https://example.com/harbour"' in page
    assert "The breakwater is stronger" in page  # quotes
    assert 'href="storm-damage-assessed.html"' in page  # wikilink, relative
    assert '<a href="../entities/places/port-vell.html" class="entity-link">Port Vell</a>' in page
    older = (site / "briefs" / "storm-damage-assessed.html").read_text()
    assert "Referenced by" in older and "harbour-reopens.html" in older
    assert "Update:" in older and "ferry-timetable.html" in older
    assert "[[not-a-link]]" in older
    ferry = (site / "briefs" / "ferry-timetable.html").read_text()
    assert "Follows up:" in ferry
    assert (site / "CNAME").read_text() == "digest.example.org\n"
    assert (site / ".nojekyll").exists()
    assert "https://example.org/golden/briefs/harbour-reopens.html" in (
        site / "sitemap.xml").read_text()
    assert "Sitemap: https://example.org/golden/sitemap.xml" in (site / "robots.txt").read_text()
    assert 'href="https://example.org/golden/index.html"' in (site / "404.html").read_text()


def test_build_is_deterministic(tmp_path: Path) -> None:
    first = _tree(_build_golden(tmp_path / "a"))
    second = _tree(_build_golden(tmp_path / "b"))
    assert first == second


def test_sample_site_is_deterministic(tmp_path: Path) -> None:
    trees = []
    for name in ("one", "two"):
        root = tmp_path / name
        shutil.copytree(REPO / "content", root / "content")
        build(load_config(root))
        trees.append(_tree(root / "site"))
    assert trees[0] == trees[1]


def test_failed_build_leaves_old_site(make_site: Callable[..., Path]) -> None:
    root = make_site({"content/briefs/a.md": brief("Alpha", body="First version.")})
    build(load_config(root))
    before = _tree(root / "site")
    (root / "content/briefs/b.md").write_text("---\ntitle: Broken\ndate: nope\n---\n")
    (root / "content/briefs/a.md").write_text(brief("Alpha", body="Second version."))
    result = subprocess.run([sys.executable, "-m", "briefgen", "build", "-C", str(root)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert ("content/briefs/b.md:3:7: error: bad date 'nope': not in the form YYYY-MM-DD "
            "[BG-FM005]") in result.stderr
    assert "Traceback" not in result.stderr
    assert _tree(root / "site") == before
    assert [p.name for p in root.iterdir() if p.name.startswith(".site")] == []


def test_successful_rebuild_replaces_site(make_site: Callable[..., Path]) -> None:
    root = make_site({"content/briefs/a.md": brief("Alpha")})
    build(load_config(root))
    (root / "site" / "stale.html").write_text("old")
    (root / "content/briefs/b.md").write_text(brief("Beta"))
    build(load_config(root))
    assert not (root / "site" / "stale.html").exists()
    assert (root / "site" / "briefs" / "b.html").is_file()


def test_every_error_reported_in_one_run(make_site: Callable[..., Path]) -> None:
    root = make_site({
        "content/briefs/a.md": "---\ntitle: [x\n---\n",
        "content/briefs/b.md": "---\ndate: 2026-01-01\n---\n",
        "content/briefs/c.md": brief("C", slug="dup"),
        "content/briefs/d.md": brief("D", slug="dup"),
        "content/briefs/e.md": brief("E", body="See [[nowhere]] and [[c|C]]."),
    })
    with pytest.raises(BriefgenError) as info:
        build(load_config(root))
    found = {(d.code, d.pos.path) for d in info.value.diagnostics}
    assert {("BG-FM001", "content/briefs/a.md"), ("BG-FM003", "content/briefs/b.md"),
            ("BG-LD001", "content/briefs/d.md"), ("BG-LK001", "content/briefs/e.md")} <= found
    assert not (root / "site").exists()


def test_unknown_template_and_template_errors(make_site: Callable[..., Path]) -> None:
    root = make_site({
        "content/briefs/a.md": brief("A", tags="[x]"),
        "themes/default/templates/tag.html": "{% extends 'missing-base.html' %}",
        "themes/default/templates/brief.html":
            "{% extends 'base.html' %}\n{% block main %}\n{{ page.no_such_field }}\n{% endblock %}\n",
        "themes/default/templates/edition.html": "{% if %}\n",
    })
    result = build_site(load_config(root))
    got = {(d.code, d.pos.path, d.pos.line) for d in result.errors}
    assert ("BG-TP003", "themes/default/templates/brief.html", 3) in got
    assert ("BG-TP002", "themes/default/templates/edition.html", 1) in got
    assert ("BG-TP001", "themes/default/templates/tag.html", 1) in got


def test_theme_override_and_extends_default(make_site: Callable[..., Path]) -> None:
    root = make_site({
        "content/briefs/a.md": brief("A"),
        "themes/mine/templates/brief.html":
            "{% extends 'default/brief.html' %}{% block title %}MINE {{ page.title }}{% endblock %}",
        "themes/mine/static/extra.css": "body{}",
    }, config="theme: mine\n")
    build(load_config(root))
    page = (root / "site/briefs/a.html").read_text()
    assert "<title>MINE A</title>" in page and "Summary" in page
    assert (root / "site/assets/extra.css").is_file()
    assert (root / "site/assets/style.css").is_file()


def test_sample_site_links_resolve(sample_site: Path) -> None:
    assert broken_links_on_disk(sample_site) == []
    assert len(list(sample_site.rglob("*.html"))) > 50


def test_sample_feed_parses(sample_site: Path) -> None:
    parsed = feedparser.parse((sample_site / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) >= 15
    ids = [e.id for e in parsed.entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("urn:uuid:") for i in ids)
    assert parsed.feed.updated.endswith("Z") or "+" in parsed.feed.updated


def test_feed_has_absolute_links_with_base_url(tmp_path: Path) -> None:
    site = _build_golden(tmp_path)
    parsed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not parsed.bozo
    entry = next(e for e in parsed.entries if e.title.startswith("Harbour"))
    assert entry.link == "https://example.org/golden/briefs/harbour-reopens.html"
    assert 'href="https://example.org/golden/briefs/storm-damage-assessed.html"' in (
        entry.content[0].value)
    assert entry.published == "2026-03-02T00:00:00Z"


def test_source_date_epoch_does_not_change_output(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    first = _tree(_build_golden(tmp_path / "a"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert _tree(_build_golden(tmp_path / "b")) == first


def test_output_collision_names_both(make_site: Callable[..., Path]) -> None:
    root = make_site({"content/briefs/a.md": brief("A", slug="x"),
                      "content/briefs/sub/b.md": brief("B", slug="x")})
    with pytest.raises(BriefgenError) as info:
        build(load_config(root))
    (dup,) = [d for d in info.value.diagnostics if d.code == "BG-LD001"]
    assert "content/briefs/a.md" in dup.message or "content/briefs/sub/b.md" in dup.message


def test_golden_expected_is_committed() -> None:
    assert (GOLDEN / "expected" / "index.html").is_file()
    assert filecmp.cmp(GOLDEN / "expected" / "assets" / "style.css",
                       REPO / "themes" / "default" / "static" / "style.css", shallow=False)


def test_sample_site_works_under_a_project_path(sample_site: Path, tmp_path: Path) -> None:
    import functools
    import http.server
    import threading

    from linkcheck import crawl

    www = tmp_path / "www"
    www.mkdir()
    (www / "repo").symlink_to(sample_site, target_is_directory=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *args: None  # type: ignore[method-assign,assignment]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        seen, broken = crawl(f"http://127.0.0.1:{port}/repo/index.html", "/repo/")
    finally:
        server.shutdown()
    assert broken == []
    assert len(seen) > 50


def test_parallel_build_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from briefgen.pipeline import parallel

    monkeypatch.setattr(parallel, "MIN_ITEMS", 2)  # make the small sample use workers
    root = tmp_path / "p"
    shutil.copytree(REPO / "content", root / "content")
    serial = build_site(load_config(root, overrides={"workers": 1}))
    forked = build_site(load_config(root, overrides={"workers": 2}))
    assert forked.outputs == serial.outputs
    assert forked.diagnostics == serial.diagnostics


_FORKED_BUILD = """
import sys
from pathlib import Path
from briefgen.pipeline import parallel
parallel.MIN_ITEMS = 2  # make the small sample use forked workers
from briefgen.build import build
from briefgen.config import load_config
build(load_config(Path(sys.argv[1]), overrides={"workers": 2}))
"""


def test_forked_build_to_disk_equals_serial_cold_and_warm(tmp_path: Path) -> None:
    """Pages rendered and written by forked workers, and pages linked from the previous
    site on a warm build, give the same site as a serial cold build. The forked builds run
    in a fresh interpreter: workers are only forked from a single-threaded process."""
    forked, serial = tmp_path / "forked", tmp_path / "serial"
    for root in (forked, serial):
        shutil.copytree(REPO / "content", root / "content")

    def run_forked() -> None:
        subprocess.run([sys.executable, "-c", _FORKED_BUILD, str(forked)], check=True,
                       timeout=300)

    run_forked()
    build(load_config(serial, overrides={"workers": 1}), use_cache=False)
    assert _tree(forked / "site") == _tree(serial / "site")
    for root in (forked, serial):
        brief_file = root / "content/briefs/2026-11-16-turkey-s400-deescalation.md"
        brief_file.write_text(brief_file.read_text().replace("press briefing", "news conference"))
    run_forked()  # warm: most pages are linked from the previous site
    build(load_config(serial, overrides={"workers": 1}), use_cache=False)
    assert _tree(forked / "site") == _tree(serial / "site")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}
