"""The Markdown renderer: markdown-it-py with briefgen's plugins, output sanitised by nh3."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import nh3
from markdown_it import MarkdownIt

from briefgen.mdplugins.entitylinks import EntityLink, entitylinks_plugin
from briefgen.mdplugins.mdlinks import mdlinks_plugin
from briefgen.mdplugins.wikilinks import wikilinks_plugin

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
    raw = md.render(body, env)
    return sanitize(raw)


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
