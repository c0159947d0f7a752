"""Time `rank_related` on synthetic or news-like briefs; time an incremental update.

`python benchmarks/bench_related.py [N ...] [--both]` times the default path for each N (the
full product up to `EXACT_UP_TO` briefs, pruned postings above). With `--both` it also runs
the other path on the same briefs and prints how often their top five agree.

`--kind news` draws news-like prose (word frequencies and lengths of the BBC corpus, read at
run time, as `synth.py --kind news`). `--memory` runs each cold ranking in a forked child
and prints its peak resident memory above what it started with. `--incremental` then
saves the state, appends one sentence to one brief and times `load_state` + `rank_state`
(checking the result against a cold ranking). `--code DIR` imports briefgen from DIR
instead (e.g. an older checkout, for before/after figures).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_CODE = sys.argv[sys.argv.index("--code") + 1] if "--code" in sys.argv[:-1] else str(ROOT)
sys.path.insert(0, _CODE)  # runnable as a script from any folder
sys.path.insert(1, str(ROOT / "benchmarks"))

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


def news_briefs(n: int, *, seed: int = 7) -> list[RelDoc]:
    """News-like briefs as `synth.py --kind news` writes them (tags, no entities)."""
    import synth

    corpus = next((p / "shared" / "corpora" / "bbc-news-summary" for p in ROOT.parents
                   if (p / "shared" / "corpora" / "bbc-news-summary").is_dir()), None)
    model = synth.news_model(corpus) if corpus else synth.news_model()
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        _, text = synth.news_brief_text(rng, model, i, dt.date(2026, 1, 1))
        _, front, body = text.split("---\n", 2)
        meta = dict(line.split(": ", 1) for line in front.strip().splitlines())
        docs.append(RelDoc(
            id=f"news-{i:05d}", title=meta["title"].strip('"'), summary=meta["summary"].strip('"'),
            body=body.strip(), tags=tuple(t.strip() for t in meta["tags"].strip("[]").split(",")),
            entities=(), entity_labels={}, date=dt.date.fromisoformat(meta["date"])))
    return docs


def _rss_kib() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _in_child(func: object) -> tuple[str, int]:
    """Run func() in a forked child: its printed line and peak memory above its start (KiB)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        start = _rss_kib()
        line = func()  # type: ignore[operator]
        os.write(write, f"{start}\t{line}".encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as handle:
        start, line = handle.read().split("\t", 1)
    _, _, usage = os.wait4(pid, 0)
    return line, usage.ru_maxrss - int(start)


def _incremental(docs: list[RelDoc]) -> str:
    """Cold ranking with state, one sentence appended to one brief, timed update."""
    import dataclasses

    from briefgen.pipeline.related import fingerprint, load_state, rank_state, save_state

    # A build hands the ranker each brief's fingerprint (from the file hash it already has).
    began = time.perf_counter()
    docs = [dataclasses.replace(d, fingerprint=fingerprint(d)) for d in docs]
    hashing = time.perf_counter() - began
    first = rank_state(docs)
    assert first.state is not None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.bin"
        began = time.perf_counter()
        save_state(first.state, path)
        saved = time.perf_counter() - began
        size = path.stat().st_size
        edited = list(docs)
        at = len(docs) // 2
        changed = dataclasses.replace(
            edited[at], body=edited[at].body + " The minister said the talks would resume.",
            fingerprint="")
        edited[at] = dataclasses.replace(changed, fingerprint=fingerprint(changed))
        began = time.perf_counter()
        state = load_state(path)
        loaded = time.perf_counter() - began
        done = rank_state(edited, previous=state)
        took = time.perf_counter() - began
    assert done.incremental, "the update fell back to a cold ranking"
    same = done.ranked == rank_state(edited).ranked
    return (f"one-brief edit: load {loaded * 1000:.0f} ms, load + update {took * 1000:.0f} ms "
            f"(save {saved * 1000:.0f} ms, state {size / 1e6:.1f} MB; hashing every brief's "
            f"text, which a build need not do, {hashing * 1000:.0f} ms), "
            f"{len(done.changed or ())} briefs' links changed, equal to cold: {same}")


def _line(docs: list[RelDoc]) -> str:
    return _timed(docs, EXACT_UP_TO)[1]


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
    parser.add_argument("--kind", choices=("synthetic", "news"), default="synthetic")
    parser.add_argument("--memory", action="store_true", help="peak memory (forked child)")
    parser.add_argument("--incremental", action="store_true", help="time a one-brief edit")
    parser.add_argument("--code", default=str(ROOT), help="import briefgen from this folder")
    args = parser.parse_args()
    for n in args.sizes:
        docs = synthetic_briefs(n) if args.kind == "synthetic" else news_briefs(n)
        words = sum(len(d.body.split()) for d in docs) / n
        if args.memory:
            line, peak = _in_child(functools.partial(_line, docs))
            print(f"{n} {args.kind} briefs of {words:.0f} words: {line}, peak +{peak / 1024:.0f} "
                  f"MB", flush=True)
        else:
            ranked, line = _timed(docs, EXACT_UP_TO)
            print(f"{n} {args.kind} briefs of {words:.0f} words: {line}", flush=True)
        if args.incremental:
            line, _ = _in_child(functools.partial(_incremental, docs))
            print(f"  {line}", flush=True)
        if args.both:
            if args.memory:
                ranked, _ = _timed(docs, EXACT_UP_TO)
            other, line = _timed(docs, n if n > EXACT_UP_TO else 0)
            top = sum(len({r.id for r in ranked[i]} & {r.id for r in other[i]}) for i in ranked)
            first = sum(bool(ranked[i]) and bool(other[i]) and ranked[i][0].id == other[i][0].id
                        for i in ranked)
            same = sum(ranked[i] == other[i] for i in ranked)
            print(f"  {line}; top-5 overlap {top / (5 * n):.4f}, same first {first / n:.4f}, "
                  f"identical lists {same / n:.4f}", flush=True)


if __name__ == "__main__":
    main()
