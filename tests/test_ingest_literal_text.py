"""Issue 14: markup written as text in an article stays text, and Markdown escapes in a body
never leak into the plain-text summary, key points or entities."""

from __future__ import annotations

from pathlib import Path

from briefgen.ingest import read_input
from briefgen.ingest.writer import enrich
from briefgen.source.markdown import make_markdown, plain_paragraphs, render_body

_PARAGRAPHS = (
    "Researchers found that the comment filter on the city portal let a literal {tag} tag "
    "through to readers, which allowed attackers to run code in their browsers for weeks.",
    "The city said it fixed the filter on Monday after the researchers reported the problem "
    "{ref} to its security team, and no data was taken from the portal.",
    "Officials added that the portal would be audited by an outside firm before the end of "
    "the year, and that residents did not need to change their passwords.",
)


def _html_page() -> str:
    body = "".join(f"<p>{p.format(tag='&lt;script&gt;', ref='[ref]')}</p>\n" for p in _PARAGRAPHS)
    title = "Filter bug lets &lt;script&gt; tags through"
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>\n"
        f"{body}</article></body></html>"
    )


def test_html_entities_for_markup_survive_as_text(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(_html_page(), encoding="utf-8")
    (article,), problems = read_input(page)
    assert not problems
    assert article.title == "Filter bug lets <script> tags through"
    body = "\n\n".join(article.paragraphs)
    assert "let a literal" in body and "tag through to readers" in body
    html = render_body(make_markdown(), body)
    assert "&lt;script&gt; tag through to readers" in html  # shown as text
    assert "<script" not in html  # never a tag


def test_markdown_escapes_do_not_leak_into_summary_or_key_points(tmp_path: Path) -> None:
    for name, text in (
        ("dump.txt", "Filter bug lets <script> tags through\n\n"),
        ("page.html", None),
    ):
        path = tmp_path / name
        if text is None:
            path.write_text(_html_page(), encoding="utf-8")
        else:
            paragraphs = (p.format(tag="<script>", ref="[ref]") for p in _PARAGRAPHS)
            path.write_text(text + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        (article,), _ = read_input(path)
        enriched = enrich(article)
        plain = " ".join((enriched.summary, *enriched.key_points))
        assert "\\" not in plain, name
        assert "<script>" in plain and "[ref]" in plain, name


def test_plain_text_undoes_escapes_and_keeps_link_text() -> None:
    # The one Markdown-to-text path (the markdown-it parse the build uses too).
    assert plain_paragraphs([r"the problem \[ref\] and \<b> in **bold** [a link](http://x)"]) == [
        "the problem [ref] and <b> in bold a link"
    ]
    assert plain_paragraphs(["## Heading", r"A \*starred\* word."]) == ["A *starred* word."]


def test_plain_text_is_linear_on_bracket_floods() -> None:
    import time

    def took(n: int) -> float:
        start = time.perf_counter()
        for flood in ("[" * n, "![" * (n // 2), "[[" * (n // 2), "[a](" * (n // 4)):
            plain_paragraphs([flood + "x"])
        return time.perf_counter() - start

    took(2_000)  # warm up the parser
    small, large = took(10_000), took(40_000)
    assert large < 8 * small + 0.5, (small, large)  # 4x the input; quadratic would be 16x
