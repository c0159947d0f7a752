"""YAML loading that keeps line numbers, shared by config and front matter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

try:  # libyaml's C loader is several times faster; fall back when it is not built
    _Base: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Base = yaml.SafeLoader


class _Loader(_Base):  # type: ignore[misc]
    """A safe loader that leaves timestamps as strings, so a bad date is our error, not YAML's."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}

_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:", re.M)
_MAX_NODES = 200_000  # a bound on expanded aliases: stops "billion laughs" documents
# libyaml composes nested nodes by C recursion: ~100,000 levels overflow the C stack (a
# segfault, not an exception), and the pure-Python loader needs seconds to hit its recursion
# limit. No brief nests this deep, so deeper texts are refused before loading.
MAX_DEPTH = 200
_BLOCK_INDICATORS = re.compile(r"(?:[-?:][ \t]+)+")


@dataclass(frozen=True, slots=True, kw_only=True)
class YamlProblem:
    """Why a YAML text could not be loaded, with a 0-based position inside that text."""

    message: str
    line: int
    col: int


def load_yaml(text: str) -> tuple[Any, YamlProblem | None]:
    """Load YAML safely; return (data, None) or (None, problem)."""
    deep_line = _too_deep(text)
    if deep_line is not None:
        return None, YamlProblem(
            message=f"values nest more than {MAX_DEPTH} levels deep", line=deep_line, col=0
        )
    try:
        data = yaml.load(text, Loader=_Loader)  # nosec B506 - _Loader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line if mark else 0
        col = mark.column if mark else 0
        problem = exc.problem or exc.context or "invalid YAML"
        return None, YamlProblem(message=str(problem), line=line, col=col)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        return None, YamlProblem(message=str(exc).splitlines()[0], line=0, col=0)
    if "*" in text and _too_big(data):
        return None, YamlProblem(
            message="aliases expand to too many values (a YAML bomb?)", line=0, col=0
        )
    return data, None


def _too_deep(text: str) -> int | None:
    """The 0-based line where nesting may pass MAX_DEPTH, or None.

    A cheap over-estimate: open brackets (even inside quotes) plus the line's indentation
    and its leading block indicators (``- - - x`` nests three sequences on one line).
    """
    depth = 0
    for number, line in enumerate(text.split("\n")):
        body = line.lstrip(" ")
        indicators = _BLOCK_INDICATORS.match(body)
        block = len(line) - len(body) + (indicators.end() if indicators else 0)
        depth += line.count("[") + line.count("{")
        if depth + block > MAX_DEPTH:
            return number
        depth = max(0, depth - line.count("]") - line.count("}"))
    return None


def _too_big(data: Any) -> bool:
    """True when walking the loaded value (aliases expanded) visits too many nodes."""
    stack = [data]
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > _MAX_NODES:
            return True
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def top_key_lines(text: str, first_line: int = 1) -> dict[str, int]:
    """Map each top-level key of a block mapping to its line (``first_line`` is line 1's number)."""
    lines: dict[str, int] = {}
    for match in _TOP_KEY.finditer(text):
        key = match.group(1)
        if key not in lines:
            lines[key] = text.count("\n", 0, match.start()) + first_line
    return lines
