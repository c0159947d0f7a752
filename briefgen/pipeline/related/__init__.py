"""Related briefs: which briefs a reader of one brief should read next.

Split as the ranking runs: ``features`` (each brief's row), ``candidates`` (its best
direct matches), ``graph`` (the neighbourhood signal), ``rank`` (scores, links, reasons,
and the incremental update) and ``state`` (what is kept between builds).
"""

from briefgen.model import Related
from briefgen.pipeline.related.candidates import EXACT_UP_TO
from briefgen.pipeline.related.features import RelatedWeights, RelDoc, prepare
from briefgen.pipeline.related.rank import (
    RankResult,
    RankState,
    fingerprint,
    rank_related,
    rank_state,
)
from briefgen.pipeline.related.state import load_state, save_state

__all__ = ["EXACT_UP_TO", "RankResult", "RankState", "RelDoc", "Related", "RelatedWeights",
           "fingerprint", "load_state", "prepare", "rank_related", "rank_state", "save_state"]
