"""Measure body extraction: ingest the extraction corpus (w3m text dumps and HTML) and score it.

Run from the repository root, with ``../shared`` beside it::

    python benchmarks/eval_extraction.py [--variants w3m html] [--keep DIR]

For each variant: ``materialize.py`` writes the dev-split pages to a temporary folder,
``run_ingest`` turns them into briefs, and ``extraction_score.py --pred-dir`` prints tokF1.
The corpus is read at run time only; nothing from it is written into the repository.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"


def _run(args: list[str]) -> str:
    """Run a scorer script and return its output, failing loudly."""
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def evaluate(variant: str, work: Path) -> str:
    """Materialise one variant, ingest it, and return the scorer's summary line."""
    sys.path.insert(0, str(ROOT))
    from briefgen.ingest import run_ingest

    pages, briefs = work / f"ex-{variant}", work / f"ex-{variant}-briefs"
    _run(
        [
            str(EVAL / "materialize.py"),
            "--corpus",
            "extraction",
            "--variant",
            variant,
            "--dest",
            str(pages),
        ]
    )
    report = run_ingest([pages], briefs)
    for d in report.diagnostics:
        print(d.format(), file=sys.stderr)
    input_kind = "html" if variant == "html" else variant
    out = _run(
        [str(EVAL / "extraction_score.py"), "--input", input_kind, "--pred-dir", str(briefs)]
    )
    return out.strip().splitlines()[-1]


def main() -> None:
    """Score every requested variant."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--variants", nargs="+", default=["w3m", "html"], choices=["w3m", "lynx", "html"]
    )
    parser.add_argument(
        "--keep", type=Path, help="write pages and briefs here instead of a temporary folder"
    )
    args = parser.parse_args()
    if not EVAL.is_dir():
        sys.exit(
            f"scorers not found at {EVAL}: this benchmark needs ../shared beside the repository"
        )
    with tempfile.TemporaryDirectory(prefix="briefgen-eval-") as tmp:
        work = args.keep or Path(tmp)
        for variant in args.variants:
            print(f"{variant}: {evaluate(variant, work)}")


if __name__ == "__main__":
    main()
