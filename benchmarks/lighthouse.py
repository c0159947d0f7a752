"""Lighthouse scores (performance, accessibility, best practices, SEO) and layout shift for
the sample digest: the front page, a brief, an entity page, a story thread and search, each
at phone size (Lighthouse's mobile emulation and throttling) and desktop size.

Builds the repository's sample content into a temporary folder, serves it over a local HTTP
server, and runs Lighthouse with Debian's Chromium:

    npm ci --prefix benchmarks/node
    python benchmarks/lighthouse.py [--min 95] [--page briefs/x.html] [--form-factor mobile]

A benchmark, not a gate: Lighthouse needs ~15 s per page and form factor. Exit status 1 when
a score is below --min or a page's cumulative layout shift is above 0.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIGHTHOUSE = REPO / "benchmarks" / "node" / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
FORM_FACTORS = ("mobile", "desktop")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"


def build_sample(into: Path) -> Path:
    """The sample content built with a base_url, as it would be deployed; returns site/."""
    sys.path.insert(0, str(REPO))
    from briefgen.build import build
    from briefgen.config import load_config

    shutil.copytree(REPO / "content", into / "content")
    if (REPO / "briefgen.yaml").exists():
        shutil.copy(REPO / "briefgen.yaml", into / "briefgen.yaml")
    build(load_config(into), use_cache=False)
    return into / "site"


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A quiet local HTTP server for ``site``; returns it and its base URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Keep the benchmark's output to the scores."""

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def audit(url: str, out: Path, form_factor: str) -> dict[str, object]:
    """Run Lighthouse on ``url`` at ``form_factor``; return the parsed JSON report."""
    size = ["--preset=desktop"] if form_factor == "desktop" else ["--form-factor=mobile"]
    subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
         f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}", *size],
        check=True, env={**os.environ, "CHROME_PATH": CHROME}, timeout=300,
    )
    report: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return report


def pages_of(site: Path, brief: str) -> list[str]:
    """The pages the issue asks about: front, a brief, an entity, a thread, search."""
    def first(pattern: str) -> str:
        found = sorted(p for p in site.glob(pattern) if p.name != "index.html")
        return found[0].relative_to(site).as_posix() if found else ""

    thread = "threads/s-400-and-turkey.html"
    if not (site / thread).is_file():
        thread = first("threads/*.html")
    entity = "entities/other/s-400.html"
    if not (site / entity).is_file():
        entity = first("entities/*/*.html")
    pages = ["index.html", brief, entity, thread, "search.html?q=S-400"]
    return [p for p in pages if p]


def failed_audits(report: dict[str, object], category: str) -> list[str]:
    """Titles of the audits that cost points in a category."""
    audits = report["audits"]
    refs = report["categories"][category]["auditRefs"]  # type: ignore[index]
    lost = []
    for ref in refs:
        item = audits[ref["id"]]  # type: ignore[index]
        if ref["weight"] and item["score"] is not None and item["score"] < 1:
            lost.append(f"{ref['id']}: {item['title']}")
    return lost


def main() -> int:
    """Build, serve, audit, print one line per page and form factor; non-zero when below
    --min or when a page shifts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=95.0, help="lowest acceptable score")
    parser.add_argument("--page", default="", help="the brief page to audit (site path)")
    parser.add_argument("--form-factor", choices=FORM_FACTORS, action="append",
                        help="phone (mobile) or desktop; both by default")
    parser.add_argument("--only", action="append", default=[],
                        help="audit only the pages whose path starts with this (repeatable)")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        print("Lighthouse is missing: npm ci --prefix benchmarks/node", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        site = build_sample(Path(tmp) / "sample")
        brief = args.page or "briefs/turkey-us-s400-working-group.html"
        if not (site / brief).is_file():
            brief = sorted(site.glob("briefs/*.html"))[0].relative_to(site).as_posix()
        server, base = serve(site)
        worst = 100.0
        worst_shift = 0.0
        try:
            for form_factor in args.form_factor or FORM_FACTORS:
                for rel in pages_of(site, brief):
                    if args.only and not any(rel.startswith(o) for o in args.only):
                        continue
                    report = audit(base + rel, Path(tmp) / "report.json", form_factor)
                    scores = {c: round(100 * report["categories"][c]["score"])  # type: ignore[index]
                              for c in CATEGORIES}
                    shift = float(report["audits"]["cumulative-layout-shift"]  # type: ignore[index]
                                  ["numericValue"])
                    worst = min(worst, *scores.values())
                    worst_shift = max(worst_shift, shift)
                    print(f"{form_factor:7} {rel}: " + ", ".join(
                        f"{c} {s}" for c, s in scores.items()) + f", CLS {shift:.3f}")
                    for category in CATEGORIES:
                        for lost in failed_audits(report, category):
                            print(f"    {category}: {lost}")
        finally:
            server.shutdown()
    return 0 if worst >= args.min and worst_shift == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
