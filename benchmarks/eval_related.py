"""Adapter from the BBC relatedness scorer's `--callable` interface to `rank_related`."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the scorer imports this file by path, not as a package
    sys.path.insert(0, str(ROOT))

from briefgen.pipeline.related import RelDoc, rank_related  # noqa: E402

# The shared folder sits beside the checkout (or beside the folder of worktrees).
SCORER = next((p / "shared" / "eval" / "related_score.py" for p in (ROOT.parent, ROOT.parent.parent)
               if (p / "shared" / "eval" / "related_score.py").is_file()),
              ROOT.parent / "shared" / "eval" / "related_score.py")
_DAY = dt.date(2005, 1, 1)  # the corpus has no dates; time decay is switched off anyway


def to_reldoc(doc_id: str, raw: str) -> RelDoc:
    """A raw BBC file (headline line, then body) as a brief with no tags or entities."""
    title, _, body = raw.strip().partition("\n")
    return RelDoc(id=doc_id, title=title.strip(), summary="", body=body.strip(), tags=(),
                  entities=(), entity_labels={}, date=_DAY)


def related(docs: Mapping[str, str], k: int = 5) -> dict[str, list[str]]:
    """Top-k related ids per id, as the scorer's `--callable` wants."""
    ranked = rank_related([to_reldoc(i, t) for i, t in docs.items()], k=k, half_life_days=0)
    return {i: [r.id for r in rel] for i, rel in ranked.items()}


def main() -> int:
    """Run the scorer on the dev split with this adapter and print its report (p@5, p@1)."""
    cmd = [sys.executable, str(SCORER), "--callable", f"{Path(__file__).resolve()}:related",
           *sys.argv[1:]]
    return subprocess.run(cmd, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
