"""Link the first mention of each known entity in a brief body to its page.

A core rule over the inline token stream (like markdown-it's linkify): only plain text
tokens are touched, never text inside links, code or headings, and each entity at most once.
"""

from __future__ import annotations

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


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _find_first(
    text: str, names: list[EntityLink], done: set[str]
) -> tuple[int, EntityLink] | None:
    """The earliest whole-word mention of a not-yet-linked entity (longest name on a tie).

    Plain ``str.find`` per name instead of one compiled alternation: each brief has its own
    few names, and compiling a regex per brief cost more than the whole search.
    """
    best: tuple[int, EntityLink] | None = None
    for link in names:
        if link.key in done:
            continue
        start = text.find(link.name)
        while start >= 0:
            end = start + len(link.name)
            before = text[start - 1] if start else " "
            after = text[end] if end < len(text) else " "
            if not _is_word_char(before) and not _is_word_char(after):
                break
            start = text.find(link.name, start + 1)
        if start >= 0 and (best is None or start < best[0] or
                           (start == best[0] and len(link.name) > len(best[1].name))):
            best = (start, link)
    return best


def _link_entities(state: StateCore) -> None:
    env = state.env
    links: tuple[EntityLink, ...] = (
        tuple(env.get("entity_links", ())) if isinstance(env, dict) else ()
    )
    if not links:
        return
    names = sorted(links, key=lambda link: (-len(link.name), link.name))
    done: set[str] = set()
    in_heading = False
    for block in state.tokens:
        if block.type == "heading_open":
            in_heading = True
        elif block.type == "heading_close":
            in_heading = False
        elif block.type == "inline" and not in_heading and block.children:
            block.children = _link_children(block.children, names, done)


def _link_children(children: list[Token], names: list[EntityLink], done: set[str]) -> list[Token]:
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
        out.extend(_split_text(token, names, done))
    return out


def _split_text(token: Token, names: list[EntityLink], done: set[str]) -> list[Token]:
    text = token.content
    pieces: list[Token] = []
    last = 0
    while True:
        found = _find_first(text[last:], names, done)
        if found is None:
            break
        offset, link = found
        start = last + offset
        done.add(link.key)
        if start > last:
            pieces.append(_text(text[last:start], token.level))
        opener = Token("link_open", "a", 1)
        opener.attrs = {"href": link.url, "class": "entity-link"}
        opener.level = token.level
        opener.markup = "entity"
        pieces.append(opener)
        pieces.append(_text(link.name, token.level + 1))
        closer = Token("link_close", "a", -1)
        closer.level = token.level
        closer.markup = "entity"
        pieces.append(closer)
        last = start + len(link.name)
    if not pieces:
        return [token]
    if last < len(text):
        pieces.append(_text(text[last:], token.level))
    return pieces


def link_text(content: str, names: list[EntityLink], done: set[str]) -> list[Token]:
    """One run of plain text as tokens, its not-yet-linked entities linked (``names`` sorted
    longest first, as the rule sorts them; ``done`` is updated): the rule's own step, for
    bodies rendered ahead of the link tables (``source.markdown.finish_body``)."""
    return _split_text(_text(content, 0), names, done)


def _text(content: str, level: int) -> Token:
    token = Token("text", "", 0)
    token.content = content
    token.level = level
    return token
