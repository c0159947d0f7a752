"""The site configuration: ``briefgen.yaml``, typed, frozen, every problem reported at once."""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefgen.errors import BriefgenError, Diagnostic, diag, did_you_mean
from briefgen.source.files import UnsafeFile, read_inside
from briefgen.source.yamlpos import load_yaml, top_key_lines

CONFIG_NAME = "briefgen.yaml"
_MAX_CONFIG = 1024 * 1024  # a settings file this large is not one


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Settings for one digest site. Every key has a default."""

    root: Path = Path(".")
    title: str = "Briefing Digest"
    description: str = "A daily digest of briefs."
    language: str = "en"
    author: str = ""
    base_url: str = ""
    cname: str = ""
    theme: str = "default"
    content_dir: str = "content"
    briefs_dir: str = "content/briefs"
    articles_dir: str = "content/articles"
    entities_file: str = "content/entities.yaml"
    themes_dir: str = "themes"
    output_dir: str = "site"
    cache_dir: str = ".briefgen"
    items_per_page: int = 20
    related_count: int = 5
    related_half_life_days: float = 30.0
    feed_items: int = 50
    feed_min_briefs: int = 3  # a tag or entity gets its own feeds from this many briefs on
    build_drafts: bool = False
    search: bool = True
    autolink_entities: bool = True
    workers: int = 0  # processes for per-brief work; 0: one per core

    def path(self, rel: str) -> Path:
        """A configured path resolved against the site root."""
        return self.root / rel

    @property
    def site_url(self) -> str:
        """The base URL with exactly one trailing slash, or empty."""
        return self.base_url.rstrip("/") + "/" if self.base_url else ""


_FIELDS = {f.name: f for f in dataclasses.fields(Config) if f.name != "root"}
_POSITIVE_INTS = {"items_per_page", "related_count", "feed_items", "feed_min_briefs"}
# Backslashes and drive letters mean other folders on Windows; the same site must build there.
_WINDOWS_PATH = re.compile(r"\\|^[A-Za-z]:")
# C0 and C1 controls (tab and newline excepted), lone surrogates and non-characters:
# none is allowed in XML 1.0, and a terminal would obey the escape sequences.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_PATH_KEYS = {
    "content_dir", "briefs_dir", "articles_dir", "entities_file", "themes_dir",
    "output_dir", "cache_dir",
}


def load_config(root: Path, *, overrides: dict[str, Any] | None = None) -> Config:
    """Read ``briefgen.yaml`` under ``root`` (if any) and return a validated Config."""
    path = root / CONFIG_NAME
    rel = CONFIG_NAME
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    problems: list[Diagnostic] = []
    if os.path.lexists(path):
        try:
            text = read_inside(path, [root], _MAX_CONFIG)[0].decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BriefgenError([
                diag(rel, 0, 0, "BG-CF001", f"cannot read the config file: {exc}",
                     exc.hint if isinstance(exc, UnsafeFile) else
                     "save briefgen.yaml as UTF-8 text")
            ]) from exc
        data, problem = load_yaml(text)
        if problem is not None:
            raise BriefgenError([
                diag(rel, problem.line + 1, problem.col + 1, "BG-CF001",
                     f"invalid YAML: {problem.message}", "fix the YAML syntax at this position")
            ])
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise BriefgenError([
                diag(rel, 1, 1, "BG-CF002", "the config must be a mapping of keys to values",
                     "write one 'key: value' per line, e.g. 'title: My Digest'")
            ])
        values = data
        lines = top_key_lines(text)
    values = {**values, **(overrides or {})}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        line = lines.get(str(key), 1)
        if key not in _FIELDS:
            problems.append(diag(rel, line, 1, "BG-CF003", f"unknown config key {key!r}",
                                 did_you_mean(str(key), _FIELDS) or
                                 "see the README's Configuration section for the known keys"))
            continue
        bad = _CONTROL.search(value) if isinstance(value, str) else None
        if bad is not None:  # it would reach every page and feed (feeds must be valid XML)
            problems.append(diag(rel, line, 1, "BG-CF005",
                                 f"{key!r} holds the control character U+{ord(bad.group()):04X}",
                                 "remove it: settings are plain text"))
            continue
        checked = _check_value(str(key), value, rel, line, problems)
        if checked is not None:
            clean[str(key)] = checked
    if problems:
        raise BriefgenError(problems)
    return Config(root=root, **clean)


def _check_value(key: str, value: Any, rel: str, line: int, out: list[Diagnostic]) -> Any:
    """Validate one value against the field's type; record a diagnostic and return None if bad."""
    default = _FIELDS[key].default
    expected: type[Any] = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if value is None and expected is str:
        value = ""
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        out.append(diag(rel, line, 1, "BG-CF004",
                        f"{key!r} must be {_type_name(expected)}, not {_type_name(type(value))}",
                        f"for example: {key}: {default!r}"))
        return None
    if key in _POSITIVE_INTS and value < 1:
        out.append(diag(rel, line, 1, "BG-CF004", f"{key!r} must be at least 1",
                        f"for example: {key}: {default!r}"))
        return None
    if key == "workers" and value < 0:
        out.append(diag(rel, line, 1, "BG-CF004", "'workers' must be 0 (one per core) or more",
                        "for example: workers: 2"))
        return None
    if key in _PATH_KEYS and (not value or Path(value).is_absolute() or ".." in Path(value).parts
                              or _WINDOWS_PATH.search(value)):
        out.append(diag(rel, line, 1, "BG-CF004",
                        f"{key!r} must be a relative path inside the site folder",
                        f"for example: {key}: {default}"))
        return None
    if key == "base_url" and value and not value.startswith(("http://", "https://")):
        out.append(diag(rel, line, 1, "BG-CF004", "'base_url' must start with http:// or https://",
                        "for example: base_url: https://example.github.io/digest/"))
        return None
    if key == "theme" and ("/" in value or "\\" in value or value.startswith(".")):
        out.append(diag(rel, line, 1, "BG-CF004", "'theme' must be a folder name under themes/",
                        "for example: theme: default"))
        return None
    return value


def _type_name(kind: type[Any]) -> str:
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
            list: "a list", dict: "a mapping", type(None): "empty"}.get(kind, kind.__name__)
