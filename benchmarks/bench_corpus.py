"""The real-corpus path of a new user: ``init`` a digest, drop the whole BBC dev corpus into
``content/articles/``, then ``ingest``, ``build`` and ``check`` through the command line.

Prints how long each step took and exits with the first failing step's exit code::

    python benchmarks/bench_corpus.py                  # ../shared/corpora/bbc-news-summary
    python benchmarks/bench_corpus.py --keep /tmp/bbc  # keep the digest to look at

The articles are read from the shared corpus at run time (the digest lives in a temporary
folder unless --keep) and nothing of them is written into the repository.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpora" / "bbc-news-summary" / "News Articles"


def run(step: str, args: list[str], cwd: Path, timings: dict[str, float]) -> int:
    """Run ``python -m briefgen ARGS`` in ``cwd``; record its time; show its last lines."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "briefgen", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)
    timings[step] = time.perf_counter() - started
    tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
    print(f"{step:<8} {timings[step]:7.2f} s  exit {done.returncode}  " + " | ".join(tail))
    return done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help="folder of <category>/<NNN>.txt articles")
    parser.add_argument("--keep", type=Path, default=None, help="make the digest here")
    parser.add_argument("--date", default="2005-01-03",
                        help="date for articles that give none (the corpus gives none)")
    options = parser.parse_args()
    articles = sorted(options.corpus.glob("*/*.txt"))
    if not articles:
        print(f"no articles under {options.corpus}", file=sys.stderr)
        return 2
    holder = None
    if options.keep is None:
        holder = tempfile.TemporaryDirectory(prefix="briefgen-corpus-")
        root = Path(holder.name) / "digest"
    else:
        root = options.keep.resolve()
    timings: dict[str, float] = {}
    try:
        code = run("init", ["init", str(root), "--title", "BBC dev corpus"], Path.cwd(), timings)
        if code:
            return code
        started = time.perf_counter()
        folder = root / "content" / "articles"
        for path in articles:
            shutil.copyfile(path, folder / f"{path.parent.name}-{path.name}")
        timings["copy"] = time.perf_counter() - started
        print(f"copy     {timings['copy']:7.2f} s  {len(articles)} articles into {folder}")
        for step, args in (("ingest", ["ingest", "--date", options.date]), ("build", ["build"]),
                           ("rebuild", ["build"]), ("check", ["check"])):
            code = run(step, args, root, timings)
            if code:
                return code
        pages = sum(1 for p in (root / "site").rglob("*.html"))
        briefs = sum(1 for p in (root / "content" / "briefs").glob("*.md"))
        print(f"total    {sum(timings.values()):7.2f} s  {briefs} briefs, {pages} HTML pages")
        return 0
    finally:
        if holder is not None:
            holder.cleanup()


if __name__ == "__main__":
    sys.exit(main())
