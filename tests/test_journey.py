"""A new user's first hour, end to end, with briefgen installed from its wheel into a fresh
virtual environment and run only through its command line:

init -> a page dump, an HTML page, a feed and a Markdown note dropped into content/articles/
-> ingest -> build -> check -> serve (an edit shows in Chromium, in place) -> commit ->
deploy to a local bare remote (refused while the tree is dirty) -> the Pages workflow's own
run: steps, as GitHub's runner would run them.
"""

from __future__ import annotations

import html
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from wheelhouse import (
    Wheelhouse,
    build_wheelhouse,
    fresh_venv,
    offline_pip_env,
    run_workflow_steps,
)

from briefgen import __version__

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Articles written for this test, in the four forms ingest reads.
PAGE_DUMP = """\
Home Coastal Affairs

Harbour Authority Reopens Kelvin Bay Port After Three-Day Storm Closure

The port of Kelvin Bay reopened to shipping on Tuesday morning after a winter storm forced \
the harbour authority to close it for three days, the authority's director, Maren Tallis, said.

Ferry Operators Warn Of Delays On The Northern Routes

Ferries resumed their timetables at noon. Freight traffic should return to normal by \
Friday, according to the authority, which had the cranes on the eastern quay inspected \
overnight.

"We would rather lose three days than one crane," Tallis told reporters at the quay.

Insurers in Kelvin Bay said claims from the storm were lower than after last winter's \
flooding, when the sea wall failed in two places.
"""

HTML_PAGE = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Library network extends evening hours | The Lantern Gazette</title>
<meta property="og:title" content="Library Network Extends Evening Hours In Five Districts">
<meta name="author" content="Idris Okafor">
<meta property="article:published_time" content="2026-11-18T08:30:00+00:00">
</head><body>
<nav><a href="/">Home</a> <a href="/city">City</a></nav>
<article>
<h1>Library Network Extends Evening Hours In Five Districts</h1>
<p>The city's library network will keep five branches open until ten in the evening from
next month, the culture office announced on Wednesday, after a survey found that most
readers could only visit after work.</p>
<p>The longer hours will be paid for by closing the branches one morning a week. Staff
unions said they had agreed to the change after the office promised no cuts to jobs.</p>
<p>"A library that shuts at five is a library for people who do not work," said Lena Varga,
who chairs the culture office.</p>
</article>
<footer>Copyright The Lantern Gazette</footer>
</body></html>
"""

FEED = """\
<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Valley Weather Desk</title><link>https://weather.example.org/</link>
<description>Forecasts and notes from the valley.</description>
<item>
<title>Early Frost Expected Across The Upper Valley Orchards</title>
<link>https://weather.example.org/2026/11/early-frost</link>
<pubDate>Mon, 16 Nov 2026 06:00:00 +0000</pubDate>
<description>Growers in the upper valley were told to cover young trees on Monday night, as
forecasters expect the first frost of the season three weeks earlier than usual.</description>
</item>
<item>
<title>River Levels Fall After A Dry Fortnight</title>
<link>https://weather.example.org/2026/11/river-levels</link>
<pubDate>Tue, 17 Nov 2026 07:15:00 +0000</pubDate>
<description>The river at Dunmore fell below its autumn average for the first time in four
years after two weeks without rain, the water board said on Tuesday.</description>
</item>
</channel></rss>
"""

NOTE = """\
# Council Approves Cycle Lanes On The Old Market Road

The town council approved two protected cycle lanes on the Old Market Road on Thursday,
by nine votes to four. Work starts in the spring and should take six months.

- The lanes replace forty parking spaces.
- Shops on the road asked for a loading bay at each end, which the plan now includes.
"""

EDIT = "A late addition: the reading rooms will also open on public holidays."


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class User:
    """A person at a shell whose PATH starts with the venv that briefgen was installed into."""

    def __init__(self, venv: Path, house: Wheelhouse) -> None:
        self.env = offline_pip_env(house, venv)
        self.env.update(GIT_AUTHOR_NAME="New User", GIT_AUTHOR_EMAIL="new.user@example.org",
                        GIT_COMMITTER_NAME="New User",
                        GIT_COMMITTER_EMAIL="new.user@example.org")

    def run(self, *command: str, cwd: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(list(command), cwd=cwd, env=self.env, capture_output=True,
                              text=True, check=False, timeout=600, stdin=subprocess.DEVNULL)
        if ok:
            assert done.returncode == 0, f"{command}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        return done


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Wheelhouse:
    return build_wheelhouse(tmp_path_factory)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """Servers started by the test; each is stopped at the end, whatever happened."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_for(url: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, f"briefgen serve exited with {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # nosec B310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"{url} never answered"
        time.sleep(0.2)


@pytest.mark.timeout(1200)
def test_first_hour_of_a_new_user(wheelhouse: Wheelhouse, tmp_path: Path, browser: Any,
                                  served: list[subprocess.Popen[str]]) -> None:
    timings: dict[str, float] = {}
    later: list[str] = []  # expectations that other parts of issue 13 fulfil; reported at the end

    def step(name: str, started: float) -> None:
        timings[name] = round(time.monotonic() - started, 1)

    # A fresh virtual environment, and briefgen from a folder of wheels (as from an index).
    started = time.monotonic()
    venv = fresh_venv(tmp_path / "venv")
    user = User(venv, wheelhouse)
    user.run("python", "-m", "pip", "install", "briefgen", cwd=tmp_path)
    version = user.run("briefgen", "--version", cwd=tmp_path).stdout
    assert __version__ in version
    step("venv + install", started)

    started = time.monotonic()
    user.run("briefgen", "init", "digest", cwd=tmp_path)
    digest = tmp_path / "digest"
    for rel in ("briefgen.yaml", "requirements.txt", ".github/workflows/pages.yml",
                "content/articles/README.md"):
        assert (digest / rel).is_file(), rel
    articles = digest / "content" / "articles"
    (articles / "kelvin-bay.txt").write_text(PAGE_DUMP, encoding="utf-8")
    (articles / "libraries.html").write_text(HTML_PAGE, encoding="utf-8")
    (articles / "valley-weather.xml").write_text(FEED, encoding="utf-8")
    (articles / "cycle-lanes.md").write_text(NOTE, encoding="utf-8")

    ingest = user.run("briefgen", "ingest", cwd=digest)
    assert "0 failed" in ingest.stdout, ingest.stdout
    briefs = {p.name: p.read_text(encoding="utf-8")
              for p in (digest / "content" / "briefs").glob("*.md")}
    titles = ["Harbour Authority Reopens Kelvin Bay Port After Three-Day Storm Closure",
              "Library Network Extends Evening Hours In Five Districts",
              "Early Frost Expected Across The Upper Valley Orchards",
              "River Levels Fall After A Dry Fortnight",
              "Council Approves Cycle Lanes On The Old Market Road"]
    for title in titles:
        assert any(title in text for text in briefs.values()), (title, sorted(briefs))
    if any("README" in name or "Put raw articles here" in text for name, text in briefs.items()):
        later.append("ingest made a brief of content/articles/README.md (issue 13 item 5)")
    library = next(p for p in (digest / "content" / "briefs").glob("*.md")
                   if "Library Network" in p.read_text(encoding="utf-8"))
    assert re.search(r"^date: ['\"]?2026-11-18", library.read_text(encoding="utf-8"), re.M)
    step("init + ingest", started)

    started = time.monotonic()
    built = user.run("briefgen", "build", cwd=digest)
    assert "Built" in built.stdout
    index = (digest / "site" / "index.html").read_text(encoding="utf-8")
    # Headlines keep short hyphenated words on one line with markup: compare the text.
    index_text = html.unescape(re.sub(r"<[^>]+>", "", index))
    for title in titles:
        assert title in index_text, title
    page = next(p for p in (digest / "site" / "briefs").glob("*.html")
                if "Library Network Extends Evening Hours" in p.read_text(encoding="utf-8"))
    checked = user.run("briefgen", "check", cwd=digest)
    assert re.search(r"\b0 error", checked.stdout + checked.stderr), checked.stdout
    step("build + check", started)

    # The live preview: an edit to the brief shows in the open page without a reload.
    started = time.monotonic()
    port = _free_port()
    server = subprocess.Popen(["briefgen", "serve", "--port", str(port)], cwd=digest,
                              env=user.env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, text=True)
    served.append(server)
    url = f"http://127.0.0.1:{port}/"
    _wait_for(url, server)
    tab = browser.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(url + f"briefs/{page.name}")
    assert "Library Network Extends Evening Hours" in tab.content()
    tab.wait_for_function("window.__briefgen && window.__briefgen.version >= 0", timeout=15000)
    tab.evaluate("window.__marker = 'the same page'")
    text = library.read_text(encoding="utf-8")
    library.write_text(text.rstrip("\n") + f"\n\n{EDIT}\n", encoding="utf-8")
    tab.wait_for_function(f"document.body.textContent.includes({EDIT!r})", timeout=15000)
    assert tab.evaluate("window.__marker") == "the same page"  # updated in place, no reload
    assert errors == []
    tab.close()
    server.terminate()
    server.wait(timeout=10)
    step("serve + edit in Chromium", started)

    # Publish to a remote: the digest is a git repository with a (local, bare) origin.
    started = time.monotonic()
    origin = tmp_path / "origin.git"
    user.run("git", "init", "--quiet", "--bare", str(origin), cwd=tmp_path)
    user.run("git", "init", "--quiet", "-b", "main", cwd=digest)
    user.run("git", "remote", "add", "origin", str(origin), cwd=digest)
    user.run("git", "add", "-A", cwd=digest)
    status = user.run("git", "status", "--porcelain", "--ignored", cwd=digest).stdout
    assert "!! site/" in status and "!! .briefgen/" in status  # output stays out of git
    user.run("git", "commit", "--quiet", "-m", "My first digest", cwd=digest)
    source = user.run("git", "rev-parse", "HEAD", cwd=digest).stdout.strip()
    deployed = user.run("briefgen", "deploy", cwd=digest)
    assert "Published" in deployed.stdout
    tree = user.run("git", "--git-dir", str(origin), "ls-tree", "-r", "--name-only", "gh-pages",
                    cwd=tmp_path).stdout.split()
    assert "index.html" in tree and "feed.xml" in tree and ".nojekyll" in tree
    assert any(name.startswith("briefs/") for name in tree)
    message = user.run("git", "--git-dir", str(origin), "log", "-1", "--format=%B", "gh-pages",
                       cwd=tmp_path).stdout
    assert source[:7] in message  # the Pages commit names the source commit
    # An edit not yet committed is not published without saying so (issue 13 item 7).
    library.write_text(library.read_text(encoding="utf-8") + "\nUncommitted.\n",
                       encoding="utf-8")
    dirty = user.run("briefgen", "deploy", cwd=digest, ok=False)
    if dirty.returncode == 0:
        later.append("deploy published uncommitted changes to content/ (issue 13 item 7)")
    user.run("git", "checkout", "--", ".", cwd=digest)
    step("git + deploy", started)

    # The Pages workflow, run: steps in order, with base_url as configure-pages gives it.
    started = time.monotonic()
    run_workflow_steps(digest, venv, wheelhouse,
                       {"steps.pages.outputs.base_url": "https://new-user.github.io/digest"})
    feed = (digest / "site" / "feed.xml").read_text(encoding="utf-8")
    assert "https://new-user.github.io/digest/briefs/" in feed
    assert EDIT in (digest / "site" / "briefs" / page.name).read_text(encoding="utf-8")
    step("workflow run: steps", started)

    print("journey timings (s):", timings, "total", round(sum(timings.values()), 1))
    assert not later, "; ".join(later)


def test_journey_pip_sees_only_the_wheelhouse(wheelhouse: Wheelhouse, tmp_path: Path) -> None:
    """The journey's pip cannot reach an index: pytest, on every index but not a need of
    briefgen's, cannot be installed, so briefgen and its needs came from the wheelhouse."""
    venv = fresh_venv(tmp_path / "venv")
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "pytest"],
                          capture_output=True, text=True, check=False,
                          env=offline_pip_env(wheelhouse, venv), timeout=300)
    assert done.returncode != 0
    assert "No matching distribution found for pytest" in done.stderr, done.stderr
