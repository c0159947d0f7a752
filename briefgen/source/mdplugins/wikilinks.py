"""``[[slug]]`` and ``[[slug|label]]`` as an inline rule, rendered from a table in env."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

MAX_TARGET = 300


def wikilinks_plugin(md: MarkdownIt) -> None:
    """Register the ``wikilink`` inline rule and its renderer."""
    md.inline.ruler.before("link", "wikilink", _parse)
    md.add_render_rule("wikilink", _render)


def _parse(state: StateInline, silent: bool) -> bool:
    src = state.src
    start = state.pos
    if not src.startswith("[[", start):
        return False
    end = src.find("]]", start + 2, start + 2 + MAX_TARGET)
    if end < 0:
        return False
    inner = src[start + 2 : end]
    if not inner.strip() or "\n" in inner or "[" in inner:
        return False
    if not silent:
        target, _, label = inner.partition("|")
        token = state.push("wikilink", "", 0)
        token.meta = {"target": target.strip(), "label": label.strip()}
        token.content = inner
    state.pos = end + 2
    return True


def _render(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    meta = tokens[idx].meta
    table: dict[str, tuple[str, str]] = env.get("wikilinks", {}) if isinstance(env, dict) else {}
    found: Any = table.get(meta["target"])
    if found is None:
        label = html.escape(meta["label"] or meta["target"])
        return f'<span class="wikilink-missing">{label}</span>'
    url, title = found
    label = meta["label"] or title
    return f'<a class="wikilink" href="{html.escape(url)}">{html.escape(label)}</a>'
