"""Diagnostics that carry a file position, and the exception that carries them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class SourcePos:
    """A place in a file: 1-based line and column (0 means unknown)."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.path}:{self.line}:{self.col}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path


_UNPRINTABLE = {c: "\N{REPLACEMENT CHARACTER}"
                for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in "\n"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    """One problem found in the input, formatted as ``path:line:col: error: message [CODE]``."""

    pos: SourcePos
    code: str
    message: str
    hint: str = ""
    severity: str = "error"
    source_line: str = ""

    def format(self) -> str:
        """Return the compiler-style text, with the hint and source line on following lines."""
        text = f"{self.pos}: {self.severity}: {self.message} [{self.code}]"
        if self.source_line:
            text += f"\n    {self.source_line.rstrip()}"
            if self.pos.col:
                text += "\n    " + " " * (self.pos.col - 1) + "^"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        # A hostile file's escape sequences must not reach the terminal; one character for
        # one keeps the caret under its column.
        return text.translate(_UNPRINTABLE)

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order diagnostics by file, then position, then code."""
        return (self.pos.path, self.pos.line, self.pos.col, self.code)

    def to_json(self) -> dict[str, object]:
        """Plain data for the dev server's error overlay."""
        return {
            "path": self.pos.path,
            "line": self.pos.line,
            "col": self.pos.col,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "source_line": self.source_line,
            "text": self.format(),
        }


def diag(
    path: str,
    line: int,
    col: int,
    code: str,
    message: str,
    hint: str = "",
    *,
    source_line: str = "",
    severity: str = "error",
) -> Diagnostic:
    """Shorthand constructor used by every stage."""
    return Diagnostic(
        pos=SourcePos(path=path, line=line, col=col),
        code=code,
        message=message,
        hint=hint,
        source_line=source_line,
        severity=severity,
    )


class BriefgenError(Exception):
    """Raised when a stage cannot go on; carries every diagnostic found so far."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(
            sorted(diagnostics, key=Diagnostic.sort_key)
        )
        super().__init__("\n".join(d.format() for d in self.diagnostics))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A "did you mean" hint for a misspelt name, or an empty string."""
    import difflib

    close = difflib.get_close_matches(word, sorted(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"
