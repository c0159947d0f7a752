"""Split a brief into YAML front matter and Markdown body, keeping line numbers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Split:
    """The two parts of a brief file. Lines are 1-based file lines."""

    front: str
    body: str
    front_line: int  # file line of the first front matter line
    body_line: int  # file line of the first body line


class FrontMatterError(ValueError):
    """The file has no well-formed front matter block."""

    def __init__(self, message: str, line: int, hint: str) -> None:
        super().__init__(message)
        self.line = line
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
