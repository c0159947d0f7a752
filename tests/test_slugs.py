"""Slugs of tags and entities: never a path the site already uses, never two names on one page."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from conftest import brief
from hypothesis import given, settings
from hypothesis import strategies as st

from briefgen.cli import main
from briefgen.pipeline.link import build_graph
from briefgen.pipeline.load import find_brief_files, load_briefs
from briefgen.slugs import RESERVED_SLUGS, is_safe_slug, name_key, unique_slugs


def _tagged(title: str, date: str, tags: str, orgs: str = "[]") -> str:
    return brief(title, date, tags=tags, entities=f"\n  organizations: {orgs}")


def test_reserved_and_lookalike_names_get_their_own_slugs() -> None:
    names = {name_key(n): n for n in ("index", "C++", "C#", "🔥", "🚀", "climate", "Index!")}
    slugs = unique_slugs(names, fallback="tag")
    assert len(set(slugs.values())) == len(names)
    assert slugs[name_key("index")] == "tag-index"
    assert slugs[name_key("C++")] == "c-plus-plus"
    assert slugs[name_key("C#")] == "c-sharp"
    assert slugs[name_key("🔥")] == "fire" and slugs[name_key("🚀")] == "rocket"
    assert slugs[name_key("climate")] == "climate"  # a name nothing else reads like: unchanged
    assert not set(slugs.values()) & RESERVED_SLUGS
    assert all(is_safe_slug(s) for s in slugs.values())


def test_slugs_do_not_depend_on_the_order_of_names() -> None:
    pairs = [
        (name_key(n), n)
        for n in (
            "AI!",
            "AI?",
            "ai",
            "A.I.",
            "🜁",
            "🜂",
            "tag",
            "#eu",
            "EU",
            "Ünïcode",
            "unicode",
            "index",
            "tag index",
        )
    ]
    expected = unique_slugs(dict(pairs), fallback="tag")
    rng = random.Random(13)
    for _ in range(20):
        rng.shuffle(pairs)
        assert unique_slugs(dict(pairs), fallback="tag") == expected
    assert len(set(expected.values())) == len(expected)
    assert expected[name_key("ai")] == "ai"  # the name the slug spells keeps it
    assert expected[name_key("AI!")].startswith("ai-")


def test_spellings_of_one_name_are_one_tag() -> None:
    assert name_key("AI Act") == name_key("ai-act") == name_key("AI_act") == name_key("#AI act")
    assert name_key("C++") != name_key("C#") != name_key("C")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=25, unique=True))
def test_any_names_get_distinct_safe_unreserved_slugs(names: list[str]) -> None:
    table = {name_key(n): n for n in names}
    slugs = unique_slugs(table, fallback="tag")
    assert len(set(slugs.values())) == len(table)
    assert all(is_safe_slug(s) and s not in RESERVED_SLUGS for s in slugs.values())
    assert unique_slugs(dict(reversed(table.items())), fallback="tag") == slugs


def test_digest_with_clashing_tags_and_entities_builds(make_site: Callable[..., Path]) -> None:
    """Real news carried the tag "index": the build failed with BG-WR001. C++/C# and two
    emoji shared one page and one chip; the organisations C++ and C# both showed as "C++"."""
    tags = '[index, "C++", "C#", "🔥", "🚀", Index]'
    root = make_site(
        {
            f"content/briefs/2026-01-0{i}-s{i}.md": _tagged(
                f"Story {i}", f"2026-01-0{i}", tags, '["C++", "C#"]'
            )
            for i in (1, 2, 3)
        }
    )
    paths, _ = find_brief_files(root / "content/briefs", root)
    briefs, problems = load_briefs(paths, root)
    assert not problems
    graph, _ = build_graph(briefs, rank=False)
    names = {t.slug: t.name for t in graph.tags.values()}
    shown = sorted(n.casefold() for n in names.values())
    assert shown == sorted(["index", "c++", "c#", "🔥", "🚀"])
    assert "index" not in names
    orgs = {e.name for e in graph.entities.values() if e.kind == "organizations"}
    assert orgs == {"C++", "C#"}

    result = CliRunner().invoke(main, ["build", "-C", str(root)])
    assert result.exit_code == 0, result.output
    site = root / "site"
    tag_index = (site / "tags/index.html").read_text(encoding="utf-8")
    for slug, name in names.items():
        assert (site / f"tags/{slug}.html").is_file()
        assert f"tags/{slug}.html" in tag_index or f"{slug}.html" in tag_index, name
    page = (site / "briefs/s1.html").read_text(encoding="utf-8")
    for slug, name in names.items():
        assert f"{slug}.html" in page, name
    for org in ("c-plus-plus", "c-sharp"):
        title = json.loads((site / f"entities/organizations/{org}.json").read_text())["title"]
        assert title.endswith("C++" if org == "c-plus-plus" else "C#")


def test_tags_named_like_site_pages_never_overwrite_one(make_site: Callable[..., Path]) -> None:
    """Every name a build writes a page or folder under: a tag of each name gets a page of
    its own, and the build writes no path twice (the writer fails with BG-WR001 if it does)."""
    taken = [
        "index",
        "feed",
        "search",
        "404",
        "assets",
        "page",
        "sitemap",
        "tags",
        "entities",
        "editions",
        "briefs",
        "pagefind",
        "robots",
    ]
    files = {
        f"content/briefs/2026-01-{i + 1:02d}-s{i}.md": _tagged(
            f"S{i}", f"2026-01-{i + 1:02d}", "[" + ", ".join(group) + "]"
        )
        for i, group in enumerate(taken[n : n + 4] for n in range(0, len(taken), 4))
    }
    root = make_site(files)
    result = CliRunner().invoke(main, ["build", "-C", str(root)])
    assert result.exit_code == 0, result.output
    tags = sorted(p.name for p in (root / "site/tags").glob("*.html"))
    assert len(tags) == len(taken) + 1  # each tag's page, and the list of tags
    assert "tag-index.html" in tags and "index.html" in tags
