"""Build speed at scale: briefgen against Hugo on the same synthetic content, in one run.

Usage: python benchmarks/bench_build.py [--sizes 1000 4000 10000] [--no-hugo]
       [--content synthetic news] [--repeat N]

For each N it measures, for briefgen: cold build (no .briefgen cache, no site/), no-change
rebuild, rebuild after editing one brief, rebuild after editing one template, peak memory;
and Hugo's cold build, rebuild after an edit, and peak memory on the same briefs with
comparable templates (a page per brief, a paginated index, tag, entity and day pages). It
prints a table
with briefgen/Hugo ratios so the figures hold on a noisy machine, one table per kind of
content (see synth.py: ``synthetic`` topic vocabulary, ``news`` prose drawn from real news
word frequencies and lengths).
Needs /usr/bin/time (Debian package `time`) and, for the comparison, Debian's `hugo`.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import generate

HUGO_CONFIG = """\
baseURL = "https://example.org/"
title = "Synthetic Digest"
disableKinds = ["RSS", "sitemap", "robotsTXT"]
[pagination]
pagerSize = 20
paginate = 20
[taxonomies]
tag = "tags"
person = "people"
organization = "organizations"
place = "places"
thing = "other"
edition = "editions"
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>{{ .Title }}</title></head><body><main>{{ block \"main\" . }}{{ end }}</main>"
        "</body></html>\n",
    "_default/single.html": "{{ define \"main\" }}<article><h1>{{ .Title }}</h1>"
        "<p>{{ .Date.Format \"2 January 2006\" }} · {{ .Params.section }}</p>"
        "<p>{{ .Params.summary }}</p><ul>{{ range .Params.key_points }}<li>{{ . }}</li>{{ end }}"
        "</ul>{{ .Content }}<ul>{{ range .Params.tags }}<li><a href=\"{{ \"tags/\" | relURL }}"
        "{{ . | urlize }}/\">{{ . }}</a></li>{{ end }}</ul></article>{{ end }}\n",
    "_default/list.html": "{{ define \"main\" }}<h1>{{ .Title }}</h1>"
        "{{ $p := .Paginate .Pages }}{{ range $p.Pages }}<article><h2>"
        "<a href=\"{{ .RelPermalink }}\">"
        "{{ .Title }}</a></h2><p>{{ .Params.summary }}</p></article>{{ end }}"
        "{{ template \"_internal/pagination.html\" . }}{{ end }}\n",
    "index.html": "{{ define \"main\" }}<h1>{{ .Site.Title }}</h1>"
        "{{ $p := .Paginate .Site.RegularPages }}{{ range $p.Pages }}<article><h2>"
        "<a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></h2><p>{{ .Params.summary }}</p>"
        "</article>{{ end }}{{ template \"_internal/pagination.html\" . }}{{ end }}\n",
}


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """(wall seconds, peak resident KiB) of a command, via GNU time."""
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", *cmd], cwd=cwd,
                            capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{result.stderr[:3000]}")
    match = re.search(r"MAXRSS (\d+)", result.stderr)
    return elapsed, int(match.group(1)) if match else 0


def hugo_site(src: Path, dest: Path) -> Path:
    """The same briefs as a Hugo site, rendering the same page set as briefgen: a page per
    brief, the paginated index, and a taxonomy page per tag, per entity (people,
    organisations, places, other) and per day (briefgen's editions). Hugo taxonomies are
    top-level front matter lists, so each brief's entities and date are copied up."""
    content = dest / "content" / "posts"
    content.mkdir(parents=True)
    for path in sorted((src / "content" / "briefs").glob("*.md")):
        _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.safe_load(head)
        for kind, names in (meta.get("entities") or {}).items():
            meta[kind] = list(names)
        meta["editions"] = [str(meta["date"])[:10]]
        (content / path.name).write_text(
            "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body,
            encoding="utf-8")
    (dest / "config.toml").write_text(HUGO_CONFIG)
    for rel, text in HUGO_LAYOUTS.items():
        (dest / "layouts" / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / "layouts" / rel).write_text(text)
    return dest


def edit_one(folder: Path, marker: str) -> None:
    """Change one word in the body of one brief."""
    path = sorted(folder.glob("*.md"))[len(list(folder.glob("*.md"))) // 2]
    path.write_text(path.read_text() + f"\nEdited {marker}.\n")


def measure(n: int, work: Path, with_hugo: bool, kind: str = "synthetic",
            repeat: int = 1) -> dict[str, float]:
    """All figures for one size and kind of content: the best of ``repeat`` rounds (each
    round starts cold), so a moment of load from another process does not count."""
    site = generate(work / f"bg-{kind}-{n}", n, kind=kind)
    hugo = hugo_site(site, work / f"hugo-{kind}-{n}") if with_hugo else None
    rounds = [one_round(site, hugo, number) for number in range(repeat)]
    return {key: min(r[key] for r in rounds) for key in rounds[0]}


def one_round(site: Path, hugo: Path | None, number: int) -> dict[str, float]:
    """One cold build, no-change, one-brief edit and template edit; Hugo's cold and edit."""
    shutil.rmtree(site / ".briefgen", ignore_errors=True)
    shutil.rmtree(site / "site", ignore_errors=True)
    shutil.rmtree(site / "themes", ignore_errors=True)
    cmd = [sys.executable, "-m", "briefgen", "build", "-C", str(site)]
    row: dict[str, float] = {}
    row["cold"], row["mem"] = timed(cmd)
    row["nochange"], _ = timed(cmd)
    edit_one(site / "content" / "briefs", f"round {number}")
    row["edit"], _ = timed(cmd)
    theme = site / "themes" / "default" / "templates"
    theme.mkdir(parents=True, exist_ok=True)
    (theme / "tag.html").write_text("{% extends 'default/tag.html' %}"
                                    "{% block title %}Tag {{ page.name }}{% endblock %}")
    row["template"], _ = timed(cmd)
    if hugo is not None:
        hcmd = ["hugo", "--quiet", "-s", str(hugo), "-d", str(hugo / "public")]
        shutil.rmtree(hugo / "public", ignore_errors=True)
        row["hugo_cold"], row["hugo_mem"] = timed(hcmd)
        edit_one(hugo / "content" / "posts", f"round {number}")
        row["hugo_edit"], _ = timed(hcmd)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 10000])
    parser.add_argument("--no-hugo", action="store_true")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds per size; the table shows each figure's best round")
    parser.add_argument("--content", nargs="+", choices=("synthetic", "news"),
                        default=["synthetic", "news"])
    args = parser.parse_args()
    with_hugo = not args.no_hugo and shutil.which("hugo") is not None
    for kind in args.content:
        with tempfile.TemporaryDirectory(prefix="bg-bench-") as tmp:
            rows = {n: measure(n, Path(tmp), with_hugo, kind, args.repeat) for n in args.sizes}
        print(f"\n{kind} content\n")
        table(rows, with_hugo)


def table(rows: dict[int, dict[str, float]], with_hugo: bool) -> None:
    """Print one Markdown table of the figures."""
    print("| N | cold s | no-change s | one edit s | template edit s | peak MB |"
          + (" Hugo cold s | Hugo edit s | Hugo MB | cold ratio | edit ratio | mem ratio |"
             if with_hugo else ""))
    print("|---|---|---|---|---|---|" + ("---|---|---|---|---|---|" if with_hugo else ""))
    for n, r in rows.items():
        line = (f"| {n} | {r['cold']:.2f} | {r['nochange']:.2f} | {r['edit']:.2f} | "
                f"{r['template']:.2f} | {r['mem'] / 1024:.0f} |")
        if with_hugo:
            line += (f" {r['hugo_cold']:.2f} | {r['hugo_edit']:.2f} | {r['hugo_mem'] / 1024:.0f}"
                     f" | {r['cold'] / r['hugo_cold']:.2f}x | {r['edit'] / r['hugo_edit']:.2f}x"
                     f" | {r['mem'] / r['hugo_mem']:.2f}x |")
        print(line)


if __name__ == "__main__":
    main()
