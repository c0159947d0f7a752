"""Generate synthetic digest sites: N briefs over months, of one of two kinds.

Usage: python benchmarks/synth.py DEST N [--seed S] [--kind synthetic|news] [--corpus DIR]
       [--words 520]

``synthetic`` (the default): 400-700 words from a made-up vocabulary; topics give the briefs
shared vocabulary, tags and entities so related ranking and entity pages are realistic.
``news``: prose shaped like real news. Word frequencies and article lengths are read at run
time from the BBC News Summary development articles (``--corpus``, by default
``../shared/corpora/bbc-news-summary`` beside the repository). Each brief draws its length
from the real lengths (scaled to a mean of ``--words``) and its words from the real
frequencies (a Zipf-shaped vocabulary of tens of thousands of words). No text is copied:
words are drawn one by one. These briefs carry tags but no front-matter entities.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bbc-news-summary"
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]|\d+(?:[.,]\d+)*%?")

_SYLLABLES = ("ka", "lo", "mi", "ren", "sa", "tor", "vel", "du", "ni", "pra", "gos", "le",
              "mar", "ti", "zon", "bra", "ci", "fen", "ho", "jul")
_COMMON = ("the", "and", "of", "to", "in", "a", "said", "on", "for", "with", "that", "was",
           "by", "from", "as", "at", "will", "its", "has", "after", "officials", "new", "year")


def _word(rng: random.Random, low: int = 2, high: int = 3) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(low, high)))


def make_topics(rng: random.Random, count: int = 40) -> list[dict[str, list[str]]]:
    """Topics, each with its own vocabulary, tags, people, organisations and places."""
    topics = []
    for _ in range(count):
        topics.append({
            "words": [_word(rng) for _ in range(60)],
            "tags": [_word(rng, 2, 2) for _ in range(4)],
            "people": [f"{_word(rng).title()} {_word(rng).title()}" for _ in range(6)],
            "organizations": [f"{_word(rng).title()} Council" for _ in range(3)],
            "places": [_word(rng).title() for _ in range(4)],
        })
    return topics


def brief_text(rng: random.Random, topics: list[dict[str, list[str]]], index: int,
               start: dt.date) -> tuple[str, str]:
    """(file name, text) of one synthetic brief."""
    topic = topics[rng.randrange(len(topics))]
    day = start + dt.timedelta(days=rng.randrange(180))
    title = " ".join(rng.choice(topic["words"]).title() for _ in range(6)) + f" {index}"
    words = rng.randint(400, 700)
    paragraphs = []
    written = 0
    while written < words:
        sentences = []
        for _ in range(rng.randint(3, 5)):
            n = rng.randint(10, 24)
            sentence = [rng.choice(topic["words"]) if rng.random() < 0.45 else
                        rng.choice(_COMMON) for _ in range(n)]
            if rng.random() < 0.3:
                sentence.insert(rng.randrange(n), rng.choice(topic["people"]))
            sentences.append(" ".join(sentence).capitalize() + ".")
            written += n
        paragraphs.append(" ".join(sentences))
    summary = paragraphs[0].split(". ")[0] + "."
    people = rng.sample(topic["people"], 2)
    front = [
        "---",
        f'title: "{title}"',
        f"date: {day.isoformat()}",
        f'summary: "{summary}"',
        "key_points:",
        *(f'  - "{p.split(". ")[1] if ". " in p else p[:80]}"' for p in paragraphs[:3]),
        f"tags: [{', '.join(rng.sample(topic['tags'], 2))}]",
        "section: Synthetic Desk",
        "entities:",
        f"  people: [{', '.join(people)}]",
        f"  organizations: [{rng.choice(topic['organizations'])}]",
        f"  places: [{', '.join(rng.sample(topic['places'], 2))}]",
        "author: Bench Writer",
        f"source: {{name: Example Wire, url: 'https://example.com/a/{index}'}}",
        "---",
        "",
    ]
    body = "\n\n".join(paragraphs)
    return f"{day.isoformat()}-brief-{index:05d}.md", "\n".join(front) + body + "\n"


@dataclass(frozen=True, slots=True)
class NewsModel:
    """Word frequencies and article lengths of a real news corpus."""

    words: tuple[str, ...]  # most frequent first
    cumulative: tuple[int, ...]  # running totals of the counts, for weighted draws
    lengths: tuple[int, ...]  # words per article body
    tags: tuple[str, ...]  # mid-frequency lowercase words, used as tags

    @property
    def mean_length(self) -> float:
        """Mean words per article."""
        return sum(self.lengths) / len(self.lengths)

    def draw(self, rng: random.Random, n: int) -> list[str]:
        """``n`` words drawn independently with the corpus frequencies."""
        total = self.cumulative[-1]
        return [self.words[bisect.bisect_right(self.cumulative, rng.randrange(total))]
                for _ in range(n)]


def news_model(corpus: Path = DEFAULT_CORPUS) -> NewsModel:
    """Read the corpus's articles (``News Articles/<category>/*.txt``) into a NewsModel."""
    counts: Counter[str] = Counter()
    lengths: list[int] = []
    for path in sorted(corpus.glob("News Articles/*/*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        body = text.split("\n", 1)[1] if "\n" in text else text  # the first line is the title
        tokens = _TOKEN.findall(body)
        if tokens:
            counts.update(tokens)
            lengths.append(len(tokens))
    if not counts:
        raise SystemExit(f"no articles under {corpus}/News Articles; pass --corpus")
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    words = tuple(w for w, _ in ranked)
    tags = tuple(w for w in words[300:3000] if w.islower() and len(w) > 4)[:400]
    return NewsModel(words=words, cumulative=tuple(itertools.accumulate(c for _, c in ranked)),
                     lengths=tuple(lengths), tags=tags)


def _sentence(words: list[str]) -> str:
    """Words joined, the first letter raised (names keep their capitals)."""
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def news_brief_text(rng: random.Random, model: NewsModel, index: int,
                    start: dt.date, mean_words: int = 520) -> tuple[str, str]:
    """(file name, text) of one brief of news-like prose."""
    day = start + dt.timedelta(days=rng.randrange(180))
    title = _sentence(model.draw(rng, rng.randint(5, 9))) + f" {index}"
    # The real length distribution's shape, scaled to the mean the benchmark asks for.
    target = round(rng.choice(model.lengths) * mean_words / model.mean_length)
    paragraphs = []
    written = 0
    while written < target:
        sentences = []
        for _ in range(rng.randint(1, 3)):  # news paragraphs are short
            n = rng.randint(12, 30)
            sentences.append(_sentence(model.draw(rng, n)) + ".")
            written += n
        paragraphs.append(" ".join(sentences))
    summary = paragraphs[0].split(". ")[0].rstrip(".").replace('"', "'") + "."
    front = [
        "---",
        f"title: {_quoted(title)}",
        f"date: {day.isoformat()}",
        f"summary: {_quoted(summary)}",
        f"tags: [{', '.join(rng.sample(model.tags, 2))}]",
        "section: News Desk",
        "author: Bench Writer",
        f"source: {{name: Example Wire, url: 'https://example.com/n/{index}'}}",
        "---",
        "",
    ]
    body = "\n\n".join(paragraphs)
    return f"{day.isoformat()}-news-{index:05d}.md", "\n".join(front) + body + "\n"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(dest: Path, count: int, seed: int = 7, kind: str = "synthetic",
             corpus: Path = DEFAULT_CORPUS, mean_words: int = 520) -> Path:
    """Write ``count`` briefs of ``kind`` into ``dest/content/briefs``; return ``dest``."""
    rng = random.Random(seed)
    folder = dest / "content" / "briefs"
    folder.mkdir(parents=True, exist_ok=True)
    start = dt.date(2026, 1, 1)
    if kind == "news":
        model = news_model(corpus)
        for index in range(count):
            name, text = news_brief_text(rng, model, index, start, mean_words)
            (folder / name).write_text(text, encoding="utf-8")
    else:
        topics = make_topics(rng)
        for index in range(count):
            name, text = brief_text(rng, topics, index, start)
            (folder / name).write_text(text, encoding="utf-8")
    # No search index: the Hugo side of the comparison has none either.
    (dest / "briefgen.yaml").write_text(
        "title: Synthetic Digest\nitems_per_page: 20\nsearch: false\n")
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kind", choices=("synthetic", "news"), default="synthetic")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--words", type=int, default=520, help="mean words a news brief")
    args = parser.parse_args()
    generate(args.dest, args.count, args.seed, args.kind, args.corpus, args.words)


if __name__ == "__main__":
    main()
