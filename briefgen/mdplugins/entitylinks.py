"""Link the first mention of each known entity in a brief body to its page.

A core rule over the inline token stream (like markdown-it's linkify): only plain text
tokens are touched, never text inside links, code or headings, and each entity at most once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token


@dataclass(frozen=True, slots=True, kw_only=True)
class EntityLink:
    """One name to look for (an alias or canonical name) and where it links."""

    key: str  # the entity's identity: several names may share it
    name: str
    url: str


def entitylinks_plugin(md: MarkdownIt) -> None:
    """Register the auto-link core rule (reads ``env["entity_links"]``)."""
    md.core.ruler.push("entity_links", _link_entities)


def _pattern(links: tuple[EntityLink, ...]) -> re.Pattern[str]:
    names = sorted({link.name for link in links}, key=lambda n: (-len(n), n))
    alternatives = "|".join(re.escape(name) for name in names)
    # \w boundaries on both sides, so "Turkey" never matches inside "Turkeys" or "XTurkey".
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _link_entities(state: StateCore) -> None:
    env = state.env
    links: tuple[EntityLink, ...] = tuple(env.get("entity_links", ())) if isinstance(env, dict) else ()
    if not links:
        return
    by_name = {link.name: link for link in links}
    pattern = _pattern(links)
    done: set[str] = set()
    in_heading = False
    for block in state.tokens:
        if block.type == "heading_open":
            in_heading = True
        elif block.type == "heading_close":
            in_heading = False
        elif block.type == "inline" and not in_heading and block.children:
            block.children = _link_children(block.children, pattern, by_name, done, state)


def _link_children(
    children: list[Token],
    pattern: re.Pattern[str],
    by_name: dict[str, EntityLink],
    done: set[str],
    state: StateCore,
) -> list[Token]:
    out: list[Token] = []
    link_depth = 0
    for token in children:
        if token.type == "link_open":
            link_depth += 1
        elif token.type == "link_close":
            link_depth -= 1
        if token.type != "text" or link_depth > 0 or not token.content:
            out.append(token)
            continue
        out.extend(_split_text(token, pattern, by_name, done, state))
    return out


def _split_text(
    token: Token,
    pattern: re.Pattern[str],
    by_name: dict[str, EntityLink],
    done: set[str],
    state: StateCore,
) -> list[Token]:
    text = token.content
    pieces: list[Token] = []
    last = 0
    for match in pattern.finditer(text):
        link = by_name[match.group(0)]
        if link.key in done:
            continue
        done.add(link.key)
        if match.start() > last:
            pieces.append(_text(text[last : match.start()], token.level, state))
        opener = Token("link_open", "a", 1)
        opener.attrs = {"href": link.url, "class": "entity-link"}
        opener.level = token.level
        opener.markup = "entity"
        pieces.append(opener)
        pieces.append(_text(match.group(0), token.level + 1, state))
        closer = Token("link_close", "a", -1)
        closer.level = token.level
        closer.markup = "entity"
        pieces.append(closer)
        last = match.end()
    if not pieces:
        return [token]
    if last < len(text):
        pieces.append(_text(text[last:], token.level, state))
    return pieces


def _text(content: str, level: int, state: StateCore) -> Token:
    token = Token("text", "", 0)
    token.content = content
    token.level = level
    return token
