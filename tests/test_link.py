"""Link stage: wikilinks, updates chains, backlinks, entities, tags, related order."""

from __future__ import annotations

import datetime as dt

from briefgen.model import Brief, Entities, EntityDef, Quote
from briefgen.pipeline.link import build_graph, newest_first
from briefgen.source.markdown import body_facts


def make(slug: str, day: int, *, body: str = "", updates: str = "", title: str = "",
         people: tuple[str, ...] = (), places: tuple[str, ...] = (), tags: tuple[str, ...] = (),
         quotes: tuple[Quote, ...] = ()) -> Brief:
    return Brief(path=f"content/briefs/{slug}.md", slug=slug, title=title or slug.title(),
                 date=dt.date(2026, 11, day), body=body, body_line=6, updates=updates,
                 key_lines={"updates": 4}, tags=tags, quotes=quotes,
                 entities=Entities(people=people, places=places),
                 wikilinks=body_facts(body, 6).wikilinks)


def test_wikilinks_backlinks_and_titles() -> None:
    briefs = [make("a", 1, title="Alpha Story"), make("b", 2, body="See [[a]] and [[Alpha Story]]."),
              make("c", 3, body="Also [[a|the first]].\n\n`[[zzz]]`")]
    graph, problems = build_graph(briefs)
    assert problems == []
    assert graph.wikilinks["b"] == {"a": "a", "Alpha Story": "a"}
    assert graph.backlinks["a"] == ("c", "b")
    assert graph.order == ("c", "b", "a")


def test_missing_and_ambiguous_targets_have_positions_and_suggestions() -> None:
    briefs = [make("turkey-talks", 1, title="Same"), make("other", 1, title="Same"),
              make("x", 2, body="Intro line.\nThen [[turkey-talk]] and [[Same]].")]
    _, problems = build_graph(briefs)
    got = {(p.code, p.pos.line, p.pos.col) for p in problems}
    assert got == {("BG-LK001", 7, 6), ("BG-LK002", 7, 26)}
    missing = next(p for p in problems if p.code == "BG-LK001")
    assert "turkey-talks" in missing.hint
    ambiguous = next(p for p in problems if p.code == "BG-LK002")
    assert "other" in ambiguous.hint and "turkey-talks" in ambiguous.hint


def test_update_chains() -> None:
    briefs = [make("one", 1), make("two", 2, updates="one"), make("three", 3, updates="two"),
              make("bad", 4, updates="nope")]
    graph, problems = build_graph(briefs)
    assert graph.follow_ups["one"] == ("two",)
    assert graph.follow_ups["two"] == ("three",)
    assert [(p.code, p.pos.line) for p in problems] == [("BG-LK003", 4)]


def test_entity_aliases_possessives_and_surnames() -> None:
    defs = [EntityDef(name="United States", kind="places", aliases=("US", "U.S."))]
    briefs = [
        make("a", 1, people=("Hulusi Akar", "Akar"), places=("US", "Turkey’s")),
        make("b", 2, people=("Hulusi Akar",), places=("U.S.", "Turkey"),
             quotes=(Quote(speaker="Akar", text="We are ready."),)),
    ]
    graph, _ = build_graph(briefs, defs)
    keys = set(graph.entities)
    assert keys == {"people/hulusi-akar", "places/united-states", "places/turkey"}
    assert graph.entities["places/united-states"].briefs == ("b", "a")
    assert graph.entities["places/turkey"].name == "Turkey"
    akar = graph.entities["people/hulusi-akar"]
    assert [q.text for _, q in akar.quotes] == ["We are ready."]
    assert ("places/turkey", 2) in akar.co_mentions


def test_tags_grouped_by_slug() -> None:
    graph, _ = build_graph([make("a", 1, tags=("S-400",)), make("b", 2, tags=("s-400", "x"))])
    assert graph.tags["s-400"].briefs == ("b", "a")


def test_related_prefers_shared_entities_and_is_deterministic() -> None:
    briefs = [
        make("s400-a", 1, places=("Turkey",), tags=("defence",),
             body="Turkey air defence S-400 batteries Ankara NATO missiles radar."),
        make("s400-b", 2, places=("Turkey",), tags=("defence",),
             body="Ankara S-400 missiles NATO radar integration Turkey batteries."),
        make("football", 2, tags=("sport",), body="The match ended with a late goal."),
    ]
    graph, _ = build_graph(briefs)
    assert [r.id for r in graph.related["s400-a"]][0] == "s400-b"
    again, _ = build_graph(list(reversed(briefs)))
    assert again.related == graph.related


def test_newest_first_ties_by_slug() -> None:
    order = [b.slug for b in newest_first([make("b", 1), make("a", 1), make("c", 2)])]
    assert order == ["c", "a", "b"]


def _parsed(slug: str, text: str) -> Brief:
    from briefgen.pipeline.load import SourceFile, parse_brief

    brief, problems = parse_brief(SourceFile(path=f"content/briefs/{slug}.md",
                                             data=text.encode()))
    assert brief is not None, problems
    return brief


def test_wikilink_in_indented_code_is_not_a_link() -> None:
    """The regex finder failed this build with BG-LK001; the page shows the link as code."""
    brief = _parsed("a", "---\ntitle: A\ndate: 2026-11-01\n---\n\nProse first.\n\n"
                         "    [[nowhere]] is code here\n\n~~~\n[[fenced]]\n~~~\n")
    _graph, problems = build_graph([brief])
    assert problems == [] and brief.wikilinks == ()


def test_wikilink_errors_point_at_the_link() -> None:
    brief = _parsed("a", "---\ntitle: A\ndate: 2026-11-01\n---\n\n```\n[[x]]\n```\n\n"
                         "- one\n- two and [[missing|label]]\n")
    _, problems = build_graph([brief])
    assert [(p.code, p.pos.line, p.pos.col) for p in problems] == [("BG-LK001", 11, 11)]
