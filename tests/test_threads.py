"""Story threads, the front page as a briefing, related links that earn their place, cards."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from conftest import brief

from briefgen.build import build
from briefgen.config import load_config
from briefgen.model import Brief, Entities, Related
from briefgen.pipeline.link import build_graph
from briefgen.pipeline.threads import (
    MAX_BRIEFS,
    STRONG,
    group_threads,
    plan_threads,
    story_entities,
)
from briefgen.pipeline.views import card_chips, strong_related


def _brief(slug: str, day: int, **fields: object) -> Brief:
    return Brief(
        path=f"content/briefs/{slug}.md",
        slug=slug,
        title=slug.title(),
        date=dt.date(2026, 11, day),
        **fields,  # type: ignore[arg-type]
    )


def _main(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def _rel(slug: str, score: float = 0.8) -> Related:
    return Related(id=slug, score=score, shared=())


def _mutual(*pairs: tuple[str, str], score: float = 0.8) -> dict[str, tuple[Related, ...]]:
    """Related lists where each pair names the other (a mutual link)."""
    out: dict[str, list[Related]] = {}
    for a, b in pairs:
        out.setdefault(a, []).append(_rel(b, score))
        out.setdefault(b, []).append(_rel(a, score))
    return {k: tuple(v) for k, v in out.items()}


def test_updates_and_strong_links_join_weak_and_distant_ones_do_not() -> None:
    briefs = {
        b.slug: b
        for b in (
            _brief("a", 1),
            _brief("b", 2),
            _brief("c", 4),
            _brief("d", 5),
            _brief("far", 28),
            _brief("x", 3),
            _brief("y", 3),
            _brief("p", 6),
            _brief("q", 6),
            _brief("o", 8),
        )
    }
    follow_ups = {"a": ("b",)}
    related = {
        "b": (_rel("c", STRONG),),
        "c": (_rel("b", STRONG), _rel("d", STRONG - 0.01)),
        "d": (
            _rel("c", 0.9),
            _rel("far"),
        ),
        "far": (_rel("d"),),  # too weak; 23 days apart
        "x": (_rel("y"), _rel("gone", 0.9)),
        "y": (_rel("x"),),
        "p": (_rel("q"),),  # q does not name p: not mutual
        "o": (_rel("p"),),
        "q": (_rel("o"),),
    }
    story = {s: frozenset({"other/s-400"}) for s in briefs}
    groups = group_threads(briefs, follow_ups, related, story)
    assert groups == [["a", "b", "c"], ["x", "y"]]  # newest story first, oldest brief first
    # Order-free: the same links given in another order make the same threads.
    shuffled = dict(reversed(list(related.items())))
    assert group_threads(briefs, follow_ups, shuffled, story) == groups
    assert group_threads(briefs, {}, {}, {}) == []
    # Related links need a shared story entity; updates: do not.
    apart = dict(story, c=frozenset({"people/someone-else"}), y=frozenset())
    assert group_threads(briefs, follow_ups, related, apart) == [["a", "b"]]


def test_a_topic_does_not_chain_into_one_thread() -> None:
    """Forty briefs a day apart, each strongly and mutually related to the next and all naming
    the same thing (a topic, as on the synthetic benchmark): the old connected components made
    one thread of 40; now threads stay small, and the weakest links are the ones cut."""
    names = [f"t{i:02d}" for i in range(40)]
    briefs = {
        s: dataclasses.replace(_brief(s, 1), date=dt.date(2026, 1, 1) + dt.timedelta(days=i))
        for i, s in enumerate(names)
    }
    related: dict[str, list[Related]] = {s: [] for s in names}
    for i in range(39):
        score = 0.5 if i % 5 == 4 else 0.9  # every fifth link is weaker
        related[names[i]].append(_rel(names[i + 1], score))
        related[names[i + 1]].append(_rel(names[i], score))
    story = {s: frozenset({"other/topic"}) for s in names}
    groups = group_threads(
        briefs, {}, {k: tuple(v) for k, v in related.items()}, story, max_briefs=5
    )
    assert [len(g) for g in groups] == [5] * 8
    assert all(g[0][1:] in {"00", "05", "10", "15", "20", "25", "30", "35"} for g in groups)
    # With the default cap the thread is bounded too, and so is its span in days.
    groups = group_threads(briefs, {}, {k: tuple(v) for k, v in related.items()}, story)
    assert max(len(g) for g in groups) <= MAX_BRIEFS
    # updates: chains always hold, whatever their size.
    chain = {names[i]: (names[i + 1],) for i in range(39)}
    assert group_threads(briefs, chain, {}, {}) == [names]


def test_a_thread_keeps_a_common_actor() -> None:
    """Two pairs, each about its own actor, joined by one link on a third: not one story."""
    briefs = {b.slug: b for b in (_brief("a", 1), _brief("b", 2), _brief("c", 3), _brief("d", 4))}
    related = _mutual(("a", "b"), ("c", "d"))
    for one, other in (("b", "c"), ("c", "b")):  # a weaker link between the pairs
        related[one] += (_rel(other, 0.5),)
    story = {
        "a": frozenset({"people/x"}),
        "b": frozenset({"people/x", "other/z"}),
        "c": frozenset({"people/y", "other/z"}),
        "d": frozenset({"people/y"}),
    }
    assert group_threads(briefs, {}, related, story) == [["c", "d"], ["a", "b"]]


def test_story_entities_are_rare_and_named_up_front() -> None:
    ents = Entities(people=("Elena Marcu",), places=("Veloria",), organizations=("BBC",))
    briefs = [
        _brief(
            "a", 1, summary="Elena Marcu opens talks in Veloria, the BBC reports.", entities=ents
        ),
        _brief(
            "b",
            2,
            summary="Talks go on in Veloria.",
            body="Elena Marcu said little.",
            entities=ents,
        ),
    ] + [
        _brief(f"n{i}", 3, summary="BBC news.", entities=Entities(organizations=("BBC",)))
        for i in range(21)
    ]
    graph, _ = build_graph(briefs, rank=False)
    story = story_entities(graph)
    assert story["a"] == {"people/elena-marcu", "places/veloria"}  # BBC is in 23 briefs
    assert story["b"] == {"places/veloria"}  # Marcu only in the body
    # Without a summary, the first paragraph says what the brief is about.
    lone = _brief("c", 1, body="Elena Marcu won.\n\nVeloria voted.", entities=ents)
    graph, _ = build_graph([lone], rank=False)
    assert story_entities(graph)["c"] == {"people/elena-marcu"}  # not Veloria, 2nd paragraph


def test_a_long_story_keeps_its_names() -> None:
    """Rare means rare in the digest, not in a handful of briefs: the S-400 named by twelve
    briefs of forty still ties them together."""
    ents = Entities(other=("S-400",))
    briefs = [
        _brief(f"s{i:02d}", 1 + i % 20, summary=f"S-400 talks, day {i}.", entities=ents)
        for i in range(12)
    ]
    briefs += [_brief(f"n{i:02d}", 1 + i % 20) for i in range(28)]
    graph, _ = build_graph(briefs, rank=False)
    assert story_entities(graph)["s11"] == {"other/s-400"}


def test_thread_title_slug_and_joins_are_deterministic(make_site: Callable[..., Path]) -> None:
    ents = "{places: [Ankara, Turkey], other: [S-400]}"
    root = make_site(
        {
            "content/briefs/a.md": brief(
                "Ankara weighs S-400 limits", "2026-11-16", slug="a", entities=ents
            ),
            "content/briefs/b.md": brief(
                "Washington answers", "2026-11-17", slug="b", updates="a", entities=ents
            ),
            "content/briefs/c.md": brief(
                "Talks set",
                "2026-11-20",
                slug="c",
                updates="b",
                entities="{places: [Turkey], other: [S-400]}",
            ),
            "content/briefs/d.md": brief(
                "Rain in Kenya",
                "2026-11-20",
                slug="d",
                body="Farmers in Kenya wait for the short rains.",
            ),
        }
    )
    config = load_config(root)
    build(config)
    site = root / "site"
    page = _main((site / "threads/s-400-and-turkey.html").read_text())
    assert "<h1" in page and "Developing story" in page
    text = _text(page)
    assert "3 briefs from 16 November 2026 to 20 November 2026" in text
    timeline = text.split("Timeline, oldest first", 1)[1]
    assert (
        timeline.index("Ankara weighs")
        < timeline.index("Washington answers")
        < timeline.index("Talks set")
    )
    assert "Follows up Washington answers" in text
    brief_page = _text(_main((site / "briefs/c.html").read_text()))
    assert "Part of a developing story: S-400 and Turkey · brief 3 of 3 since 16 Nov" in brief_page
    assert "developing story" not in (site / "briefs/d.html").read_text()
    front = _text(_main((site / "index.html").read_text()))
    assert "S-400 and Turkey 3 briefs since 16 Nov" in front
    listing = _text(_main((site / "threads/index.html").read_text()))
    assert "S-400 and Turkey 3 briefs" in listing
    first = (site / "threads/s-400-and-turkey.html").read_bytes()
    build(config)
    assert (site / "threads/s-400-and-turkey.html").read_bytes() == first


def test_sample_content_has_a_thread_of_five_a_lead_and_sections(sample_site: Path) -> None:
    front = _main((sample_site / "index.html").read_text())
    text = _text(front)
    lead = front.split('<article class="lead"', 1)[1].split("</article>", 1)[0]
    assert "Turkey and the US Agree on Terms for an" in lead  # marked lead: true
    assert 'class="lead-summary"' in lead
    assert "Developing: S-400 and Turkey · 5 briefs since 16 Nov" in _text(lead)
    assert len(re.findall(r'<section class="section-block"', front)) >= 3
    assert "Earlier" in text
    thread = (sample_site / "threads/s-400-and-turkey.html").read_text()
    assert thread.count('<li data-brief="') == 5


def test_lead_is_the_most_connected_brief_without_a_mark(make_site: Callable[..., Path]) -> None:
    root = make_site(
        {
            "content/briefs/a.md": brief("Old story", "2026-11-19", slug="old"),
            "content/briefs/b.md": brief("Quiet brief", "2026-11-20T18:00:00Z", slug="quiet"),
            "content/briefs/c.md": brief("Busy brief", "2026-11-20T08:00:00Z", slug="busy"),
            "content/briefs/d.md": brief(
                "Reply", "2026-11-20T07:00:00Z", slug="reply", body="See [[busy]]."
            ),
        }
    )
    build(load_config(root))
    front = _main((root / "site/index.html").read_text())
    assert "Busy brief" in front.split('<article class="lead"', 1)[1].split("</article>")[0]
    marked = (
        (root / "content/briefs/b.md").read_text().replace("slug: quiet", "slug: quiet\nlead: true")
    )
    (root / "content/briefs/b.md").write_text(marked)
    build(load_config(root))
    front = _main((root / "site/index.html").read_text())
    assert "Quiet brief" in front.split('<article class="lead"', 1)[1].split("</article>")[0]


def test_lead_must_be_true_or_false(make_site: Callable[..., Path]) -> None:
    from briefgen.build import build_site

    root = make_site({"content/briefs/a.md": brief("A", "2026-11-20", lead="yes please")})
    result = build_site(load_config(root))
    assert any(d.code == "BG-FM006" and "'lead'" in d.message for d in result.diagnostics)


def test_related_links_keep_strong_ones_and_name_each_shared_thing_once() -> None:
    briefs = [_brief("a", 1), _brief("b", 2), _brief("c", 3)]
    graph, _ = build_graph(briefs, rank=False)
    items = (
        Related(
            id="b",
            score=0.46,
            shared=("S-400", "Ankara", "Turkey", "defence", "s-400", "AI Act", "ai-act"),
        ),
        Related(id="c", score=0.11, shared=("argument", "obligations", "directly")),
        Related(id="missing", score=0.9, shared=()),
    )
    kept = strong_related(items, graph)
    assert [r.id for r in kept] == ["b"]
    assert kept[0].shared == ("S-400", "Ankara", "Turkey")  # at most three, no repeats
    assert strong_related(items, graph, minimum=0.1)[1].id == "c"


def test_sample_brief_page_related_links_are_strong(sample_site: Path) -> None:
    aside = (sample_site / "briefs/turkey-s400-deescalation.html").read_text()
    related = aside.split('id="related-h"', 1)[1].split("</section>", 1)[0]
    assert "MEPs Push Back" not in related  # shared only common words
    assert "shares: argument" not in related
    for shares in re.findall(r"<span>shares ([^<]*)</span>", related):
        names = [n.strip().casefold() for n in shares.split(",")]
        assert len(names) == len(set(names)) <= 3, shares


def test_cards_carry_at_most_three_chips_without_repeats() -> None:
    entities = [
        {"name": n, "path": "", "kind": k}
        for n, k in (
            ("Turkey", "places"),
            ("Hulusi Akar", "people"),
            ("NATO", "organizations"),
            ("S-400", "other"),
            ("Ankara", "places"),
        )
    ]
    tags = [{"name": "s-400", "path": ""}, {"name": "defence", "path": ""}]
    chips = card_chips(entities, tags)
    assert [c["name"] for c in chips] == ["S-400", "NATO", "Hulusi Akar"]
    only_tags = card_chips([{"name": "S-400", "path": "", "kind": "other"}], tags)
    assert [c["name"] for c in only_tags] == ["S-400", "defence"]  # "s-400" named once


def test_plan_threads_empty_digest() -> None:
    graph, _ = build_graph([], rank=False)
    assert plan_threads(graph) == ()
