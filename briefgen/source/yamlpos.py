"""The one YAML reader: safe, bounded, and keeping the position of every key and value.

Config, ``entities.yaml`` and every brief's front matter are read here. The text is composed
into nodes first (PyYAML's composer, libyaml when built), so every key and value keeps its
line and column, nested ones too; duplicate keys, alias bombs and recursive aliases are
refused before any Python value is built.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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

MAX_NODES = 200_000  # a bound on values with aliases expanded: stops "billion laughs" documents
# libyaml composes nested nodes by C recursion: ~100,000 levels overflow the C stack (a
# segfault, not an exception), and the pure-Python loader needs seconds to hit its recursion
# limit. No brief nests this deep, so deeper texts are refused before composing.
MAX_DEPTH = 200
_BLOCK_INDICATORS = re.compile(r"(?:[-?:][ \t]+)+")
_MERGE = "tag:yaml.org,2002:merge"

Path = tuple[str | int, ...]  # keys and list indexes from the top of the document
Pos = tuple[int, int]  # 0-based line and column inside the YAML text


@dataclass(frozen=True, slots=True, kw_only=True)
class YamlProblem:
    """Why a YAML text could not be loaded, with a 0-based position inside that text."""

    message: str
    line: int
    col: int
    duplicate: bool = False  # a repeated key (the position is the second one)


@dataclass(frozen=True, slots=True, kw_only=True)
class Marked:
    """A loaded YAML value with the position of every mapping key and every value."""

    data: Any
    keys: Mapping[Path, Pos] = field(default_factory=dict)  # path -> where its key is written
    values: Mapping[Path, Pos] = field(default_factory=dict)  # path -> where its value starts

    def key_pos(self, *path: str | int) -> Pos | None:
        """Where the key at ``path`` is written (a list item: where the item starts)."""
        return self.keys.get(path) or self.values.get(path)


def read_yaml(text: str) -> tuple[Marked | None, YamlProblem | None]:
    """Compose, check and construct ``text``; return (marked value, None) or (None, problem)."""
    deep_line = _too_deep(text)
    if deep_line is not None:
        return None, YamlProblem(
            message=f"values nest more than {MAX_DEPTH} levels deep", line=deep_line, col=0
        )
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Marked(data=None), None
        walk = _Walk()
        problem = walk.visit(node, ())
        if problem is not None:
            return None, problem
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or exc.context or "invalid YAML"
        return None, YamlProblem(
            message=str(message), line=mark.line if mark else 0, col=mark.column if mark else 0
        )
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        return None, YamlProblem(message=str(exc).splitlines()[0], line=0, col=0)
    finally:
        loader.dispose()
    return Marked(data=data, keys=walk.keys, values=walk.values), None


def load_yaml(text: str) -> tuple[Any, YamlProblem | None]:
    """Load YAML safely; return (data, None) or (None, problem)."""
    marked, problem = read_yaml(text)
    return (marked.data if marked is not None else None), problem


def top_key_lines(text: str, first_line: int = 1) -> dict[str, int]:
    """Map each top-level key to its line (``first_line`` is line 1's number); {} if invalid."""
    marked, _ = read_yaml(text)
    if marked is None:
        return {}
    return {str(p[0]): pos[0] + first_line for p, pos in marked.keys.items() if len(p) == 1}


class _Walk:
    """One pass over the composed nodes: positions, duplicate keys, expanded size, cycles."""

    def __init__(self) -> None:
        self.keys: dict[Path, Pos] = {}
        self.values: dict[Path, Pos] = {}
        self.sizes: dict[int, int] = {}  # id(node) -> values it expands to (aliases repeat)
        self.open: set[int] = set()  # nodes being visited: meeting one again is a cycle
        self.total = 0

    def visit(
        self, node: yaml.Node, path: Path, where: yaml.Node | None = None
    ) -> YamlProblem | None:
        """Walk ``node``; ``where`` is the key or list that holds it (an alias node carries
        its anchor's position, so a problem met through an alias is reported at the holder)."""
        self.values.setdefault(path, (node.start_mark.line, node.start_mark.column))
        ident = id(node)
        if ident in self.open:
            return _at(where or node, "an alias refers to the value that contains it")
        if ident in self.sizes:  # an alias: its values are counted again, as a reader sees them
            self.total += self.sizes[ident]
            if self.total > MAX_NODES:
                return _at(where or node, "aliases expand to too many values (a YAML bomb?)")
            return None
        before = self.total
        self.total += 1
        self.open.add(ident)
        problem = self._children(node, path)
        self.open.discard(ident)
        self.sizes[ident] = self.total - before
        if problem is None and self.total > MAX_NODES:
            problem = _at(node, f"the document holds more than {MAX_NODES} values")
        return problem

    def _children(self, node: yaml.Node, path: Path) -> YamlProblem | None:
        if isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                problem = self.visit(item, (*path, index), node)
                if problem is not None:
                    return problem
        elif isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], yaml.Node] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE:
                    problem = self.visit(value_node, path, key_node)
                else:
                    problem = self._entry(key_node, value_node, path, seen)
                if problem is not None:
                    return problem
        return None

    def _entry(
        self, key: yaml.Node, value: yaml.Node, path: Path, seen: dict[tuple[str, str], yaml.Node]
    ) -> YamlProblem | None:
        problem = self.visit(key, (*path, "<key>"))
        if problem is not None:
            return problem
        if isinstance(key, yaml.ScalarNode):
            first = seen.setdefault((key.tag, key.value), key)
            if first is not key:
                return YamlProblem(
                    message=f"duplicate key {key.value[:40]!r} (first written on line "
                    f"{first.start_mark.line + 1})",
                    line=key.start_mark.line,
                    col=key.start_mark.column,
                    duplicate=True,
                )
            child = (*path, key.value)
            self.keys.setdefault(child, (key.start_mark.line, key.start_mark.column))
            return self.visit(value, child, key)
        return self.visit(value, (*path, "<complex key>"), key)


def _at(node: yaml.Node, message: str) -> YamlProblem:
    return YamlProblem(message=message, line=node.start_mark.line, col=node.start_mark.column)


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
