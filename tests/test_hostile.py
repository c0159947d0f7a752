"""Hostile input: every attack in tests/fixtures/hostile/ ends in a clear error or safe output.

Each case is built next to one ordinary brief, under a time bound, with the folder tree
snapshotted before and after (nothing may appear outside ``site/`` and the build cache).
Safe output is scanned for scripts, event handlers and dangerous URLs, then opened in
headless Chromium, where any ``alert`` fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from xml.etree import ElementTree

import pytest
import yaml
from conftest import FIXTURES, REPO, brief

from briefgen.build import build
from briefgen.config import load_config
from briefgen.errors import BriefgenError

HOSTILE = FIXTURES / "hostile"
CASES: dict[str, dict[str, Any]] = yaml.safe_load((HOSTILE / "expected.yaml").read_text())
DEFAULT_SECONDS = 15  # generous for a loaded 2-CPU CI machine; a hang takes forever
# The 100,000-character lines: markdown-it-py parses "[" * 100_000 in about 7 s on one core
# (linear, but slow); the several lines together need more than the default.
SLOW_SECONDS = 60
ANCHOR = brief("An ordinary brief", date="2026-11-19", body="Nothing to see here.")
ALLOWED_OUTPUT = ("site", ".briefgen")  # the output folder and the build cache beside it
ESCAPE_MARKERS = (Path("/tmp/escaped"), Path("/tmp/briefgen-pwned"))


# -- generators for attacks too large, binary or oddly named to commit ---------------------

def deep_flow_nesting(briefs: Path, name: str) -> str:
    """A title nested 100,000 flow brackets deep (libyaml crashed with a segfault)."""
    depth = 100_000
    (briefs / name).write_text("---\ntitle: " + "[" * depth + "]" * depth
                               + "\ndate: 2026-11-20\n---\nBody.\n")
    return name


def deep_block_nesting(briefs: Path, name: str) -> str:
    """Compact block sequences: ``- - - - x`` nests one level per dash on a single line."""
    (briefs / name).write_text("---\ntitle: x\ndate: 2026-11-20\ntags: " + "- " * 200_000
                               + "x\n---\nBody.\n")
    return name


def huge_file(briefs: Path, name: str) -> str:
    """A 50 MB brief of ordinary words."""
    with (briefs / name).open("wb") as out:
        out.write(b"---\ntitle: Huge\ndate: 2026-11-20\n---\n")
        chunk = b"lorem ipsum dolor sit amet " * 40_000
        while out.tell() < 50 * 1024 * 1024:
            out.write(chunk)
    return name


def binary_file(briefs: Path, name: str) -> str:
    """A PNG header and random-looking bytes with NULs, named ``.md``."""
    (briefs / name).write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    return name


def invalid_utf8(briefs: Path, name: str) -> str:
    """Latin-1 bytes in a UTF-8 file."""
    (briefs / name).write_bytes(b"---\ntitle: Caf\xe9 \xff\xfe\ndate: 2026-11-20\n---\nBody.\n")
    return name


def nul_bytes(briefs: Path, name: str) -> str:
    """A NUL byte in the body of an otherwise fine brief."""
    (briefs / name).write_bytes(b"---\ntitle: Nul\ndate: 2026-11-20\n---\nBefore \x00 after.\n")
    return name


def control_in_body(briefs: Path, name: str) -> str:
    """Terminal escape sequences and a bell in the body (they broke feed.xml)."""
    (briefs / name).write_text("---\ntitle: Ctl\ndate: 2026-11-20\n---\n"
                               "Red \x1b[31mtext\x1b[0m and a bell \x07.\n")
    return name


def too_many_tags(briefs: Path, name: str) -> str:
    """Five thousand tags on one brief."""
    tags = ", ".join(f"tag{n}" for n in range(5000))
    (briefs / name).write_text(f"---\ntitle: Tags\ndate: 2026-11-20\ntags: [{tags}]\n---\nB.\n")
    return name


def symlink_outside(briefs: Path, name: str) -> str:
    """A brief that is a symlink to a file outside content/."""
    secret = briefs.parents[2] / "outside-secret.md"
    secret.write_text(brief("Secret", body="Outside the content folder."))
    (briefs / name).symlink_to(secret)
    (briefs / "etc-passwd.md").symlink_to("/etc/passwd")
    return name


def symlink_loop(briefs: Path, name: str) -> str:
    """Two links pointing at each other, and a folder link to its own parent."""
    (briefs / name).symlink_to(briefs / "loop-b.md")
    (briefs / "loop-b.md").symlink_to(briefs / name)
    (briefs / "self").symlink_to(".", target_is_directory=True)
    return name


def slug_collision(briefs: Path, name: str) -> str:
    """Three file names that slugify to the same slug."""
    for stem in ("Hello World", "hello-world", "HELLO  WORLD!"):
        (briefs / f"{stem}.md").write_text(brief(stem))
    return "hello-world.md"  # the first file (by path) keeps the slug; the others are errors


def long_line(briefs: Path, name: str) -> str:
    """A 100,000-character title and a 100,000-character body line."""
    words = ("lorem ipsum [dolor](https://example.com) **sit** amet " * 2000)[:100_000]
    title = ("A very long title " * 6000)[:100_000]
    (briefs / name).write_text(f"---\ntitle: {title}\ndate: 2026-11-20\n---\n\n{words}\n")
    return name


def pathological_lines(briefs: Path, name: str) -> str:
    """100,000-character lines that made regexes and parsers quadratic."""
    # "![" * 50_000 and "<" * 100_000 behave like the brackets line; left out for time.
    lines = {"brackets": "[" * 100_000, "wiki": "[[x" * 33_000, "fences": "```x\n" * 20_000,
             "emphasis": "*a" * 50_000, "links": "[a](" * 25_000, "code": "``a`" * 25_000}
    for label, text in lines.items():
        (briefs / f"{label}-{name}").write_text(f"---\ntitle: {label}\ndate: 2026-11-20\n"
                                                f"---\n\n{text}\n")
    return name


def windows_file_names(briefs: Path, name: str) -> str:
    """File names with backslashes, drive letters and dots (legal on Linux)."""
    for stem in ("C:\\Windows\\evil", "..\\..\\escape", "...", "%2e%2e%2fescape"):
        (briefs / f"{stem}.md").write_text(brief(f"Named {stem}"))
    return name


def many_tags_across_briefs(briefs: Path, name: str) -> str:
    """Twenty briefs with a hundred distinct tags each: two thousand tag pages."""
    for number in range(20):
        tags = ", ".join(f"t{number}x{n}" for n in range(100))
        (briefs / f"tags-{number}.md").write_text(brief(f"Tags {number}", tags=f"[{tags}]"))
    return name


def deep_markdown(briefs: Path, name: str) -> str:
    """Nesting in the Markdown body: quotes, lists and emphasis 50,000 deep."""
    body = ">" * 50_000 + " x\n\n" + "- " * 50_000 + "x\n\n" + "*" * 50_000 + "x\n"
    (briefs / name).write_text(f"---\ntitle: Deep\ndate: 2026-11-20\n---\n\n{body}")
    return name


# -- helpers --------------------------------------------------------------------------------

@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM interrupts the build after ``seconds``."""
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def snapshot(top: Path) -> set[str]:
    """Every path under ``top`` (links not followed), relative and posix."""
    found: set[str] = set()
    for folder, dirs, files in os.walk(top):
        for item in (*dirs, *files):
            found.add((Path(folder) / item).relative_to(top).as_posix())
    return found


def make_case(tmp_path: Path, name: str) -> tuple[Path, str]:
    """A site root holding the anchor brief and the attack; returns (root, expected path)."""
    # Deep inside tmp_path, so "../../../x" escapes still land where snapshot() sees them.
    root = tmp_path / "a" / "b" / "c" / "root"
    briefs = root / "content" / "briefs"
    briefs.mkdir(parents=True)
    (briefs / "anchor.md").write_text(ANCHOR)
    case = CASES[name]
    if "make" in case:
        rel = globals()[case["make"]](briefs, name)
    else:
        shutil.copy(HOSTILE / "briefs" / name, briefs / name)
        rel = name
    return root, f"content/briefs/{rel}"


def check_tree(tmp_path: Path, root: Path, before: set[str]) -> None:
    """Nothing new outside the output folder and cache; no escape marker anywhere."""
    prefix = root.relative_to(tmp_path).as_posix() + "/"
    new = snapshot(tmp_path) - before
    outside = sorted(p for p in new
                     if not any(p == prefix + a or p.startswith(prefix + a + "/")
                                for a in ALLOWED_OUTPUT))
    assert outside == [], f"files written outside site/: {outside[:10]}"


class _Scanner(HTMLParser):
    """Collects markup that could run script in a browser."""

    URL_ATTRS: ClassVar[set[str]] = {
        "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
        "srcset", "ping", "manifest", "codebase", "cite"}
    FORBIDDEN: ClassVar[set[str]] = {
        "iframe", "frame", "object", "embed", "applet", "base", "svg", "math", "style",
        "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.titles = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "title":
            self.titles += 1
        if tag == "script":
            src = values.get("src") or ""
            # The theme's own scripts: files from assets/ or the search index, never inline.
            if not re.fullmatch(r"(\.\./)*(assets|pagefind)/[\w.-]+\.js", src):
                self.problems.append(f"script not from the theme: {values}")
        if tag in self.FORBIDDEN:
            self.problems.append(f"<{tag}> in output")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("meta refresh")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            squashed = re.sub(r"[\x00-\x20]+", "", value or "").lower()
            if name in self.URL_ATTRS and squashed.startswith(("javascript:", "vbscript:",
                                                               "data:")):
                self.problems.append(f"dangerous URL {name}={value!r} on <{tag}>")
            if name == "style" and ("javascript:" in squashed or "expression(" in squashed
                                    or "url(" in squashed):
                self.problems.append(f"style with a URL on <{tag}>: {value!r}")


def unsafe_markup(html: str) -> list[str]:
    """Everything in a page that could run script; empty for a safe page."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    if scanner.titles != 1:
        scanner.problems.append(f"{scanner.titles} <title> elements (a title breakout?)")
    if html.count("</title>") != 1:
        scanner.problems.append("</title> appears more than once")
    return scanner.problems


def check_safe_output(site: Path) -> None:
    """Every page passes unsafe_markup; every feed is well-formed XML."""
    problems = []
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        problems += [f"{page.relative_to(site)}: {p}" for p in unsafe_markup(text)]
    for feed in sorted(site.rglob("*.xml")):
        try:
            ElementTree.parse(feed)
        except ElementTree.ParseError as exc:
            problems.append(f"{feed.relative_to(site)}: not well-formed XML: {exc}")
    assert problems == [], "\n".join(problems[:20])


def _seconds(name: str) -> int:
    return SLOW_SECONDS if CASES[name].get("make") in ("long_line", "pathological_lines",
                                                      "many_tags_across_briefs") \
        else DEFAULT_SECONDS


# -- tests ----------------------------------------------------------------------------------

def test_every_committed_attack_has_an_expectation() -> None:
    committed = {p.name for p in (HOSTILE / "briefs").iterdir()}
    listed = {name for name, case in CASES.items() if "make" not in case}
    assert committed == listed
    assert all(("error" in c) != ("safe" in c) for c in CASES.values())


@pytest.mark.parametrize("name", sorted(CASES))
def test_attack_gives_clear_error_or_safe_output(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    markers = {m: m.exists() for m in ESCAPE_MARKERS}
    root, rel = make_case(tmp_path, name)
    before = snapshot(tmp_path)
    started = time.monotonic()
    with time_limit(_seconds(name)):
        if "error" in case:
            with pytest.raises(BriefgenError) as info:
                build(load_config(root))
            found = [(d.code, d.pos.path, d.pos.line) for d in info.value.diagnostics]
            line = case.get("line")
            assert any(code == case["error"] and path == rel and line in (None, at)
                       for code, path, at in found), found
            assert not (root / "site").exists()
        else:
            result = build(load_config(root))
            assert result.errors == ()
    assert time.monotonic() - started < _seconds(name)
    check_tree(tmp_path, root, before)
    assert {m: m.exists() for m in ESCAPE_MARKERS} == markers
    if "safe" in case:
        check_safe_output(root / "site")


def test_scanner_catches_what_it_looks_for() -> None:
    page = ("<title>x</title><script>alert(1)</script><a href=' JaVa\tScript:x'>a</a>"
            "<img src=x onerror=alert(1)><script src='../assets/search.js'></script>")
    found = unsafe_markup(page)
    assert len(found) == 3, found


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.get("cli")))
def test_cli_reports_without_traceback(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    root, rel = make_case(tmp_path, name)
    before = snapshot(tmp_path)
    result = subprocess.run([sys.executable, "-m", "briefgen", "build", "-C", str(root)],
                            capture_output=True, text=True, timeout=90, check=False,
                            cwd=REPO)
    assert "Traceback" not in result.stderr
    if "error" in case:
        assert result.returncode == 1, result.stderr[-2000:]
        where = rel + (f":{case['line']}:" if "line" in case else ":")
        assert where in result.stderr and f"[{case['error']}]" in result.stderr, \
            result.stderr[-2000:]
    else:
        assert result.returncode == 0, result.stderr[-2000:]
    check_tree(tmp_path, root, before)


@pytest.mark.parametrize(("config", "key"), [
    ("output_dir: ../../escaped\n", "output_dir"),
    ("output_dir: /tmp/escaped\n", "output_dir"),
    ("output_dir: 'C:\\escaped'\n", "output_dir"),
    ("theme: ../../etc\n", "theme"),
    ("cache_dir: ../escaped\n", "cache_dir"),
])
def test_config_paths_cannot_climb_out(make_site: Callable[..., Path], config: str,
                                       key: str) -> None:
    root = make_site({"content/briefs/a.md": ANCHOR}, config=config)
    with pytest.raises(BriefgenError) as info:
        load_config(root)
    assert [(d.code, d.pos.line) for d in info.value.diagnostics] == [("BG-CF004", 1)]


def test_entities_file_bomb(make_site: Callable[..., Path]) -> None:
    bomb = (HOSTILE / "briefs" / "billion-laughs.md").read_text().split("---")[1]
    root = make_site({"content/briefs/a.md": ANCHOR, "content/entities.yaml": bomb})
    with time_limit(DEFAULT_SECONDS), pytest.raises(BriefgenError) as info:
        build(load_config(root))
    assert ("BG-EN001", "content/entities.yaml") in {
        (d.code, d.pos.path) for d in info.value.diagnostics}


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One site holding every committed safe attack plus the odd file names; returns site/."""
    root = tmp_path_factory.mktemp("hostile") / "root"
    briefs = root / "content" / "briefs"
    briefs.mkdir(parents=True)
    (briefs / "anchor.md").write_text(ANCHOR)
    for name, case in CASES.items():
        if "safe" in case and "make" not in case:
            shutil.copy(HOSTILE / "briefs" / name, briefs / name)
    windows_file_names(briefs, "")
    build(load_config(root))
    return root / "site"


def test_hostile_site_is_safe_as_a_whole(hostile_site: Path) -> None:
    check_safe_output(hostile_site)
    page = (hostile_site / "briefs" / "script-in-fields.html").read_text()
    assert "&lt;/title&gt;&lt;script&gt;" in page  # shown as text, not dropped
    rtl = (hostile_site / "briefs" / "rtl-emoji.html").read_text()
    assert "مرحبا بالعالم — שלום עולם 👋🏽" in rtl
    assert sorted(p.name for p in (hostile_site / "briefs").glob("*windows*")) == [
        "c-windows-evil.html"]


@pytest.mark.browser
def test_no_alert_fires_in_chromium(browser: Any, hostile_site: Path) -> None:
    pages = sorted(p for p in hostile_site.rglob("*.html")
                   if p.parent.name in ("briefs", "tags", "people", "places", "other")
                   or p.name == "index.html")
    dialogs: list[str] = []
    page = browser.new_page()
    page.on("dialog", lambda d: (dialogs.append(f"{page.url}: {d.message}"), d.dismiss()))
    page.goto((hostile_site / "index.html").as_uri())
    page.evaluate("setTimeout(() => alert('control'), 0)")  # the handler does see alerts
    page.wait_for_timeout(100)
    assert [d.split(": ", 1)[1] for d in dialogs] == ["control"]
    dialogs.clear()
    for path in pages:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        page.mouse.move(10, 10)
        page.keyboard.press("Tab")
    page.wait_for_timeout(300)
    page.close()
    assert len(pages) > 20
    assert dialogs == []


@pytest.mark.browser
@pytest.mark.parametrize("query", ["onerror", "script", "alert", "title"])
def test_search_results_run_no_script(browser: Any, hostile_site: Path, query: str) -> None:
    """Search shows hostile titles, summaries and excerpts as text (over HTTP, as deployed)."""
    import functools
    import http.server
    import threading

    if not (hostile_site / "pagefind" / "pagefind.js").is_file():
        pytest.skip("the search index was not built")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(hostile_site))
    handler.log_message = lambda *args: None  # type: ignore[method-assign,assignment]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dialogs: list[str] = []
    page = browser.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/search.html?q={query}")
        page.wait_for_selector("#search-results li", timeout=15_000)
        page.wait_for_timeout(500)
        shown = page.locator("#search-results").inner_html()
    finally:
        page.close()
        server.shutdown()
    assert dialogs == []
    assert "<img" not in shown and "<script" not in shown


# -- a cloned digest: links out, special files, planted code -------------------------------

SECRET = "TOP-SECRET-FROM-OUTSIDE-THE-DIGEST"


def _outside(tmp_path: Path) -> Path:
    """A folder outside the digest holding a secret file."""
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.txt").write_text(SECRET)
    (outside / "secret.md").write_text(brief("Stolen brief " + SECRET, date="2026-11-18"))
    (outside / "entities.yaml").write_text(f"Secret Person:\n  description: {SECRET}\n")
    return outside


def _site_text(root: Path) -> str:
    site = root / "site"
    if not site.is_dir():
        return ""
    return "\n".join(p.read_bytes().decode("utf-8", "replace")
                     for p in site.rglob("*") if p.is_file())


def _build_codes(root: Path) -> set[str]:
    with time_limit(DEFAULT_SECONDS):
        try:
            result = build(load_config(root))
        except BriefgenError as exc:
            return {d.code for d in exc.diagnostics}
    return {d.code for d in result.diagnostics}


def test_theme_asset_linked_out_of_the_digest_is_not_published(
        make_site: Callable[..., Path], tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    root = make_site({"content/briefs/a.md": ANCHOR, "themes/default/static/ok.css": "a{}"})
    static = root / "themes/default/static"
    (static / "leak.txt").symlink_to(outside / "secret.txt")
    (static / "dir").symlink_to(outside)
    os.mkfifo(static / "pipe.css")  # a FIFO must not hang the build either
    _build_codes(root)
    assert (root / "site/assets/ok.css").is_file()
    assert not (root / "site/assets/leak.txt").exists()
    assert SECRET not in _site_text(root)


def test_linked_theme_folder_outside_the_digest_is_not_used(
        make_site: Callable[..., Path], tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    (outside / "static").mkdir()
    (outside / "static" / "leak.txt").write_text(SECRET)
    (outside / "templates").mkdir()
    (outside / "templates" / "base.html").write_text(SECRET)
    root = make_site({"content/briefs/a.md": ANCHOR}, config="theme: mine\n")
    (root / "themes").mkdir()
    (root / "themes" / "mine").symlink_to(outside)
    _build_codes(root)
    assert SECRET not in _site_text(root)


def test_template_linked_out_of_the_digest_is_refused(
        make_site: Callable[..., Path], tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    root = make_site({"content/briefs/a.md": ANCHOR})
    templates = root / "themes/default/templates"
    templates.mkdir(parents=True)
    (templates / "brief.html").symlink_to(outside / "secret.txt")
    with pytest.raises(BriefgenError) as info:
        build(load_config(root))
    assert any(d.code == "BG-TP003" and "outside the digest" in d.message
               for d in info.value.diagnostics), [d.format() for d in info.value.diagnostics]
    assert SECRET not in _site_text(root)


def test_linked_briefs_folder_is_refused(make_site: Callable[..., Path],
                                         tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    root = make_site({"briefgen.yaml": "title: T\n"})
    (root / "content").mkdir()
    (root / "content" / "briefs").symlink_to(outside)
    assert "BG-IO003" in _build_codes(root)
    assert SECRET not in _site_text(root)


def test_linked_content_folder_is_refused(make_site: Callable[..., Path],
                                          tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    (outside / "briefs").mkdir()
    (outside / "briefs" / "x.md").write_text(brief("Stolen " + SECRET))
    root = make_site({"briefgen.yaml": "title: T\n"})
    (root / "content").symlink_to(outside)
    assert "BG-IO003" in _build_codes(root)
    assert SECRET not in _site_text(root)


def test_linked_entities_file_is_refused(make_site: Callable[..., Path],
                                         tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    root = make_site({"content/briefs/a.md": ANCHOR})
    (root / "content" / "entities.yaml").symlink_to(outside / "entities.yaml")
    assert "BG-IO003" in _build_codes(root)
    assert SECRET not in _site_text(root)


def test_linked_config_file_is_refused(make_site: Callable[..., Path], tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    (outside / "briefgen.yaml").write_text(f"title: {SECRET}\n")
    root = make_site({"content/briefs/a.md": ANCHOR})
    (root / "briefgen.yaml").symlink_to(outside / "briefgen.yaml")
    with pytest.raises(BriefgenError) as info:
        load_config(root)
    assert [d.code for d in info.value.diagnostics] == ["BG-CF001"]
    assert "outside the digest" in info.value.diagnostics[0].message


@pytest.mark.parametrize("where", ["content/briefs/pipe.md", "content/entities.yaml",
                                   "briefgen.yaml", "themes/default/templates/brief.html"])
def test_fifo_gives_a_clear_error_not_a_hang(make_site: Callable[..., Path], where: str) -> None:
    root = make_site({"content/briefs/a.md": ANCHOR})
    (root / where).parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(root / where)
    started = time.monotonic()
    with time_limit(DEFAULT_SECONDS):
        try:
            config = load_config(root)
            result = build(config)
            found = list(result.diagnostics)
        except BriefgenError as exc:
            found = list(exc.diagnostics)
    assert time.monotonic() - started < DEFAULT_SECONDS
    problems = [d for d in found if d.pos.path.endswith(where.rsplit("/", 1)[-1])
                or where.rsplit("/", 1)[-1] in d.message]
    assert problems, [d.format() for d in found]
    assert any("FIFO" in d.message for d in problems), [d.format() for d in problems]


def test_fifo_brief_in_the_cli(make_site: Callable[..., Path]) -> None:
    root = make_site({"content/briefs/a.md": ANCHOR})
    os.mkfifo(root / "content/briefs/pipe.md")
    run = subprocess.run([sys.executable, "-m", "briefgen", "build", "-C", str(root)],
                         capture_output=True, text=True, timeout=60, cwd=REPO, check=False)
    assert run.returncode != 0
    assert "content/briefs/pipe.md" in run.stderr and "FIFO" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


class _Payload:
    """Pickles as a call to os.system: what a planted cache file would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def test_planted_cache_pickle_never_runs(make_site: Callable[..., Path], tmp_path: Path) -> None:
    import pickle

    marker = tmp_path / "pwned-by-pickle"
    root = make_site({"content/briefs/a.md": ANCHOR})
    cache = root / ".briefgen"
    cache.mkdir()
    names = ["state.pickle", "briefs-0.pickle", "bodies-a.pickle", "cache.pickle",
             "state.json", "manifest.json", "briefs-0.json"]
    for name in names:
        (cache / name).write_bytes(pickle.dumps({"format": "x", "p": _Payload(marker)}))
    build(load_config(root))
    assert not marker.exists(), "a planted cache file ran code"
    assert (root / "site/index.html").is_file()
    assert not list(cache.glob("*.pickle"))  # the old format is removed, never read


SANDBOX_ESCAPES = [
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "{{ joiner.__init__.__globals__.os.system('touch MARKER') }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ namespace.__init__.__globals__['os'].system('touch MARKER') }}",
    "{{ page.__class__.__init__.__globals__ }}",
    "{{ url.__globals__['os'].system('touch MARKER') }}",
]


@pytest.mark.parametrize("payload", SANDBOX_ESCAPES)
def test_theme_template_cannot_run_commands(make_site: Callable[..., Path], tmp_path: Path,
                                            payload: str) -> None:
    marker = tmp_path / "pwned-by-template"
    template = ("{% extends 'default/brief.html' %}{% block main %}"
                + payload.replace("MARKER", str(marker)) + "{% endblock %}")
    root = make_site({"content/briefs/a.md": ANCHOR,
                      "themes/default/templates/brief.html": template})
    with pytest.raises(BriefgenError) as info:
        build(load_config(root))
    assert not marker.exists(), "a template ran a shell command"
    problem = next(d for d in info.value.diagnostics if d.severity == "error")
    assert problem.code == "BG-TP003", problem.format()
    assert "SecurityError" in problem.message or "unsafe" in problem.message, problem.format()
    assert problem.pos.path == "themes/default/templates/brief.html"


# -- control characters in entities.yaml and briefgen.yaml ---------------------------------

@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x0b", "\x7f", "\x85"])
def test_control_characters_in_entities_are_refused(make_site: Callable[..., Path],
                                                    char: str) -> None:
    body = "Talks with Ada Lovelace today."
    entities = ("Ada Lovelace:\n  kind: people\n  description: \"A mathematician"
                + char.encode("unicode_escape").decode().replace("\\x", "\\x")
                + "root" + char.encode("unicode_escape").decode() + "\"\n")
    root = make_site({"content/briefs/a.md": brief("A", body=body,
                                                   entities="{people: [Ada Lovelace]}"),
                      "content/entities.yaml": entities})
    codes = _build_codes(root)
    assert "BG-EN004" in codes, codes
    text = _site_text(root)
    assert char not in text


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x0c", "\x9b"])
def test_control_characters_in_config_are_refused(make_site: Callable[..., Path],
                                                  char: str) -> None:
    escaped = char.encode("unicode_escape").decode()
    root = make_site({"content/briefs/a.md": ANCHOR},
                     config=f'title: "Digest{escaped}"\nauthor: ok\n')
    with pytest.raises(BriefgenError) as info:
        load_config(root)
    assert [(d.code, d.pos.line) for d in info.value.diagnostics] == [("BG-CF005", 1)]


def test_the_link_marker_cannot_be_forged() -> None:
    from briefgen.pipeline.theme import ROOT_MARK, finish_page

    forged = "\x00root\x00briefs/x.html"
    assert finish_page(forged, "a/b/c.html") == forged  # the old fixed marker is plain text
    assert finish_page(ROOT_MARK + "x.html", "a/b.html") == "../x.html"
    assert len(ROOT_MARK) > 20


def test_feeds_stay_well_formed_with_odd_entity_text(make_site: Callable[..., Path]) -> None:
    entities = "Ada Lovelace:\n  kind: people\n  description: \"Tab\\there, <b>&amp;\\u2028\"\n"
    root = make_site({"content/briefs/a.md": brief("A", body="Ada Lovelace spoke.",
                                                   entities="{people: [Ada Lovelace]}"),
                      "content/entities.yaml": entities})
    build(load_config(root))
    for feed in (root / "site").rglob("*.xml"):
        ElementTree.parse(feed)  # raises on a character XML does not allow


def test_fifo_article_does_not_hang_ingest(make_site: Callable[..., Path]) -> None:
    from briefgen.ingest import read_input

    root = make_site({"content/articles/real.txt": "A Real Headline\n\nMarta Ruiz said on "
                      "Monday that the harbour plan would go ahead next spring.\n"})
    os.mkfifo(root / "content/articles/pipe.txt")
    with time_limit(DEFAULT_SECONDS):  # the reader itself refuses it (not only the walk)
        articles, problems = read_input(root / "content/articles/pipe.txt")
    assert articles == () and [p.code for p in problems] == ["BG-IN003"]
    assert "FIFO" in problems[0].message
    run = subprocess.run([sys.executable, "-m", "briefgen", "ingest", "-C", str(root)],
                         capture_output=True, text=True, timeout=60, cwd=REPO, check=False)
    assert "Traceback" not in run.stderr
    assert list((root / "content/briefs").glob("*.md"))  # the real article still went in


def test_ingest_never_writes_a_brief_over_the_limit(tmp_path: Path) -> None:
    from briefgen.ingest.writer import write_brief
    from briefgen.source.files import MAX_BRIEF_BYTES

    target = tmp_path / "huge.md"
    result = write_brief(target, "---\ntitle: Huge\n---\n" + "word " * (MAX_BRIEF_BYTES // 4))
    assert result.outcome == "skipped" and "MiB" in result.reason
    assert not target.exists()
    os.mkfifo(tmp_path / "pipe.md")  # an existing FIFO at the target: no hang
    with time_limit(DEFAULT_SECONDS):
        assert write_brief(tmp_path / "pipe.md", "---\ntitle: A\n---\n", dry_run=True).outcome \
            == "skipped"
