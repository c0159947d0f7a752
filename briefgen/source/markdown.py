"""The Markdown renderer: markdown-it-py with briefgen's plugins, output sanitised by nh3."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token

from briefgen.model import PreparedBody
from briefgen.source.mdplugins.entitylinks import EntityLink, entitylinks_plugin, link_text
from briefgen.source.mdplugins.mdlinks import mdlinks_plugin
from briefgen.source.mdplugins.wikilinks import wikilinks_plugin

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "dd", "dl", "dt", "em", "figcaption",
    "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},
    "span": {"class"},
    "th": {"align", "style"},
    "td": {"align", "style"},
    "ol": {"start"},
}


def make_markdown() -> MarkdownIt:
    """A configured parser: CommonMark + tables + strikethrough + briefgen plugins."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    # Briefs already carry the title as <h1>; body headings start one level down.
    wikilinks_plugin(md)
    mdlinks_plugin(md)
    entitylinks_plugin(md)
    return md


_LIST_ITEM = "list_item_open"
_md: list[MarkdownIt] = []  # one parser per process, made on first use


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyFacts:
    """What a brief body says, read from its markdown-it token stream (never from code)."""

    wikilinks: tuple[tuple[str, int, int], ...]  # (target, file line, col) in reading order
    paragraphs: tuple[str, ...]  # plain text of the first top-level prose paragraphs
    words: int  # words of prose, headings and list items; code and raw HTML not counted
    prepared: PreparedBody | None = None  # the rendered body awaiting link tables (``prepare``)


def shared_markdown() -> MarkdownIt:
    """This process's parser (making one costs more than parsing a brief)."""
    if not _md:
        _md.append(make_markdown())
    return _md[0]


def body_facts(body: str, body_line: int = 1, md: MarkdownIt | None = None, *,
               prose_words: int = 0, prepare: bool = False) -> BodyFacts:
    """Parse ``body`` and read its wikilinks (with file positions), prose and word count.

    ``body_line`` is the file line of the body's first line. The parser and plugins are the
    ones that render the HTML, so a ``[[link]]`` in code is text here as it is on the page.
    The block level is parsed whole (code and raw HTML blocks are told apart there); the
    inline level, most of the cost, only where it is read: blocks holding ``[[``, and the
    first prose paragraphs up to ``prose_words`` words (0: none) for an automatic summary.
    Words are counted in the source of the prose blocks (``[a](url)`` counts as one word,
    as on the page).

    With ``prepare``, the whole body is parsed (inline level too) and rendered once, with
    placeholders for the link stage (see ``prepare_body``): the build's one parse of it.
    """
    md = md or shared_markdown()
    env: dict[str, Any] = {}
    tokens: list[Token] = []
    whole = prepare and not _RESERVED.search(body)
    if whole:
        tokens = md.parse(body, env)
    else:
        md.block.parse(body, md, env, tokens)
    lines = body.split("\n")
    links: list[tuple[str, int, int]] = []
    paragraphs: list[str] = []
    words = prose = 0
    in_list = 0
    in_paragraph = False
    for token in tokens:
        if token.type == _LIST_ITEM:
            in_list += 1
        elif token.type == "list_item_close":
            in_list -= 1
        elif token.type == "paragraph_open":
            in_paragraph = True
        elif token.type == "paragraph_close":
            in_paragraph = False
        if token.type != "inline":  # code and HTML blocks have no inline content: skipped
            continue
        words += len(token.content.split())
        wanted = prose < prose_words and in_paragraph and not in_list
        if not wanted and "[[" not in token.content:
            continue
        if not whole:
            token.children = []
            md.inline.parse(token.content, md, env, token.children)
        if wanted:
            text = " ".join(_plain(token.children or ()).split())
            if text:
                paragraphs.append(text)
                prose += len(text.split())
        if "[[" in token.content:
            links.extend(_positions(token, lines, body_line))
    return BodyFacts(wikilinks=tuple(links), paragraphs=tuple(paragraphs), words=words,
                     prepared=_prepare(md, tokens, env) if whole else None)


# The prepared HTML marks what the link stage fills in with private-use characters: a slot
# opens with one of the three kinds and closes with _END. A body holding any of them is not
# prepared (it is rendered whole at the link stage instead), so no slot can be forged.
_TEXT, _WIKI, _MDREF, _END = "\ue000", "\ue001", "\ue002", "\ue003"
_RESERVED = re.compile("[\ue000-\ue003]")
_SLOT = re.compile("([\ue000-\ue002])([0-9]+)\ue003")


def _prepare(md: MarkdownIt, tokens: list[Token], env: dict[str, Any]) -> PreparedBody:
    """Render parsed tokens with a slot wherever the output depends on the digest.

    These are exactly the places the link-time rules touch: the plain text runs that
    ``entitylinks`` may link (inline text outside links and headings), the wikilinks, and the
    links to ``.md`` files that ``mdlinks`` points at pages. The rules themselves already ran
    in ``md.parse`` and did nothing, as the environment carried no tables.
    """
    texts: list[str] = []
    wikis: list[tuple[str, str]] = []
    hrefs: list[str] = []
    heading = False
    for block in tokens:
        if block.type == "heading_open":
            heading = True
        elif block.type == "heading_close":
            heading = False
        if block.type != "inline" or not block.children:
            continue
        depth = 0
        for child in block.children:
            if child.type == "link_open":
                depth += 1
                href = str(child.attrs.get("href", ""))
                path = href.partition("#")[0]
                if path.endswith(".md") and ":" not in path:
                    child.attrs["href"] = f"{_MDREF}{len(hrefs)}{_END}"
                    hrefs.append(href)
            elif child.type == "link_close":
                depth -= 1
            elif child.type == "wikilink":
                wikis.append((child.meta["target"], child.meta["label"]))
                child.type = "text"  # rendered as the slot's characters, which need no escape
                child.content = f"{_WIKI}{len(wikis) - 1}{_END}"
            elif child.type == "text" and depth == 0 and child.content and not heading:
                texts.append(child.content)
                child.content = f"{_TEXT}{len(texts) - 1}{_END}"
    html = md.renderer.render(tokens, md.options, env)
    return PreparedBody(html=html, texts=tuple(texts), wikilinks=tuple(wikis),
                        md_hrefs=tuple(hrefs))


def finish_body(
    md: MarkdownIt,
    prepared: PreparedBody,
    *,
    wikilinks: dict[str, tuple[str, str]] | None = None,
    entity_links: tuple[EntityLink, ...] = (),
    resolve_md: Callable[[str], str | None] | None = None,
) -> str:
    """A prepared body with its slots filled from the link tables: the same HTML as
    ``render_body`` on the body, without parsing it again. Slots are filled in reading
    order, so each entity is linked at its first mention, as the rule does."""
    env: dict[str, Any] = {"wikilinks": wikilinks or {}}
    renderer = cast(RendererHTML, md.renderer)
    names = sorted(entity_links, key=lambda link: (-len(link.name), link.name))
    done: set[str] = set()

    def fill(match: re.Match[str]) -> str:
        kind, index = match.group(1), int(match.group(2))
        if kind == _TEXT:
            return renderer.renderInline(link_text(prepared.texts[index], names, done),
                                            md.options, env)
        if kind == _WIKI:
            token = Token("wikilink", "", 0)
            target, label = prepared.wikilinks[index]
            token.meta = {"target": target, "label": label}
            return renderer.renderInline([token], md.options, env)
        href = prepared.md_hrefs[index]
        path, _, fragment = href.partition("#")
        url = resolve_md(path) if resolve_md is not None else None
        return escapeHtml(href if url is None else url + ("#" + fragment if fragment else ""))

    return _finish(_SLOT.sub(fill, prepared.html))


def plain_paragraphs(blocks: Sequence[str], md: MarkdownIt | None = None) -> list[str]:
    """Markdown blocks (as ingest writes them) as the plain text a reader sees, one string per
    paragraph, list item, quote or table cell; headings (labels, not sentences) and code left
    out. The same parser and ``_plain`` as ``body_facts``, so ingest's summaries, entities and
    the build's automatic summary read one text."""
    # Ingest reads one article three times (summary, entities, tags): parsed once.
    return list(_plain_text("\n\n".join(blocks), md))


@functools.lru_cache(maxsize=8)
def _plain_text(markdown: str, md: MarkdownIt | None = None) -> tuple[str, ...]:
    """``plain_paragraphs`` of one Markdown text (markdown-it is linear but slow on floods of
    brackets, about 35 µs a character, so one article is parsed once, not once per reader)."""
    md = md or shared_markdown()
    out: list[str] = []
    heading = False
    for token in md.parse(markdown, {}):
        if token.type == "heading_open":
            heading = True
        elif token.type == "heading_close":
            heading = False
        elif token.type == "inline" and not heading:
            text = " ".join(_plain(token.children or ()).split())
            if text:
                out.append(text)
    return tuple(out)


def _plain(children: Sequence[Token]) -> str:
    """The reader-visible text of an inline token: link labels yes, images and HTML no."""
    parts: list[str] = []
    for child in children:
        # "text_special" is a backslash escape ("\\[" reads "["); md.inline.parse leaves it
        # unjoined, so without it escaped characters vanished from summaries.
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "wikilink":
            parts.append(child.meta["label"] or child.meta["target"])
        elif child.type == "image":
            parts.append(" ")
    return "".join(parts)


def _positions(token: Token, lines: list[str], body_line: int) -> list[tuple[str, int, int]]:
    """File positions of the wikilinks in one inline token, found in its block's own lines.

    Inline tokens carry only their block's line span, so each link's written form is looked
    for in those lines, left to right from the previous one.
    """
    first, last = token.map if token.map else (0, len(lines))
    found: list[tuple[str, int, int]] = []
    line, col = first, 0
    for child in token.children or ():
        if child.type != "wikilink":
            continue
        written = f"[[{child.content}]]"
        at = line, -1
        for number in range(line, min(last, len(lines))):
            start = lines[number].find(written, col if number == line else 0)
            if start >= 0:
                at = number, start
                break
        if at[1] < 0:  # not found as written (an escape in between): the block's first line
            at = first, 0
        else:
            line, col = at[0], at[1] + len(written)
        found.append((child.meta["target"], body_line + at[0], at[1] + 1))
    return found


def render_body(
    md: MarkdownIt,
    body: str,
    *,
    wikilinks: dict[str, tuple[str, str]] | None = None,
    entity_links: tuple[EntityLink, ...] = (),
    resolve_md: Callable[[str], str | None] | None = None,
) -> str:
    """Render a brief body to safe HTML: raw HTML and unsafe URLs are removed by nh3."""
    env: dict[str, Any] = {
        "wikilinks": wikilinks or {},
        "entity_links": entity_links,
        "resolve_md": resolve_md,
    }
    return _finish(md.render(body, env))


def _finish(raw: str) -> str:
    """Rendered HTML made safe. Code blocks are shown but not searched: Pagefind skips
    elements marked this way (the attribute is added after sanitising, which allows no
    attributes on <pre>)."""
    return sanitize(raw).replace("<pre>", "<pre data-pagefind-ignore>")


def sanitize(html: str) -> str:
    """Keep only harmless tags, attributes and http(s)/mailto/relative URLs."""
    return nh3.clean(
        html,
        tags=_TAGS | {"h1"},
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
        # Table cells keep style only for markdown-it's alignment; anything else could load
        # a URL from CSS (background-image: url(...)).
        filter_style_properties={"text-align"},
    )
