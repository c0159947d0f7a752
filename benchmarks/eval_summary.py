"""Score briefgen's summarizer on the BBC dev corpus with the shared ROUGE scorer.

Run from the repository root (needs ``rouge-score`` for the scorer)::

    python benchmarks/eval_summary.py            # both variants + timing of the NLP steps
    python ../shared/eval/summary_score.py --callable benchmarks/eval_summary.py:summary

``summary`` is what ingest writes (at most 3 sentences, ~60 words); ``summary_80`` and
``summary_uncapped`` loosen the word cap (still at most 3 sentences), since ROUGE F
rewards length: the references average 177 words, so 60 words cannot reach ROUGE-1 55.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefgen.nlp.entities import extract, suggest_tags  # noqa: E402
from briefgen.nlp.summarize import summarize  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
CORPUS = ROOT.parent / "shared" / "corpora" / "bbc-news-summary" / "News Articles"


def _split(text: str, title: str = "") -> tuple[str, list[str]]:
    """Title and body paragraphs of a raw BBC file (first line is the title)."""
    lines = [line.strip() for line in text.strip().splitlines()]
    head = title or (lines[0] if lines else "")
    body = lines[1:] if lines and lines[0] == head else lines
    return head, [line for line in body if line]


def summary(text: str, title: str = "") -> str:
    """The summary ingest writes: at most 3 sentences and about 60 words."""
    head, paragraphs = _split(text, title)
    return summarize(head, paragraphs)[0]


def summary_80(text: str, title: str = "") -> str:
    """At most 3 sentences and 80 words: the length at which ROUGE-1 passes 55."""
    head, paragraphs = _split(text, title)
    return summarize(head, paragraphs, max_words=80)[0]


def summary_uncapped(text: str, title: str = "") -> str:
    """At most 3 sentences, no word cap."""
    head, paragraphs = _split(text, title)
    return summarize(head, paragraphs, max_words=0)[0]


def _time_pipeline(limit: int) -> None:
    """Time summary, entities and tags over the corpus files (dev split only is present)."""
    files = sorted(CORPUS.glob("*/*.txt"))[:limit]
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    start, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        head, paragraphs = _split(text)
        summarize(head, paragraphs)
        extract(head, paragraphs)
        suggest_tags(head, paragraphs)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"summarize+extract+suggest_tags: {len(texts)} articles in {seconds:.1f}s "
        f"({cpu_seconds:.1f}s CPU)"
    )


def main() -> None:
    """Run the shared scorer on both variants, then time the whole NLP step."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="score only the first N articles")
    args = parser.parse_args()
    extra = ["--limit", str(args.limit)] if args.limit else []
    for func in ("summary", "summary_80", "summary_uncapped"):
        cmd = [
            sys.executable, str(EVAL / "summary_score.py"),
            "--callable", f"{Path(__file__).resolve()}:{func}", "--name", func, *extra,
        ]  # fmt: skip
        subprocess.run(cmd, check=True, cwd=ROOT)
    _time_pipeline(args.limit or 1000)


if __name__ == "__main__":
    main()
