"""Rewrite plain Markdown links to another brief's ``.md`` file into links to its page."""

from __future__ import annotations

from collections.abc import Callable

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore


def mdlinks_plugin(md: MarkdownIt) -> None:
    """Register the rewrite rule (reads ``env["resolve_md"]``: href -> page URL or None)."""
    md.core.ruler.push("brief_md_links", _rewrite)


def _rewrite(state: StateCore) -> None:
    env = state.env
    resolve: Callable[[str], str | None] | None = (
        env.get("resolve_md") if isinstance(env, dict) else None
    )
    if resolve is None:
        return
    for block in state.tokens:
        for token in block.children or ():
            if token.type != "link_open":
                continue
            href = str(token.attrs.get("href", ""))
            path, _, fragment = href.partition("#")
            if not path.endswith(".md") or ":" in path:
                continue
            url = resolve(path)
            if url is not None:
                token.attrs["href"] = url + ("#" + fragment if fragment else "")
