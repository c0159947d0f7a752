"""Load stage: read brief files, parse and validate front matter, detect duplicate slugs."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefgen.cache import Memo, digest
from briefgen.errors import Diagnostic, diag, did_you_mean
from briefgen.frontmatter import FrontMatterError, split
from briefgen.model import ENTITY_KINDS, Brief, Entities, EntityDef, Quote, Source
from briefgen.slugs import is_safe_slug, slugify
from briefgen.yamlpos import load_yaml, top_key_lines

KNOWN_KEYS = (
    "title", "date", "slug", "summary", "key_points", "tags", "section", "entities",
    "quotes", "author", "source", "draft", "updates", "ingest_hash", "related", "id",
)
MAX_BYTES = 5 * 1024 * 1024  # a brief is a short text; larger files are refused, not parsed
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}[-_]")
# Characters that are errors in HTML and XML output (control characters, lone surrogates from
# YAML escapes, non-characters); a brief is plain text, so they point at a damaged file.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SUMMARY_SCAN = 4000  # characters of a paragraph the auto summary looks at (it keeps ~50 words)
_SAFE_URL = re.compile(r"^https?://", re.I)
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[A-Z“\"0-9])")


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceFile:
    """A brief file as read from disk."""

    path: str  # relative to the site root, posix
    data: bytes


def find_brief_files(briefs_dir: Path, root: Path) -> tuple[list[Path], list[Diagnostic]]:
    """All ``*.md`` files under ``briefs_dir``, sorted; symlinks leaving the folder are refused."""
    found: list[Path] = []
    problems: list[Diagnostic] = []
    if not briefs_dir.is_dir():
        return found, problems
    top = briefs_dir.resolve()
    for path in sorted(briefs_dir.rglob("*.md")):
        rel = _rel(path, root)
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            problems.append(diag(rel, 0, 0, "BG-IO003", "broken or looping symlink",
                                 "remove the link or point it at a real file"))
            continue
        if not real.is_relative_to(top):
            problems.append(diag(rel, 0, 0, "BG-IO003",
                                 "symlink points outside the briefs folder",
                                 "copy the file into the briefs folder instead of linking"))
            continue
        if real.is_file():
            found.append(path)
    return found, problems


def read_source(path: Path, root: Path) -> tuple[SourceFile | None, Diagnostic | None]:
    """Read one file's bytes, refusing huge or unreadable files."""
    rel = _rel(path, root)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return None, diag(rel, 0, 0, "BG-IO001",
                              f"file is too large for a brief ({size // 1024} KiB)",
                              f"briefs are limited to {MAX_BYTES // 1024 // 1024} MiB; split it")
        return SourceFile(path=rel, data=path.read_bytes()), None
    except OSError as exc:
        return None, diag(rel, 0, 0, "BG-IO001", f"cannot read file: {exc.strerror or exc}",
                          "check the file's permissions")


def parse_brief(source: SourceFile) -> tuple[Brief | None, tuple[Diagnostic, ...]]:
    """Parse and validate one brief; return it (or None) with every problem found."""
    rel = source.path
    nul = source.data.find(b"\x00")
    if nul >= 0:
        line = source.data.count(b"\n", 0, nul) + 1
        col = nul - (source.data.rfind(b"\n", 0, nul) + 1) + 1
        return None, (diag(rel, line, col, "BG-IO002", "file holds NUL bytes (binary, not text)",
                           "briefs must be UTF-8 text files"),)
    try:
        text = source.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = source.data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (source.data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, (diag(rel, line, col, "BG-IO002", "file is not valid UTF-8",
                           "re-save the file with UTF-8 encoding"),)
    text = text.replace("\r\n", "\n")
    bad = _CONTROL.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        return None, (diag(rel, line, col, "BG-IO002",
                           f"file holds the control character U+{ord(bad.group()):04X}",
                           "remove it: briefs are plain UTF-8 text",
                           source_line=_line_at(text, line)),)
    try:
        parts = split(text)
    except FrontMatterError as exc:
        return None, (diag(rel, exc.line, 1, "BG-FM007", str(exc), exc.hint,
                           source_line=_line_at(text, exc.line)),)
    data, problem = load_yaml(parts.front)
    if problem is not None:
        line = parts.front_line + problem.line
        return None, (diag(rel, line, problem.col + 1, "BG-FM001",
                           f"invalid YAML in front matter: {problem.message}",
                           "fix the YAML syntax; quote values that contain ': ' or start with "
                           "a special character", source_line=_line_at(text, line)),)
    if not isinstance(data, dict):
        return None, (diag(rel, parts.front_line, 1, "BG-FM002",
                           "front matter must be a mapping of keys to values",
                           "write one 'key: value' per line, e.g. 'title: …'",
                           source_line=_line_at(text, parts.front_line)),)
    lines = top_key_lines(parts.front, parts.front_line)
    checker = _Checker(rel, text, lines)
    for key, value in data.items():
        found = _control_in(value)
        if found:
            checker.error(str(key), "BG-FM006",
                          f"{str(key)[:40]!r} holds the character U+{ord(found):04X}",
                          "remove the escape sequence: briefs are plain text")
    if checker.problems:
        return None, tuple(checker.problems)
    brief = checker.build(data, parts.body, parts.body_line, source.data)
    return brief, tuple(sorted(checker.problems, key=Diagnostic.sort_key))


def check_duplicates(briefs: Iterable[Brief]) -> list[Diagnostic]:
    """An error for every brief whose slug another brief already uses."""
    first: dict[str, Brief] = {}
    problems: list[Diagnostic] = []
    for brief in sorted(briefs, key=lambda b: b.path):
        other = first.setdefault(brief.slug, brief)
        if other is not brief:
            problems.append(diag(
                brief.path, brief.line_of("slug") if "slug" in brief.key_lines else 1, 1,
                "BG-LD001", f"duplicate slug {brief.slug!r}: {other.path} has it too",
                "give one of the two briefs a different 'slug:' or file name"))
    return problems


def load_briefs(
    paths: Sequence[Path], root: Path, memo: Memo | None = None
) -> tuple[list[Brief], list[Diagnostic]]:
    """Read and parse every path; return the good briefs and all problems.

    ``memo`` caches parse results by the file's path and bytes.
    """
    briefs: list[Brief] = []
    problems: list[Diagnostic] = []
    for path in paths:
        source, problem = read_source(path, root)
        if problem is not None:
            problems.append(problem)
            continue
        assert source is not None  # nosec B101 - read_source returns a file or a problem
        key = digest(source.path, source.data) if memo is not None else ""
        cached = memo.get(key) if memo is not None else None
        if cached is None:
            cached = parse_brief(source)
            if memo is not None:
                memo.put(key, cached)
        brief, found = cached
        problems.extend(found)
        if brief is not None:
            briefs.append(brief)
    duplicates = check_duplicates(briefs)
    problems.extend(duplicates)
    flagged = {d.pos.path for d in duplicates}
    return [b for b in briefs if b.path not in flagged], problems


def auto_summary(body: str, *, max_words: int = 50) -> str:
    """The body's first sentences, as plain text, up to about ``max_words`` words."""
    words: list[str] = []
    for para in _plain_paragraphs(body):
        for sentence in _SENTENCE_END.split(para):
            count = len(sentence.split())
            if words and len(words) + count > max_words:
                return " ".join(words)
            words.extend(sentence.split())
            if len(words) >= max_words * 0.6:
                return " ".join(words)
    return " ".join(words)


def _plain_paragraphs(body: str) -> Iterable[str]:
    """Paragraph texts of a Markdown body with the commonest markup removed."""
    for block in re.split(r"\n\s*\n", body):
        block = block.strip()
        if not block or block.startswith(("#", "```", "|", "<", "---", "* ", "- ", "1.")):
            continue
        # Bounded repeats and a bounded prefix: "[" * 100_000 made these patterns quadratic.
        block = block[:_SUMMARY_SCAN]
        block = re.sub(r"!\[[^\]]{0,300}\]\([^)]{0,2000}\)", "", block)
        block = re.sub(r"\[\[([^\]|]{1,300})\|([^\]]{1,300})\]\]", r"\2", block)
        block = re.sub(r"\[\[([^\]]{1,300})\]\]", r"\1", block)
        block = re.sub(r"\[([^\]]{0,300})\]\([^)]{0,2000}\)", r"\1", block)
        block = re.sub(r"[*_`>]+", "", block)
        yield " ".join(block.split())


def _line_at(text: str, line: int) -> str:
    lines = text.split("\n", line)
    return lines[line - 1][:200] if 0 < line <= len(lines) else ""


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


class _Checker:
    """Validates front matter values one key at a time, collecting diagnostics."""

    def __init__(self, rel: str, text: str, lines: dict[str, int]) -> None:
        self.rel = rel
        self.text = text
        self.lines = lines
        self.problems: list[Diagnostic] = []

    def error(self, key: str, code: str, message: str, hint: str) -> None:
        line = self.lines.get(key, 1)
        self.problems.append(diag(self.rel, line, 1, code, message, hint,
                                  source_line=_line_at(self.text, line)))

    def string(self, data: dict[str, Any], key: str, *, required: bool = False) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.error(key, "BG-FM003", f"missing required key {key!r}",
                           f"add a line '{key}: …' to the front matter")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(key, "BG-FM006", f"{key!r} must be a string, not {_kind(value)}",
                       f"write it as text, e.g. {key}: \"…\"")
            return ""
        text = str(value).strip()
        if required and not text:
            self.error(key, "BG-FM003", f"{key!r} is empty", f"give the brief a {key}")
        return text

    def strings(self, data: dict[str, Any], key: str, value: Any = None) -> tuple[str, ...]:
        value = data.get(key) if value is None else value
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
        ):
            self.error(key, "BG-FM006", f"{key!r} must be a list of strings",
                       f"write it as a YAML list, e.g. {key}: [one, two]")
            return ()
        seen: dict[str, None] = {}
        for item in value:
            text = " ".join(str(item).split())
            if text:
                seen.setdefault(text, None)
        return tuple(seen)

    def date(self, data: dict[str, Any]) -> tuple[dt.date | None, dt.datetime | None]:
        value = data.get("date")
        if value is None:
            self.error("date", "BG-FM004", "missing required key 'date'",
                       "add a line 'date: YYYY-MM-DD' to the front matter")
            return None, None
        if isinstance(value, dt.datetime):
            return value.date(), value
        if isinstance(value, dt.date):
            return value, None
        if isinstance(value, str):
            try:
                if len(value.strip()) == 10:
                    return dt.date.fromisoformat(value.strip()), None
                stamp = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
                return stamp.date(), stamp
            except ValueError:
                pass
        self.error("date", "BG-FM005", f"bad date {value!r}",
                   "use YYYY-MM-DD or ISO 8601 with a time, e.g. 2026-11-20T09:40:00+01:00")
        return None, None

    def build(self, data: dict[str, Any], body: str, body_line: int, raw: bytes) -> Brief | None:
        for key in data:
            if str(key) not in KNOWN_KEYS:
                hint = did_you_mean(str(key), KNOWN_KEYS) or "it is kept but not used"
                line = self.lines.get(str(key), 1)
                self.problems.append(diag(self.rel, line, 1, "BG-FM008",
                                          f"unknown front matter key {key!r}", hint,
                                          severity="warning"))
        title = self.string(data, "title", required=True)
        date, stamp = self.date(data)
        slug = self._slug(data)
        summary = self.string(data, "summary")
        draft = data.get("draft", False)
        if not isinstance(draft, bool):
            self.error("draft", "BG-FM006", "'draft' must be true or false",
                       "write draft: true or draft: false")
            draft = False
        brief_body = body.strip("\n")
        body_line += len(body) - len(body.lstrip("\n"))  # positions count from the first text
        fields: dict[str, Any] = {
            "key_points": self.strings(data, "key_points"), "tags": self._tags(data),
            "section": self.string(data, "section"), "entities": self._entities(data),
            "quotes": self._quotes(data), "author": self.string(data, "author"),
            "source": self._source(data), "updates": self.string(data, "updates"),
        }
        if date is None or any(p.severity == "error" for p in self.problems):
            return None
        return Brief(
            path=self.rel, slug=slug, title=" ".join(title.split()), date=date, time=stamp,
            summary=summary or auto_summary(brief_body), summary_is_auto=not summary,
            draft=draft, body=brief_body, body_line=body_line, key_lines=dict(self.lines),
            content_hash=hashlib.sha256(raw).hexdigest(), word_count=len(brief_body.split()),
            **fields,
        )

    def _slug(self, data: dict[str, Any]) -> str:
        given = self.string(data, "slug")
        if given:
            if not is_safe_slug(given):
                self.error("slug", "BG-FM006", f"slug {given!r} is not a safe slug",
                           "use lowercase letters, digits and hyphens, "
                           f"e.g. slug: {slugify(given)}")
            return given
        stem = Path(self.rel).stem
        return slugify(_DATE_PREFIX.sub("", stem))

    def _tags(self, data: dict[str, Any]) -> tuple[str, ...]:
        tags = self.strings(data, "tags")
        if len(tags) > 100:
            self.error("tags", "BG-FM006", f"too many tags ({len(tags)})",
                       "keep a brief to at most 100 tags")
            return ()
        return tags

    def _entities(self, data: dict[str, Any]) -> Entities:
        value = data.get("entities")
        if value is None:
            return Entities()
        if not isinstance(value, dict):
            self.error("entities", "BG-FM006", "'entities' must be a mapping",
                       "e.g. entities: {people: [Jane Doe], places: [Turkey]}")
            return Entities()
        kinds: dict[str, tuple[str, ...]] = {}
        for kind, names in value.items():
            if kind not in ENTITY_KINDS:
                self.error("entities", "BG-FM006", f"unknown entity kind {kind!r}",
                           did_you_mean(str(kind), ENTITY_KINDS) or
                           "use people, organizations, places or other")
                continue
            kinds[kind] = self.strings(data, "entities", names if names is not None else [])
        return Entities(**kinds)

    def _quotes(self, data: dict[str, Any]) -> tuple[Quote, ...]:
        value = data.get("quotes")
        if value is None:
            return ()
        quotes: list[Quote] = []
        if isinstance(value, list):
            for item in value:
                if not (isinstance(item, dict) and isinstance(item.get("text"), str)
                        and isinstance(item.get("speaker", ""), str)):
                    break
                quotes.append(Quote(speaker=" ".join(str(item.get("speaker") or "").split()),
                                    text=" ".join(item["text"].split())))
            else:
                return tuple(quotes)
        self.error("quotes", "BG-FM006", "'quotes' must be a list of {speaker, text} mappings",
                   "e.g. quotes: [{speaker: Jane Doe, text: \"…\"}]")
        return ()

    def _source(self, data: dict[str, Any]) -> Source:
        value = data.get("source")
        if value is None:
            return Source()
        if isinstance(value, str):
            value = {"url": value} if _SAFE_URL.match(value) else {"name": value}
        if not isinstance(value, dict):
            self.error("source", "BG-FM006", "'source' must be a mapping",
                       "e.g. source: {name: Example News, url: https://example.com/a}")
            return Source()
        fields: dict[str, str] = {}
        for key in ("name", "url", "file", "retrieved"):
            item = value.get(key)
            if item is None:
                continue
            if isinstance(item, dt.date):
                item = item.isoformat()
            if not isinstance(item, str | int | float) or isinstance(item, bool):
                self.error("source", "BG-FM006", f"'source.{key}' must be a string",
                           "write it as text")
                continue
            fields[key] = str(item).strip()
        url = fields.get("url", "")
        if url and not _SAFE_URL.match(url):
            # Only http(s) addresses become links; anything else (javascript:, data:) is dropped.
            self.problems.append(diag(self.rel, self.lines.get("source", 1), 1, "BG-FM009",
                                      f"source.url {url[:60]!r} is not an http(s) address",
                                      "it is not linked; use an https:// address",
                                      severity="warning"))
            fields["url"] = ""
        return Source(**fields)


def _control_in(value: Any) -> str:
    """The first forbidden character in a loaded YAML value (nesting is bounded by yamlpos)."""
    if isinstance(value, str):
        found = _CONTROL.search(value)
        return found.group() if found else ""
    if isinstance(value, dict):
        return next((c for c in map(_control_in, (*value.keys(), *value.values())) if c), "")
    if isinstance(value, list):
        return next((c for c in map(_control_in, value) if c), "")
    return ""


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return type(value).__name__


def load_entity_defs(path: Path, root: Path) -> tuple[list[EntityDef], list[Diagnostic]]:
    """Read ``content/entities.yaml``: ``Canonical Name: {kind, aliases, description}``."""
    rel = _rel(path, root)
    if not path.is_file():
        return [], []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [diag(rel, 0, 0, "BG-IO001", f"cannot read file: {exc}",
                         "save it as UTF-8 text")]
    data, problem = load_yaml(text)
    if problem is not None:
        return [], [diag(rel, problem.line + 1, problem.col + 1, "BG-EN001",
                         f"invalid YAML: {problem.message}", "fix the YAML syntax here",
                         source_line=_line_at(text, problem.line + 1))]
    if data is None:
        return [], []
    if not isinstance(data, dict):
        return [], [diag(rel, 1, 1, "BG-EN002", "entities.yaml must map names to entries",
                         "e.g. 'United States: {kind: places, aliases: [US, U.S.]}'")]
    lines = top_key_lines(text)
    defs: list[EntityDef] = []
    problems: list[Diagnostic] = []
    for name, entry in data.items():
        line = lines.get(str(name), 1)
        entry = entry if entry is not None else {}
        if isinstance(entry, list):
            entry = {"aliases": entry}
        kind = entry.get("kind", "") if isinstance(entry, dict) else None
        aliases = entry.get("aliases", []) if isinstance(entry, dict) else None
        description = entry.get("description", "") if isinstance(entry, dict) else None
        if (not isinstance(kind, str) or kind not in ("", *ENTITY_KINDS)
                or not isinstance(aliases, list)
                or not all(isinstance(a, str | int | float) for a in aliases)
                or not isinstance(description, str)):
            problems.append(diag(rel, line, 1, "BG-EN003", f"bad entry for {name!r}",
                                 "use {kind: people|organizations|places|other, "
                                 "aliases: [..], description: ..}"))
            continue
        defs.append(EntityDef(name=str(name), kind=kind,
                              aliases=tuple(str(a) for a in aliases), description=description))
    return defs, problems
