"""The one front matter reader: split the ``---`` block from the body and read its YAML.

Load, ingest, ``new`` and serve all read front matter through :func:`read`, so the same
size, depth, alias and duplicate-key rules apply everywhere and every error has a position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from briefgen.source.yamlpos import MAX_DEPTH, read_yaml

MAX_FRONT_CHARS = 1024 * 1024  # front matter is a few keys; a bigger block is refused unread


@dataclass(frozen=True, slots=True, kw_only=True)
class Split:
    """The two parts of a brief file. Lines are 1-based file lines."""

    front: str
    body: str
    front_line: int  # file line of the first front matter line
    body_line: int  # file line of the first body line


@dataclass(frozen=True, slots=True, kw_only=True)
class FrontMatter:
    """Front matter values, the file position of every key, and the body after the block."""

    data: dict[str, Any]
    body: str
    body_line: int  # file line of the first body line
    keys: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # dotted path -> line, col

    def line_of(self, key: str) -> int:
        """The 1-based file line of a key (``source.url``, ``quotes.0``), or 1 when not written."""
        return self.keys.get(key, (1, 1))[0]


class FrontMatterError(ValueError):
    """The front matter cannot be read: a 1-based file position, a code and a hint."""

    def __init__(
        self, message: str, line: int, hint: str, *, col: int = 1, code: str = "BG-FM007"
    ) -> None:
        super().__init__(message)
        self.line = line
        self.col = col
        self.code = code
        self.hint = hint


def split(text: str) -> Split:
    """Split ``---``-fenced front matter from the body; raise FrontMatterError if missing."""
    if text.startswith("\ufeff"):
        text = text[1:]
    first_end = text.find("\n")
    first = text if first_end < 0 else text[:first_end]
    if first.rstrip() != "---":
        raise FrontMatterError(
            "the file does not start with front matter",
            1,
            "start the file with a line '---', then 'title: …' and 'date: YYYY-MM-DD', "
            "then another '---'",
        )
    pos = first_end + 1
    line = 2
    while pos <= len(text):
        end = text.find("\n", pos)
        current = text[pos:] if end < 0 else text[pos:end]
        if current.rstrip() in ("---", "..."):
            body_start = len(text) if end < 0 else end + 1
            return Split(
                front=text[first_end + 1 : pos],
                body=text[body_start:],
                front_line=2,
                body_line=line + 1,
            )
        if end < 0:
            break
        pos = end + 1
        line += 1
    raise FrontMatterError(
        "the front matter is not closed",
        1,
        "add a line '---' after the last front matter key",
    )


def read(text: str, *, required: bool = True) -> FrontMatter:
    """Read a file's front matter and body; raise FrontMatterError with a file position.

    With ``required=False`` a text without a complete ``---`` block is all body.
    """
    try:
        parts = split(text)
    except FrontMatterError:
        if required:
            raise
        body = text[1:] if text.startswith("\ufeff") else text
        return FrontMatter(data={}, body=body, body_line=1)
    if len(parts.front) > MAX_FRONT_CHARS:
        raise FrontMatterError(
            f"the front matter is larger than {MAX_FRONT_CHARS // 1024} KiB",
            parts.front_line,
            "keep long text in the body, below the closing '---'",
            code="BG-FM001",
        )
    marked, problem = read_yaml(parts.front)
    if problem is not None:
        line = parts.front_line + problem.line
        hint = (
            "remove one of the two; YAML would silently keep only the last"
            if problem.duplicate
            else f"keep nesting under {MAX_DEPTH} levels and aliases few"
            if "nest" in problem.message or "alias" in problem.message
            else "fix the YAML syntax; quote values that contain ': ' or start with "
            "a special character"
        )
        raise FrontMatterError(
            f"invalid YAML in front matter: {problem.message}",
            line,
            hint,
            col=problem.col + 1,
            code="BG-FM001",
        )
    assert marked is not None  # nosec B101 - read_yaml returns one of the two
    data = marked.data if marked.data is not None else {}
    if not isinstance(data, dict):
        raise FrontMatterError(
            "front matter must be a mapping of keys to values",
            parts.front_line,
            "write one 'key: value' per line, e.g. 'title: …'",
            code="BG-FM002",
        )
    keys = {
        ".".join(map(str, path)): (parts.front_line + pos[0], pos[1] + 1)
        for path, pos in (*marked.values.items(), *marked.keys.items())
        if path and not any(part in ("<key>", "<complex key>") for part in path)
    }
    return FrontMatter(data=data, body=parts.body, body_line=parts.body_line, keys=keys)
