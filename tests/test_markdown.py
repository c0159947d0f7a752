"""Markdown plugins: wikilinks, entity auto-links, .md link rewriting, sanitising."""

from __future__ import annotations

from briefgen.source.markdown import make_markdown, render_body
from briefgen.source.mdplugins.entitylinks import EntityLink

MD = make_markdown()
TURKEY = EntityLink(key="places/turkey", name="Turkey", url="../entities/places/turkey.html")
TURKIYE = EntityLink(key="places/turkey", name="Türkiye", url="../entities/places/turkey.html")
NATO = EntityLink(key="organizations/nato", name="NATO", url="../entities/organizations/nato.html")


def render(text: str, **kwargs: object) -> str:
    return render_body(MD, text, **kwargs)  # type: ignore[arg-type]


def test_first_mention_only_and_once_per_entity() -> None:
    html = render("Türkiye and NATO met. Turkey said NATO was ready.",
                  entity_links=(TURKEY, TURKIYE, NATO))
    assert html.count('class="entity-link"') == 2
    assert '<a href="../entities/places/turkey.html" class="entity-link">Türkiye</a>' in html
    assert html.count("NATO</a>") == 1


def test_not_in_headings_links_code_or_inside_words() -> None:
    html = render("# Turkey today\n\n[Turkey](https://example.org) `Turkey` Turkeys XTurkey "
                  "and then Turkey.", entity_links=(TURKEY,))
    assert "<h1>Turkey today</h1>" in html
    assert '<a href="https://example.org">Turkey</a>' in html
    assert "<code>Turkey</code>" in html
    assert "Turkeys XTurkey and then " in html
    assert html.count('class="entity-link"') == 1
    assert html.rstrip().endswith('<a href="../entities/places/turkey.html" '
                                  'class="entity-link">Turkey</a>.</p>')


def test_wikilinks_resolved_and_missing() -> None:
    html = render("See [[a-b]], [[a-b|the label]] and [[gone]].",
                  wikilinks={"a-b": ("a-b.html", "Title <AB>")})
    assert '<a class="wikilink" href="a-b.html">Title &lt;AB&gt;</a>' in html
    assert '<a class="wikilink" href="a-b.html">the label</a>' in html
    assert '<span class="wikilink-missing">gone</span>' in html


def test_wikilink_inside_code_is_text() -> None:
    html = render("`[[a-b]]`\n\n```\n[[a-b]]\n```\n", wikilinks={"a-b": ("a-b.html", "T")})
    assert "wikilink" not in html and html.count("[[a-b]]") == 2


def test_md_links_rewritten() -> None:
    html = render("[earlier](2026-01-01-earlier.md#part) [site](https://x.org/a.md)",
                  resolve_md=lambda p: "earlier.html" if p == "2026-01-01-earlier.md" else None)
    assert 'href="earlier.html#part"' in html and 'href="https://x.org/a.md"' in html


def test_raw_html_and_unsafe_urls_are_removed() -> None:
    html = render('<script>alert(1)</script><img src=x onerror="alert(1)">'
                  '[x](javascript:alert(1)) <a href="data:text/html,hi">d</a> <b>ok</b>\n\n'
                  '<iframe src="https://evil.example"></iframe><style>body{}</style>')
    for bad in ("<script", "onerror", 'href="javascript:', "data:text", "<iframe", "<style"):
        assert bad not in html
    assert "<b>ok</b>" in html


def test_code_blocks_are_kept_out_of_the_search_index() -> None:
    html = render_body(make_markdown(), "Prose.\n\n    indented code\n\n```\nfenced\n```\n")
    assert html.count("<pre data-pagefind-ignore>") == 2 and "<p>Prose.</p>" in html


# --- the one parse: a body prepared at load and finished with the link tables -------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from briefgen.source.markdown import body_facts, finish_body  # noqa: E402

AMP = EntityLink(key="organizations/at-t", name="AT&T", url="../entities/organizations/at-t.html")
WIKI = {"other-brief": ("other-brief.html", "The <other> brief")}


def _resolve(href: str) -> str | None:
    return "../briefs/found.html" if href.endswith("found.md") else None


def both_ways(text: str, **tables: object) -> tuple[str, str]:
    """(HTML rendered whole, HTML prepared at load and finished) for one body."""
    whole = render_body(MD, text, **tables)  # type: ignore[arg-type]
    prepared = body_facts(text, md=MD, prepare=True).prepared
    assert prepared is not None
    return whole, finish_body(MD, prepared, **tables)  # type: ignore[arg-type]


TABLES = {"entity_links": (TURKEY, TURKIYE, NATO, AMP), "wikilinks": WIKI,
          "resolve_md": _resolve}

TRICKY = [
    "Türkiye and NATO met. Turkey said NATO was ready.",
    "# Turkey in a heading\n\nTurkey in prose, [Turkey](https://e.org) in a link, `Turkey`.",
    "AT&T and *NATO* and **Turkey** and <b>Turkey</b> inline HTML.",
    "See [[other-brief]], [[other-brief|its label]] and [[missing one]] then NATO.",
    "A [found](notes/found.md#part) link, a [lost](lost.md) one, [web](https://x.org/a.md).",
    "| NATO | Turkey |\n|---|---|\n| AT&T | x |\n\n> Turkey quoted\n\n- NATO listed",
    "```\nNATO in code\n```\n\n    Turkey indented code\n\nThen NATO.",
    "Escaped \\[[not-a-link]] and \\*Turkey\\* & <script>alert(1)</script> NATO.",
    "Line one  \nTurkey after a hard break\nNATO after a soft one.",
]


def test_prepared_bodies_finish_as_whole_renders() -> None:
    for text in TRICKY:
        for tables in (TABLES, {}):
            whole, finished = both_ways(text, **tables)
            assert finished == whole, text


def test_a_body_holding_slot_characters_is_not_prepared() -> None:
    text = "Forged \ue000" + "0\ue003 slot and NATO."
    assert body_facts(text, md=MD, prepare=True).prepared is None
    assert "\ue000" in render_body(MD, text)  # rendered whole, as written


_WORDS = st.sampled_from(["Turkey", "Türkiye", "NATO", "AT&T", "said", "the", "*", "**", "`",
                          "[[other-brief]]", "[[nope|x]]", "[a](found.md)", "[b](x.md#y)",
                          "<i>", "</i>", "&amp;", "#", "-", ">", "\n", "\n\n", "|", "_", "\\"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_WORDS, max_size=40).map(" ".join))
def test_any_body_finishes_as_its_whole_render(text: str) -> None:
    whole, finished = both_ways(text, **TABLES)
    assert finished == whole
