"""The errors the dev server shows: printed to the terminal once, overlaid in every browser."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from briefgen.errors import Diagnostic
from briefgen.source.files import MAX_BRIEF_BYTES, read_inside


def overlay_item(item: Diagnostic, root: Path) -> dict[str, object]:
    """A diagnostic as the browser overlay shows it, with its source line filled in if known."""
    data = item.to_json()
    if not data["source_line"] and item.pos.line > 0:
        try:
            data_bytes = read_inside(root / item.pos.path, [root], MAX_BRIEF_BYTES)[0]
            lines = data_bytes.decode("utf-8").splitlines()
            data["source_line"] = lines[item.pos.line - 1][:200]
        except (OSError, UnicodeDecodeError, IndexError, ValueError):
            pass  # the overlay still shows path:line and the message
    return data


class ErrorBoard:
    """Tracks the current errors so each change is announced once, and each error printed once."""

    def __init__(self, root: Path, echo: Callable[[str], None]) -> None:
        self._root = root
        self._echo = echo
        self._errors: tuple[Diagnostic, ...] = ()

    def update(self, found: Iterable[Diagnostic]) -> list[dict[str, object]] | None:
        """Take the current errors; the overlay payload when they changed, else None."""
        errors = tuple(dict.fromkeys(found))
        if errors == self._errors:
            return None
        shown = {d.format() for d in self._errors}
        for item in errors:
            if item.format() not in shown:
                self._echo(item.format())
        if self._errors and not errors:
            self._echo("All errors fixed.")
        self._errors = errors
        return self.payload()

    def payload(self) -> list[dict[str, object]]:
        """The current errors as overlay data."""
        return [overlay_item(d, self._root) for d in self._errors]
