"""Story threads, the front page as a briefing, related links that earn their place, cards."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from conftest import brief

from briefgen.build import build
from briefgen.config import load_config
from briefgen.link import build_graph
from briefgen.model import Brief, Related
from briefgen.threads import STRONG, group_threads, plan_threads
from briefgen.views import card_chips, strong_related


def _brief(slug: str, day: int, **fields: object) -> Brief:
    return Brief(path=f"content/briefs/{slug}.md", slug=slug, title=slug.title(),
                 date=dt.date(2026, 11, day), **fields)  # type: ignore[arg-type]


def _main(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_updates_and_strong_links_join_weak_and_distant_ones_do_not() -> None:
    briefs = {b.slug: b for b in (
        _brief("a", 1), _brief("b", 2), _brief("c", 4), _brief("d", 5), _brief("far", 28),
        _brief("x", 3), _brief("y", 3))}
    follow_ups = {"a": ("b",)}
    related = {
        "b": (Related(id="c", score=STRONG, shared=()),),
        "c": (Related(id="d", score=STRONG - 0.01, shared=()),),  # just too weak
        "d": (Related(id="far", score=0.9, shared=()),),  # strong, but 23 days apart
        "x": (Related(id="y", score=0.8, shared=()), Related(id="gone", score=0.9, shared=())),
    }
    groups = group_threads(briefs, follow_ups, related)
    assert groups == [["a", "b", "c"], ["x", "y"]]  # newest story first, oldest brief first
    # Order-free: the same links given in another order make the same threads.
    shuffled = dict(reversed(list(related.items())))
    assert group_threads(briefs, follow_ups, shuffled) == groups
    assert group_threads(briefs, {}, {}) == []


def test_thread_title_slug_and_joins_are_deterministic(make_site: Callable[..., Path]) -> None:
    ents = "{places: [Ankara, Turkey], other: [S-400]}"
    root = make_site({
        "content/briefs/a.md": brief("Ankara weighs S-400 limits", "2026-11-16", slug="a",
                                     entities=ents),
        "content/briefs/b.md": brief("Washington answers", "2026-11-17", slug="b",
                                     updates="a", entities=ents),
        "content/briefs/c.md": brief("Talks set", "2026-11-20", slug="c", updates="b",
                                     entities="{places: [Turkey], other: [S-400]}"),
        "content/briefs/d.md": brief("Rain in Kenya", "2026-11-20", slug="d",
                                     body="Farmers in Kenya wait for the short rains."),
    })
    config = load_config(root)
    build(config)
    site = root / "site"
    page = _main((site / "threads/s-400-and-turkey.html").read_text())
    assert "<h1" in page and "Developing story" in page
    text = _text(page)
    assert "3 briefs from 16 November 2026 to 20 November 2026" in text
    timeline = text.split("Timeline, oldest first", 1)[1]
    assert (timeline.index("Ankara weighs") < timeline.index("Washington answers")
            < timeline.index("Talks set"))
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
    root = make_site({
        "content/briefs/a.md": brief("Old story", "2026-11-19", slug="old"),
        "content/briefs/b.md": brief("Quiet brief", "2026-11-20T18:00:00Z", slug="quiet"),
        "content/briefs/c.md": brief("Busy brief", "2026-11-20T08:00:00Z", slug="busy"),
        "content/briefs/d.md": brief("Reply", "2026-11-20T07:00:00Z", slug="reply",
                                     body="See [[busy]]."),
    })
    build(load_config(root))
    front = _main((root / "site/index.html").read_text())
    assert "Busy brief" in front.split('<article class="lead"', 1)[1].split("</article>")[0]
    marked = (root / "content/briefs/b.md").read_text().replace("slug: quiet",
                                                                "slug: quiet\nlead: true")
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
    items = (Related(id="b", score=0.46, shared=("S-400", "Ankara", "Turkey", "defence", "s-400",
                                                  "AI Act", "ai-act")),
             Related(id="c", score=0.11, shared=("argument", "obligations", "directly")),
             Related(id="missing", score=0.9, shared=()))
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
    entities = [{"name": n, "path": "", "kind": k} for n, k in (
        ("Turkey", "places"), ("Hulusi Akar", "people"), ("NATO", "organizations"),
        ("S-400", "other"), ("Ankara", "places"))]
    tags = [{"name": "s-400", "path": ""}, {"name": "defence", "path": ""}]
    chips = card_chips(entities, tags)
    assert [c["name"] for c in chips] == ["S-400", "NATO", "Hulusi Akar"]
    only_tags = card_chips([{"name": "S-400", "path": "", "kind": "other"}], tags)
    assert [c["name"] for c in only_tags] == ["S-400", "defence"]  # "s-400" named once


def test_plan_threads_empty_digest() -> None:
    graph, _ = build_graph([], rank=False)
    assert plan_threads(graph) == ()
