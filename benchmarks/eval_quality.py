"""Brief quality in one run: entities, summaries, tags and bodies on the dev corpora.

Run from the repository root, with ``../shared`` beside it (the scorers need ``rouge-score``)::

    python benchmarks/eval_quality.py [--keep DIR] [--skip-bodies]

1. ``materialize.py`` writes the BBC dev articles under opaque names (no category folders) and
   ``run_ingest`` turns them into briefs; the ingest time is printed.
2. Entities: ``entity_score.py`` on those briefs (40 hand-annotated articles), P/R/F1 by kind.
3. Summaries: words per summary (mean, max, over 60, over 70) and ``summary_score.py
   --max-words 60`` ROUGE-1 F and precision.
4. Tags: the BBC category of each article is looked up here, never shown to ingest. For tags
   used by at least 3 briefs, purity is the share of their briefs in the tag's majority
   category (counted over tag-brief pairs); coverage is the share of briefs with such a tag.
5. Bodies: ``benchmarks/eval_extraction.py`` for the text dumps (w3m) and HTML pages.

The corpora are read at run time only; nothing from them is written into the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval"
NEWS = SHARED / "corpora" / "bbc-news-summary" / "News Articles"
MIN_TAG_BRIEFS = 3
TARGETS = {
    "entity P": 0.90,
    "entity R": 0.85,
    "r1_p": 0.90,
    "tag purity": 0.90,
    "tag coverage": 0.80,
    "text F1": 0.93,
    "html F1": 0.975,
}


def _run(args: list[str]) -> str:
    """Run a scorer script with this Python and return its output, failing loudly."""
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _front_matter(path: Path) -> dict[str, Any]:
    """A brief's front matter as a dict (empty when unreadable)."""
    match = re.match(r"^---\n(.*?)\n---\n", path.read_text(encoding="utf-8"), re.DOTALL)
    data = yaml.safe_load(match.group(1)) if match else None
    return data if isinstance(data, dict) else {}


def _alias(item_id: str) -> str:
    """The opaque file stem ``materialize.py`` gives a BBC id (see the scorers' README)."""
    return "bbc-" + hashlib.sha1(item_id.encode()).hexdigest()[:10]


def _categories() -> dict[str, str]:
    """Opaque stem -> BBC category, for the dev ids that the scorers keep (no duplicates)."""
    ids = (EVAL / "splits" / "bbc-dev.txt").read_text(encoding="utf-8").split()
    dupes_file = EVAL / "splits" / "bbc-dev-duplicates.txt"
    dupes = set(dupes_file.read_text(encoding="utf-8").split()) if dupes_file.exists() else set()
    return {_alias(i): i.split("/")[0] for i in ids if i not in dupes}


def ingest_bbc(work: Path) -> tuple[Path, float, int]:
    """Materialise and ingest the BBC dev split; the briefs' folder, seconds and count."""
    sys.path.insert(0, str(ROOT))
    from briefgen.ingest import run_ingest

    pages, briefs = work / "bbc-dev", work / "bbc-briefs"
    _run([str(EVAL / "materialize.py"), "--corpus", "bbc", "--split", "dev", "--dest", str(pages)])
    start = time.perf_counter()
    report = run_ingest([pages], briefs)
    seconds = time.perf_counter() - start
    return briefs, seconds, len(report.created) + len(report.updated) + len(report.unchanged)


def entity_scores(briefs: Path) -> str:
    """The entity scorer's per-kind table and its overall line."""
    out = _run([str(EVAL / "entity_score.py"), "--pred-dir", str(briefs)])
    return "\n".join(line for line in out.splitlines() if line.strip())


def summary_scores(briefs: Path, work: Path) -> dict[str, float]:
    """Word counts of the summaries as written, and ROUGE-1 at 60 words."""
    counts, n_points, positions = [], [], []
    for path in sorted(briefs.glob("*.md")):
        meta = _front_matter(path)
        counts.append(len(re.findall(r"\w+", str(meta.get("summary") or ""))))
        points = [str(p) for p in meta.get("key_points") or []]
        n_points.append(len(points))
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        for point in points:  # where the point's last words sit in the body, 0..1
            at = body.find(point[-40:].rstrip("."))
            if at >= 0:
                positions.append(at / max(len(body), 1))
    positions.sort()
    out_json = work / "summary.json"
    _run(
        [
            str(EVAL / "summary_score.py"),
            "--pred-dir",
            str(briefs),
            "--max-words",
            "60",
            "--out",
            str(out_json),
        ]
    )
    scores = json.loads(out_json.read_text(encoding="utf-8"))
    return {
        "mean words": sum(counts) / max(len(counts), 1),
        "max words": float(max(counts, default=0)),
        "over 60": float(sum(c > 60 for c in counts)),
        "over 70": float(sum(c > 70 for c in counts)),
        "key points 3-5": sum(3 <= n <= 5 for n in n_points) / max(len(n_points), 1),
        "key point median position": positions[len(positions) // 2] if positions else 0.0,
        "r1": float(scores["r1"]),
        "r1_p": float(scores["r1_p"]) / 100,
    }


def tag_scores(briefs: Path) -> dict[str, float]:
    """Purity and coverage of tags against the BBC categories."""
    category = _categories()
    tags_of: dict[str, list[str]] = {}
    for path in sorted(briefs.glob("*.md")):
        meta = _front_matter(path)
        source = meta.get("source") or {}
        stem = Path(str(source.get("file") or "")).stem if isinstance(source, dict) else ""
        if stem in category:
            tags_of[stem] = [str(t) for t in meta.get("tags") or []]
    by_tag: dict[str, Counter[str]] = defaultdict(Counter)
    for stem, tags in tags_of.items():
        for tag in set(tags):
            by_tag[tag][category[stem]] += 1
    common = {t for t, c in by_tag.items() if sum(c.values()) >= MIN_TAG_BRIEFS}
    pairs = sum(sum(by_tag[t].values()) for t in common)
    majority = sum(max(by_tag[t].values()) for t in common)
    covered = sum(1 for tags in tags_of.values() if common & set(tags))
    n = max(len(tags_of), 1)
    return {
        "briefs": float(len(tags_of)),
        "purity": majority / pairs if pairs else 0.0,
        "coverage": covered / n,
        "distinct tags": float(len(by_tag)),
        "tags used >= 3": float(len(common)),
        "mean tags": sum(len(t) for t in tags_of.values()) / n,
        "max tags": float(max((len(t) for t in tags_of.values()), default=0)),
    }


def body_scores(work: Path) -> dict[str, str]:
    """The extraction scorer's line for text dumps and for HTML."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from eval_extraction import evaluate

    return {variant: evaluate(variant, work) for variant in ("w3m", "html")}


def main() -> None:
    """Run every measure and print one report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keep", type=Path, help="write inputs and briefs here")
    parser.add_argument("--skip-bodies", action="store_true", help="leave out body extraction")
    args = parser.parse_args()
    if not EVAL.is_dir():
        sys.exit(f"scorers not found at {EVAL}: this benchmark needs ../shared beside the repo")
    with tempfile.TemporaryDirectory(prefix="briefgen-quality-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        briefs, seconds, n = ingest_bbc(work)
        print(
            f"## ingest: {n} BBC dev articles in {seconds:.1f} s ({1000 * seconds / n:.1f} ms each)"
        )
        print("\n## entities (dev gold set, 40 articles)")
        print(entity_scores(briefs))
        print("\n## summaries (BBC dev)")
        summ = summary_scores(briefs, work)
        print(
            f"words mean {summ['mean words']:.1f} max {summ['max words']:.0f} "
            f"(over 60: {summ['over 60']:.0f}, over 70: {summ['over 70']:.0f}); "
            f"at 60 words ROUGE-1 F {summ['r1']:.1f}, precision {summ['r1_p']:.3f} "
            f"(target >= {TARGETS['r1_p']})"
        )
        print(
            f"key points: {summ['key points 3-5']:.3f} of briefs have 3-5; median position "
            f"in the body {summ['key point median position']:.2f}"
        )
        print("\n## tags (BBC dev, categories as the check)")
        tags = tag_scores(briefs)
        print(
            f"briefs {tags['briefs']:.0f}; purity {tags['purity']:.3f} "
            f"(target >= {TARGETS['tag purity']}), coverage {tags['coverage']:.3f} "
            f"(target >= {TARGETS['tag coverage']}); distinct tags {tags['distinct tags']:.0f}, "
            f"used by >= 3 briefs {tags['tags used >= 3']:.0f}; "
            f"tags per brief mean {tags['mean tags']:.2f} max {tags['max tags']:.0f}"
        )
        if not args.skip_bodies:
            print("\n## bodies (extraction dev pages, token F1)")
            for variant, line in body_scores(work).items():
                label = "text" if variant == "w3m" else "html"
                target = TARGETS[f"{label} F1"]
                print(f"{label} (target >= {target}): {line}")


if __name__ == "__main__":
    main()
