"""Edit-to-browser latency of `briefgen serve` (and `hugo server` on equivalent content).

Usage: python benchmarks/bench_serve.py [--sizes 20 1000] [--runs 30] [--pause 0.5] [--no-hugo]

For each size it generates a site of N synthetic briefs (400-700 words, tags, entities),
starts the server, opens one brief in headless Chromium, then repeatedly writes a change to
that brief's file and measures the time until the new text is visible in the page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
_SYLLABLES = ("ka", "lo", "mi", "ren", "sa", "tor", "vel", "du", "ni", "pra", "gos", "le",
              "mar", "ti", "zon", "bra", "ci", "fen", "ho", "jul", "bek", "ro")
_COMMON = ("the", "and", "of", "to", "in", "a", "said", "on", "for", "with", "that", "was",
           "by", "from", "as", "at", "will", "its", "has", "after", "officials", "new")


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))


def synthetic_briefs(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """N briefs as plain data: 40 topics, each with its own words, tags and entities."""
    rng = random.Random(seed)
    topics = [{"words": [_word(rng) for _ in range(50)],
               "tags": [_word(rng) for _ in range(3)],
               "people": [f"{_word(rng).title()} {_word(rng).title()}" for _ in range(4)],
               "orgs": [f"{_word(rng).title()} Council" for _ in range(2)],
               "places": [_word(rng).title() for _ in range(3)]} for _ in range(40)]
    start = dt.date(2026, 1, 1)
    briefs = []
    for i in range(n):
        topic = rng.choice(topics)
        paragraphs = []
        for _ in range(rng.randint(5, 8)):
            words = [rng.choice(topic["words"] if rng.random() < 0.3 else _COMMON)
                     for _ in range(rng.randint(70, 90))]
            paragraphs.append(" ".join(words).capitalize() + ".")
        title = " ".join(rng.choice(topic["words"]) for _ in range(6)).title() + f" {i}"
        briefs.append({
            "slug": f"brief-{i:05d}", "title": title,
            "date": start + dt.timedelta(days=i * 300 // max(n, 1)),
            "summary": paragraphs[0][:160], "body": "\n\n".join(paragraphs),
            "tags": rng.sample(topic["tags"], 2), "people": rng.sample(topic["people"], 2),
            "orgs": rng.sample(topic["orgs"], 1), "places": rng.sample(topic["places"], 2),
        })
    return briefs


def write_briefgen_site(root: Path, briefs: list[dict[str, Any]]) -> Path:
    """A briefgen site; returns the folder of brief files."""
    folder = root / "content" / "briefs"
    folder.mkdir(parents=True)
    (root / "briefgen.yaml").write_text("title: Bench Digest\n", encoding="utf-8")
    for b in briefs:
        (folder / f"{b['date']}-{b['slug']}.md").write_text(
            f"---\ntitle: \"{b['title']}\"\ndate: {b['date']}\nslug: {b['slug']}\n"
            f"summary: \"{b['summary']}\"\ntags: [{', '.join(b['tags'])}]\n"
            f"entities: {{people: [{', '.join(b['people'])}], organizations: "
            f"[{', '.join(b['orgs'])}], places: [{', '.join(b['places'])}]}}\n---\n\n"
            f"{b['body']}\n", encoding="utf-8")
    return folder


_HUGO_BASE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ .Title }}</title>
</head><body><main>{{ block "main" . }}{{ end }}</main></body></html>
"""
_HUGO_SINGLE = """{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ .Summary }}</p>
{{ .Content }}<ul>{{ range .Params.tags }}<li>{{ . }}</li>{{ end }}</ul>
<ul>{{ range .Site.RegularPages.Related . | first 5 }}<li>{{ .Title }}</li>{{ end }}</ul>
</article>{{ end }}
"""
_HUGO_LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>{{ range .Paginator.Pages }}
<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p>{{ .Summary }}</p></article>
{{ end }}{{ end }}
"""


def write_hugo_site(root: Path, briefs: list[dict[str, Any]]) -> Path:
    """The same briefs as a minimal Hugo site (tags, people, places as taxonomies)."""
    folder = root / "content" / "briefs"
    folder.mkdir(parents=True)
    (root / "config.toml").write_text(
        'baseURL = "/"\ntitle = "Bench Digest"\npaginate = 20\n'
        '[taxonomies]\ntag = "tags"\nperson = "people"\nplace = "places"\n', encoding="utf-8")
    layouts = root / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "baseof.html").write_text(_HUGO_BASE, encoding="utf-8")
    (layouts / "single.html").write_text(_HUGO_SINGLE, encoding="utf-8")
    (layouts / "list.html").write_text(_HUGO_LIST, encoding="utf-8")
    for b in briefs:
        (folder / f"{b['slug']}.md").write_text(
            f"---\ntitle: \"{b['title']}\"\ndate: {b['date']}\nsummary: \"{b['summary']}\"\n"
            f"tags: [{', '.join(b['tags'])}]\npeople: [{', '.join(b['people'])}]\n"
            f"places: [{', '.join(b['places'])}]\n---\n\n{b['body']}\n", encoding="utf-8")
    return folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(command: list[str], url: str, log: Path, timeout: float = 300) -> Iterator[None]:
    """Start a server process, wait until ``url`` answers, stop it at the end."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
                    raise RuntimeError(f"{command[0]} exited:\n{tail}")
                try:
                    with urllib.request.urlopen(url, timeout=2) as reply:
                        if reply.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not answer in {timeout} s")
                time.sleep(0.2)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def measure(page: Any, path: Path, runs: int, pause: float, warmup: int = 3) -> list[float]:
    """Seconds from writing ``path`` until the page shows the new text, ``runs`` times."""
    original = path.read_text(encoding="utf-8")
    timings: list[float] = []
    for number in range(warmup + runs):
        token = f"Zqvx{number}edit{random.randrange(10**9)}"
        path.write_text(original.rstrip("\n") + f"\n\nEdited: {token}.\n", encoding="utf-8")
        started = time.perf_counter()
        # Checked inside the page every 4 ms (and again after a reload), so the harness
        # does not busy-poll over the wire and steal CPU from the server and the browser.
        page.wait_for_function(
            "t => document.body !== null && document.body.textContent.includes(t)",
            arg=token, polling=4, timeout=20_000)
        elapsed = time.perf_counter() - started
        if number >= warmup:
            timings.append(elapsed)
        time.sleep(pause * random.uniform(0.6, 1.4))
    path.write_text(original, encoding="utf-8")
    return timings


def _summary(label: str, timings: list[float]) -> float:
    ms = sorted(t * 1000 for t in timings)
    median = statistics.median(ms)
    p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
    print(f"  {label:10s} median {median:7.1f} ms   p90 {p90:7.1f} ms   "
          f"min {ms[0]:6.1f}   max {ms[-1]:7.1f}   (n={len(ms)})", flush=True)
    return median


def bench_size(browser: Any, n: int, runs: int, pause: float, hugo: bool) -> None:
    """Measure briefgen (and Hugo) on one generated site size."""
    briefs = synthetic_briefs(n)
    target = briefs[n // 2]
    print(f"N={n} briefs, editing {target['slug']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as temp:
        work = Path(temp)
        folder = write_briefgen_site(work / "briefgen", briefs)
        port = _free_port()
        command = [sys.executable, "-m", "briefgen", "serve", "-C", str(work / "briefgen"),
                   "--port", str(port)]
        started = time.perf_counter()
        with running(command, f"http://127.0.0.1:{port}/", work / "briefgen.log"):
            print(f"  briefgen serve ready in {time.perf_counter() - started:.1f} s", flush=True)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/briefs/{target['slug']}.html")
            page.wait_for_function("window.__briefgen && window.__briefgen.version >= 0")
            ours = _summary("briefgen", measure(
                page, folder / f"{target['date']}-{target['slug']}.md", runs, pause))
            page.close()
            log = (work / "briefgen.log").read_text(encoding="utf-8", errors="replace")
            # Follow-up full builds (related briefs, feeds) run once edits pause for 1 s;
            # when one overlaps the next edit, that edit competes with it for the CPU.
            print(f"  follow-up full builds during the run: {log.count('Rebuilt')}", flush=True)
        if not hugo:
            return
        folder = write_hugo_site(work / "hugo", briefs)
        port = _free_port()
        command = ["hugo", "server", "-s", str(work / "hugo"), "--bind", "127.0.0.1",
                   "--port", str(port), "--baseURL", f"http://127.0.0.1:{port}/"]
        with running(command, f"http://127.0.0.1:{port}/", work / "hugo.log"):
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/briefs/{target['slug']}/")
            page.wait_for_function("document.querySelector('script[src*=livereload]')")
            time.sleep(1.0)  # let livereload connect its websocket
            theirs = _summary("hugo", measure(page, folder / f"{target['slug']}.md", runs,
                                              max(pause, 0.8)))
            page.close()
        print(f"  hugo / briefgen median ratio: {theirs / ours:.1f}x", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Parse options and run every size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 1000])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pause", type=float, default=0.5,
                        help="mean seconds between edits (a writer saving now and then)")
    parser.add_argument("--no-hugo", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    from playwright.sync_api import sync_playwright

    hugo = not args.no_hugo and Path("/usr/bin/hugo").exists()
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for n in args.sizes:
                bench_size(browser, n, args.runs, args.pause, hugo)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
