"""Generate realistic synthetic digest sites: N briefs of 400-700 words over months.

Usage: python benchmarks/synth.py DEST N [--seed S]
Words come from a made-up vocabulary, so nothing is copied from anywhere; topics give the
briefs shared vocabulary, tags and entities so related ranking and entity pages are realistic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

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


def generate(dest: Path, count: int, seed: int = 7) -> Path:
    """Write ``count`` briefs into ``dest/content/briefs``; return ``dest``."""
    rng = random.Random(seed)
    topics = make_topics(rng)
    folder = dest / "content" / "briefs"
    folder.mkdir(parents=True, exist_ok=True)
    start = dt.date(2026, 1, 1)
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
    args = parser.parse_args()
    generate(args.dest, args.count, args.seed)


if __name__ == "__main__":
    main()
