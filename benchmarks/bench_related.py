"""Time `rank_related` on synthetic briefs, both candidate paths.

`python benchmarks/bench_related.py [N ...] [--both]` times the default path for each N (the
full product up to `EXACT_UP_TO` briefs, pruned postings above). With `--both` it also runs
the other path on the same briefs and prints how often their top five agree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a script from any folder
    sys.path.insert(0, str(ROOT))

from briefgen.pipeline.related import EXACT_UP_TO, Related, RelDoc, rank_related  # noqa: E402

_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "da", "fe", "gu", "ha", "jo",
              "pe", "qui", "ber", "tor", "lan", "mar", "dis", "con", "pro", "ist", "ment", "ing")
_FUNCTION = ("the", "of", "and", "to", "a", "in", "that", "is", "was", "for", "on", "with", "as",
             "by", "he", "it", "said", "at", "from", "his", "an", "be", "has", "have", "which")


def _words(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` distinct pseudo-words of 1-4 syllables, shortest first (as in real text)."""
    seen: dict[str, None] = {}
    while len(seen) < count:
        parts = rng.integers(0, len(_SYLLABLES), size=(count, 4))
        sizes = rng.choice([1, 2, 2, 3, 3, 4], size=count)
        for row, size in zip(parts, sizes, strict=True):
            seen.setdefault("".join(_SYLLABLES[p] for p in row[:size]), None)
    words = list(seen)[:count]
    return np.array(sorted(words, key=len))


def synthetic_briefs(n: int, *, topics: int = 300, seed: int = 0) -> list[RelDoc]:
    """Briefs of 400-700 words: Zipf-distributed common words mixed with topic words."""
    rng = np.random.default_rng(seed)
    vocab = _words(rng, 40_000)
    general = np.concatenate([np.array(_FUNCTION), vocab[::2]])  # frequent words are short
    zipf = 1.0 / np.arange(1, len(general) + 1)
    zipf /= zipf.sum()
    topic_words = rng.permutation(vocab[1::2])[: topics * 60].reshape(topics, 60)
    start = dt.date(2024, 1, 1)
    docs = []
    for i in range(n):
        topic = int(rng.integers(topics))
        length = int(rng.integers(400, 701))
        n_topic = length * 3 // 10  # 30% of words carry the story
        words = np.concatenate([rng.choice(general, size=length - n_topic, p=zipf),
                                rng.choice(topic_words[topic], size=n_topic)])
        rng.shuffle(words)
        ents = {f"places/p{topic % 40}", *(f"people/t{topic}-{int(e)}"
                                          for e in rng.integers(0, 8, size=3))}
        if rng.random() < 0.5:
            ents.add("organizations/un")  # a very common entity, weak evidence
        docs.append(RelDoc(
            id=f"brief-{i:05d}", title=" ".join(words[:8]).capitalize(),
            summary=" ".join(words[8:60]), body=" ".join(words[8:]),
            tags=(f"topic-{topic}", f"area-{topic % 25}"), entities=tuple(sorted(ents)),
            entity_labels={e: e.split("/")[1].upper() for e in ents},
            date=start + dt.timedelta(days=int(rng.integers(0, 730))),
        ))
    return docs


def _timed(docs: list[RelDoc], exact_up_to: int) -> tuple[dict[str, tuple[Related, ...]], str]:
    """One ranking and a line saying how long it took and how often links stay on topic."""
    began, cpu = time.perf_counter(), time.process_time()
    ranked = rank_related(docs, k=5, exact_up_to=exact_up_to)
    took, cpu = time.perf_counter() - began, time.process_time() - cpu
    path = "full product" if len(docs) <= exact_up_to else "pruned postings"
    topic = {d.id: d.tags[0] for d in docs}  # the synthetic topic each brief was drawn from
    links = [(i, r.id) for i, rel in ranked.items() for r in rel]
    on_topic = sum(topic[i] == topic[j] for i, j in links) / max(1, len(links))
    return ranked, f"{path}: {took:.2f} s ({cpu:.2f} s CPU), links on topic {on_topic:.4f}"


def main() -> None:
    """Generate the briefs, then time the ranking for each size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000])
    parser.add_argument("--both", action="store_true", help="also run the other path")
    args = parser.parse_args()
    for n in args.sizes:
        docs = synthetic_briefs(n)
        words = sum(len(d.body.split()) for d in docs) / n
        ranked, line = _timed(docs, EXACT_UP_TO)
        print(f"{n} briefs of {words:.0f} words: {line}", flush=True)
        if args.both:
            other, line = _timed(docs, n if n > EXACT_UP_TO else 0)
            top = sum(len({r.id for r in ranked[i]} & {r.id for r in other[i]}) for i in ranked)
            first = sum(bool(ranked[i]) and bool(other[i]) and ranked[i][0].id == other[i][0].id
                        for i in ranked)
            same = sum(ranked[i] == other[i] for i in ranked)
            print(f"  {line}; top-5 overlap {top / (5 * n):.4f}, same first {first / n:.4f}, "
                  f"identical lists {same / n:.4f}", flush=True)


if __name__ == "__main__":
    main()
