"""Load stage: read brief files, parse and validate front matter, detect duplicate slugs."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from briefgen.errors import Diagnostic, diag
from briefgen.hashing import Memo, digest
from briefgen.model import ENTITY_KINDS, Brief, EntityDef
from briefgen.pipeline.parallel import fork_map
from briefgen.pipeline.validate import CONTROL_CHARS, Checker, control_in, line_at
from briefgen.source.files import (
    MAX_BRIEF_BYTES,
    Stamp,
    UnsafeFile,
    files_under,
    inside,
    read_inside,
    read_regular,
    stamp,
)
from briefgen.source.frontmatter import FrontMatterError
from briefgen.source.frontmatter import read as read_front_matter
from briefgen.source.yamlpos import read_yaml

MAX_BYTES = MAX_BRIEF_BYTES  # a brief is a short text; larger files are refused, not parsed


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceFile:
    """A brief file as read from disk."""

    path: str  # relative to the site root, posix
    data: bytes


def find_brief_files(briefs_dir: Path, root: Path) -> tuple[list[Path], list[Diagnostic]]:
    """All ``*.md`` files under ``briefs_dir``, sorted; symlinks leaving the folder are refused.

    Symlinked folders are not entered (a link to ``.`` would loop).
    """
    found: list[Path] = []
    problems: list[Diagnostic] = []
    if not briefs_dir.is_dir():
        return found, problems
    top = briefs_dir.resolve()
    if not inside(top, [root]):  # a linked content/ or content/briefs/ leaving the digest
        problems.append(diag(_rel(briefs_dir, root), 0, 0, "BG-IO003",
                             "the briefs folder is a link to a place outside the digest",
                             "move the briefs into the digest instead of linking to them"))
        return found, problems
    for name, is_link in files_under(str(briefs_dir), ".md"):
        path = Path(name)
        if not is_link:  # a plain file: nothing to resolve (the common case, kept cheap)
            found.append(path)
            continue
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
        data, _ = read_regular(path, MAX_BYTES)  # a FIFO or device is refused, never read
        return SourceFile(path=rel, data=data), None
    except UnsafeFile as exc:
        big = "too large" in exc.reason
        return None, diag(rel, 0, 0, "BG-IO001", exc.reason, exc.hint if not big else
                          f"briefs are limited to {MAX_BYTES // 1024 // 1024} MiB; split it")
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
    bad = CONTROL_CHARS.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        return None, (diag(rel, line, col, "BG-IO002",
                           f"file holds the control character U+{ord(bad.group()):04X}",
                           "remove it: briefs are plain UTF-8 text",
                           source_line=line_at(text, line)),)
    try:
        front = read_front_matter(text)
    except FrontMatterError as exc:
        return None, (diag(rel, exc.line, exc.col, exc.code, str(exc), exc.hint,
                           source_line=line_at(text, exc.line)),)
    data = front.data
    checker = Checker(rel, text, front.keys)
    for key, value in data.items():
        found = control_in(value)
        if found:
            checker.error(str(key), "BG-FM006",
                          f"{str(key)[:40]!r} holds the character U+{ord(found):04X}",
                          "remove the escape sequence: briefs are plain text")
    if checker.problems:
        return None, tuple(checker.problems)
    brief = checker.build(data, front.body, front.body_line, source.data)
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


_Parsed = tuple[Brief | None, tuple[Diagnostic, ...]]  # a brief or None, and its problems


FileStats = dict[str, tuple[int, int, int, int, str]]  # path -> (*stamp, memo key) when read


def load_briefs(
    paths: Sequence[Path], root: Path, memo: Memo | None = None, *, workers: int = 1,
    stats: FileStats | None = None,
) -> tuple[list[Brief], list[Diagnostic]]:
    """Read and parse every path; return the good briefs and all problems.

    ``memo`` caches parse results by the file's path and bytes. With ``workers`` > 1 the
    files are read, hashed and (when not in the memo) parsed in worker processes. ``stats``
    (updated in place) records each file's stamp when it was read: a file whose size,
    mtime, ctime and inode are all unchanged is taken from the memo without being read
    again (as git's index does; ``cp -p`` keeps size and mtime but not ctime).
    """
    entries = memo.entries if memo is not None else {}
    stats = stats if stats is not None and memo is not None else {}

    def one(path: Path) -> tuple[str, _Parsed | None, Diagnostic | None, Stamp]:
        # Runs in a worker: read, hash, and parse only what the memo does not hold (the
        # memo is the parent's, seen read-only; new results are stored by the parent).
        when = stamp(path)  # before reading: a later change then shows as a new stamp
        source, problem = read_source(path, root)
        if source is None:
            return "", None, problem, when
        key = digest(source.path, source.data) if memo is not None else ""
        return key, None if key in entries else parse_brief(source), None, when

    rels = [_rel(path, root) for path in paths]
    unread: dict[int, str] = {}  # position in paths -> memo key, for unchanged files
    for index, path in enumerate(paths):
        seen = stats.get(rels[index])
        # Size, mtime, ctime and inode all unchanged: the memo's parse still holds.
        if seen is not None and seen[4] in entries and stamp(path) == seen[:4]:
            unread[index] = seen[4]
    to_read = [p for i, p in enumerate(paths) if i not in unread]
    fresh = iter(fork_map(one, to_read, workers))
    results: list[_Parsed] = []
    problems: list[Diagnostic] = []
    for index in range(len(paths)):
        if index in unread:
            parsed = memo.get(unread[index]) if memo is not None else None
            assert parsed is not None  # nosec B101 - checked in entries above
            results.append(parsed)
            continue
        key, parsed, problem, when = next(fresh)
        if problem is not None:
            problems.append(problem)
            continue
        if memo is not None:
            if parsed is None:
                parsed = memo.get(key)
            else:
                memo.put(key, parsed)
            stats[rels[index]] = (*when, key)
        assert parsed is not None  # nosec B101 - parsed here or found in the memo
        results.append(parsed)
    for gone in set(stats) - set(rels):
        del stats[gone]
    briefs: list[Brief] = []
    for brief, found in results:
        problems.extend(found)
        if brief is not None:
            briefs.append(brief)
    duplicates = check_duplicates(briefs)
    problems.extend(duplicates)
    flagged = {d.pos.path for d in duplicates}
    return [b for b in briefs if b.path not in flagged], problems


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def load_entity_defs(path: Path, root: Path) -> tuple[list[EntityDef], list[Diagnostic]]:
    """Read ``content/entities.yaml``: ``Canonical Name: {kind, aliases, description}``."""
    rel = _rel(path, root)
    if not os.path.lexists(path):
        return [], []
    try:
        text = read_inside(path, [root], MAX_BYTES)[0].decode("utf-8")
    except UnsafeFile as exc:
        return [], [diag(rel, 0, 0, "BG-IO003", f"cannot read file: {exc.reason}", exc.hint)]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [diag(rel, 0, 0, "BG-IO001", f"cannot read file: {exc}",
                         "save it as UTF-8 text")]
    marked, problem = read_yaml(text)
    if problem is not None or marked is None:
        assert problem is not None  # nosec B101 - read_yaml returns one of the two
        return [], [diag(rel, problem.line + 1, problem.col + 1, "BG-EN001",
                         f"invalid YAML: {problem.message}", "fix the YAML syntax here",
                         source_line=line_at(text, problem.line + 1))]
    data = marked.data
    if data is None:
        return [], []
    if not isinstance(data, dict):
        return [], [diag(rel, 1, 1, "BG-EN002", "entities.yaml must map names to entries",
                         "e.g. 'United States: {kind: places, aliases: [US, U.S.]}'")]
    lines = {str(p[0]): pos[0] + 1 for p, pos in marked.keys.items() if len(p) == 1}
    defs: list[EntityDef] = []
    problems: list[Diagnostic] = []
    for name, entry in data.items():
        line = lines.get(str(name), 1)
        bad = control_in(name) or control_in(entry)
        if bad:  # it would reach pages and feeds (a NUL once forged the link marker)
            problems.append(diag(rel, line, 1, "BG-EN004",
                                 f"entry {str(name)[:40]!r} holds the control character "
                                 f"U+{ord(bad):04X}", "remove it: entity names and "
                                 "descriptions are plain text"))
            continue
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
