"""Story threads on a digest: how many, how large, over how many days, and (for BBC briefs) how
pure in the corpus's categories.

Run from the repository root::

    python benchmarks/eval_threads.py DIGEST [--show N]
    python benchmarks/eval_threads.py DIGEST --make-bbc [--per-day 20] [--show N]

``--make-bbc`` first builds DIGEST from the BBC dev articles: ``materialize.py`` writes them
under opaque names, they are split in sorted name order into batches of ``--per-day`` and each
batch is ingested with its own ``--date`` (one day apart from 2026-09-01), since BBC articles
carry no dates. The BBC category of each brief is looked up here from the source file named
in its front matter and never shown to ingest: a thread whose briefs span categories is
surely not one story. Purity is the share of threads in one category, and the share of
threaded briefs in their thread's majority category.

For generated content: ``python benchmarks/synth.py DEST 2000 [--kind news]`` then this
script on DEST. The corpora are read at run time only; nothing from them is written into the
repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefgen.pipeline.link import build_graph  # noqa: E402
from briefgen.pipeline.load import find_brief_files, load_briefs, load_entity_defs  # noqa: E402
from briefgen.pipeline.threads import plan_threads  # noqa: E402

SHARED = ROOT.parent / "shared"
BBC = SHARED / "corpora" / "bbc-news-summary" / "News Articles"
_SOURCE_FILE = re.compile(r"^\s+file:\s*\S*?(bbc-[0-9a-f]{10})\.txt\s*$", re.MULTILINE)


def make_bbc(digest: Path, per_day: int) -> None:
    """A fresh digest of the BBC dev articles, ``per_day`` of them a day."""
    run = [sys.executable, "-m", "briefgen"]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        subprocess.run(
            [
                sys.executable,
                str(SHARED / "eval" / "materialize.py"),
                "--corpus",
                "bbc",
                "--split",
                "dev",
                "--dest",
                str(raw),
            ],
            check=True,
        )
        if digest.exists():
            shutil.rmtree(digest)
        subprocess.run([*run, "init", str(digest)], check=True, cwd=ROOT)
        briefs = digest / "content" / "briefs"
        shutil.rmtree(briefs)
        files = sorted(raw.glob("*.txt"))
        start = dt.date(2026, 9, 1)
        for n, first in enumerate(range(0, len(files), per_day)):
            batch = Path(tmp) / f"day{n:03d}"
            batch.mkdir()
            for f in files[first : first + per_day]:
                shutil.copy(f, batch / f.name)
            day = (start + dt.timedelta(days=n)).isoformat()
            subprocess.run(
                [
                    *run,
                    "-C",
                    str(digest),
                    "ingest",
                    str(batch),
                    "--out",
                    str(briefs),
                    "--date",
                    day,
                ],
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )


def bbc_categories(digest: Path) -> dict[str, str]:
    """Brief file stem -> BBC category, from the source file named in its front matter."""
    alias = {
        "bbc-" + hashlib.sha1(f"{p.parent.name}/{p.stem}".encode()).hexdigest()[:10]: p.parent.name
        for p in BBC.glob("*/*.txt")
    }
    found: dict[str, str] = {}
    for path in (digest / "content" / "briefs").glob("*.md"):
        match = _SOURCE_FILE.search(path.read_text(encoding="utf-8"))
        if match and match.group(1) in alias:
            found[str(path.relative_to(digest))] = alias[match.group(1)]
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("digest", type=Path)
    ap.add_argument("--make-bbc", action="store_true")
    ap.add_argument("--per-day", type=int, default=20)
    ap.add_argument("--show", type=int, default=0, help="print every k-th thread, N in all")
    args = ap.parse_args()
    digest = args.digest.resolve()
    if args.make_bbc:
        make_bbc(digest, args.per_day)
    paths, _ = find_brief_files(digest / "content" / "briefs", digest)
    briefs, _ = load_briefs(paths, digest)
    defs, _ = load_entity_defs(digest / "content" / "entities.yaml", digest)
    graph, _ = build_graph(briefs, defs)
    threads = plan_threads(graph)
    sizes = sorted((len(t.briefs) for t in threads), reverse=True)
    print(f"briefs {len(graph.briefs)}  threads {len(threads)}  briefs in threads {sum(sizes)}")
    if not threads:
        return 0
    spans = [(t.last - t.first).days for t in threads]
    print(
        f"size: max {sizes[0]} median {statistics.median(sizes)} "
        f"histogram {sorted(Counter(sizes).items())}"
    )
    print(f"days first to last: max {max(spans)} median {statistics.median(spans)}")
    by_path = bbc_categories(digest)
    category = {s: by_path.get(b.path, "") for s, b in graph.briefs.items()}
    if any(category.values()):
        pure = majority = 0
        for t in threads:
            top = Counter(category[s] for s in t.briefs).most_common(1)[0][1]
            pure += top == len(t.briefs)
            majority += top
        print(
            f"category purity: {pure}/{len(threads)} threads in one category "
            f"({100 * pure / len(threads):.0f}%), {majority}/{sum(sizes)} threaded briefs in "
            f"their thread's majority category ({100 * majority / sum(sizes):.0f}%)"
        )
    step = max(1, len(threads) // args.show) if args.show else 0
    for t in threads[::step][: args.show] if step else ():
        print(f"\n{t.title} ({len(t.briefs)} briefs, {t.first} to {t.last})")
        for s in t.briefs:
            print(f"  [{category[s][:5]:5}] {graph.briefs[s].title}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
