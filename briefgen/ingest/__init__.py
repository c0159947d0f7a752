"""``briefgen ingest``: raw articles (page dumps, HTML, feeds, Markdown) become briefs."""

from __future__ import annotations

import codecs
import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from briefgen.errors import Diagnostic, diag
from briefgen.ingest.article import Article
from briefgen.ingest.writer import (
    article_to_brief_text,
    brief_name,
    enrich,
    read_identity,
    write_brief,
)
from briefgen.source.files import UnsafeFile, read_regular

__all__ = [
    "KINDS",
    "MAX_BYTES",
    "Article",
    "IngestReport",
    "article_to_brief_text",
    "read_input",
    "run_ingest",
]

KINDS = {
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
    ".md": "markdown",
    ".markdown": "markdown",
}
MAX_BYTES = 20 * 1024 * 1024  # a page dump or feed this big is not an article
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestReport:
    """What one ingest run did: brief paths by outcome, failed inputs and every diagnostic."""

    created: tuple[Path, ...] = ()
    updated: tuple[Path, ...] = ()
    unchanged: tuple[Path, ...] = ()
    skipped: tuple[tuple[Path, str], ...] = ()  # (brief, why it was left alone)
    not_articles: tuple[Path, ...] = ()  # input files left out: notes, hidden, other types
    failed: tuple[Path, ...] = ()  # inputs that gave no brief
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no input failed."""
        return not self.failed and not any(d.severity == "error" for d in self.diagnostics)


def _is_inside(path: Path, folder: Path) -> bool:
    """True when ``path`` lies in ``folder`` (both resolved)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def not_an_article(path: Path, *, given: bool = False) -> bool:
    """True for a file ingest leaves alone: a hidden file, a README (the notes ``init`` puts
    in content/articles) and, unless the file was named on the command line (``given``: its
    kind is then sniffed from its first bytes), a file of a type ingest does not read."""
    name = path.name
    if name.startswith(".") or name.split(".", 1)[0].upper() == "README":
        return True
    return not given and path.suffix.lower() not in KINDS


def source_name(path: Path, root: Path) -> str:
    """How ``source.file`` names an input, the same whichever command ingests it: the posix
    path relative to the digest ``root`` when the file is inside it, else the absolute path."""
    absolute = Path(os.path.abspath(path))
    for inner, outer in ((absolute, Path(os.path.abspath(root))),
                         (absolute.resolve(), root.resolve())):
        try:
            return inner.relative_to(outer).as_posix()
        except ValueError:
            continue
    return absolute.resolve().as_posix()


def collect_inputs(
    paths: Iterable[Path], out_dir: Path
) -> tuple[tuple[Path, ...], tuple[Diagnostic, ...], tuple[Path, ...]]:
    """Input files in a stable order (files as given, folders walked, outputs left out), the
    problems, and the files left out because they are not articles (see ``not_an_article``;
    a hidden folder is listed once, as itself, and not walked)."""
    found: list[Path] = []
    problems: list[Diagnostic] = []
    left_out: list[Path] = []
    for path in paths:
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                here = Path(folder)
                if _is_inside(here, out_dir):
                    dirs.clear()
                    continue
                left_out.extend(here / d for d in sorted(dirs) if d.startswith("."))
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    child = here / name
                    if not child.is_file() or _is_inside(child, out_dir):
                        continue
                    (left_out if not_an_article(child) else found).append(child)
        elif path.is_file():
            (left_out if not_an_article(path, given=True) else found).append(path)
        else:
            problems.append(diag(str(path), 0, 0, "BG-IN001", "no such file or folder"))
    return tuple(dict.fromkeys(found)), tuple(problems), tuple(sorted(set(left_out)))


def decode(data: bytes, name: str) -> tuple[str | None, Diagnostic | None]:
    """The text of an input file in whatever encoding it uses, or the reason it has none."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), None
            except UnicodeDecodeError:
                break
    if b"\x00" in data[:8192]:
        return None, diag(
            name,
            0,
            0,
            "BG-IN004",
            "binary file, not text",
            "ingest reads .txt, .html, feeds and .md",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            return None, diag(
                name, 0, 0, "BG-IN005", "unknown text encoding", "save the file as UTF-8"
            )
        text = str(best)
    controls = sum(1 for c in text[:8192] if ord(c) < 32 and c not in "\t\n\r\f")
    if controls > max(8, len(text[:8192]) // 50):
        return None, diag(
            name,
            0,
            0,
            "BG-IN004",
            "binary file, not text",
            "ingest reads .txt, .html, feeds and .md",
        )
    return text, None


def _sniff(path: Path, text: str) -> str:
    """The kind of an input: by extension, else by a look at its first bytes."""
    kind = KINDS.get(path.suffix.lower())
    if kind:
        return kind
    head = text.lstrip()[:512].lower()
    if head.startswith(("<rss", "<feed")) or (
        head.startswith("<?xml") and ("<rss" in head or "<feed" in head)
    ):
        return "feed"
    if head.startswith(("<!doctype html", "<html")):
        return "html"
    return "markdown" if head.startswith("---") else "text"


def read_input(
    path: Path, name: str | None = None
) -> tuple[tuple[Article, ...], tuple[Diagnostic, ...]]:
    """Every article in one input file, or diagnostics saying why there is none.

    ``name`` is how the articles' ``source.file`` and the diagnostics name the file
    (default: the path as given).
    """
    name = str(path) if name is None else name
    try:
        data, _ = read_regular(path, MAX_BYTES)  # a FIFO or device is refused, never read
    except UnsafeFile as exc:
        return (), (diag(name, 0, 0, "BG-IN003", f"{exc.reason}; {exc.hint}"),)
    except OSError as exc:
        return (), (diag(name, 0, 0, "BG-IN001", f"cannot read file: {exc.strerror or exc}"),)
    if not data.strip():
        return (), (diag(name, 0, 0, "BG-IN002", "empty file"),)
    text, problem = decode(data, name)
    if text is None:
        return (), (problem,) if problem else ()
    kind = _sniff(path, text)
    if kind == "feed":
        from briefgen.ingest.feed import read_feed

        return read_feed(data, name)
    if kind == "markdown":
        from briefgen.ingest.markdown import read_markdown

        article, problems = read_markdown(text, name)
        return ((article,) if article else ()), problems
    if kind == "html":
        from briefgen.ingest.html import read_html

        found = read_html(text, name)
    else:
        from briefgen.ingest.textdump import read_text_dump

        found = read_text_dump(text, name)
    if found is None or not found.paragraphs:
        return (), (diag(name, 0, 0, "BG-IN006", "no article text found"),)
    return (found,), ()


def _file_date(path: Path) -> dt.date:
    """The input's modification date (UTC): stable across re-runs, unlike the clock."""
    return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC).date()


def _same(found: tuple[str, str] | None, identity: tuple[str, str], root: Path) -> bool:
    """True when an existing brief came from the same input, however its path was spelt
    (relative to the digest root, or absolute as older versions wrote from ``serve``)."""
    if found is None or not found[0]:
        return False
    written = Path(found[0])
    written = written if written.is_absolute() else root / written
    return (source_name(written, root), found[1]) == identity


def _choose_path(
    out_dir: Path, name: str, identity: tuple[str, str], claimed: set[Path], root: Path
) -> Path:
    """A free ``<name>.md`` in ``out_dir``, or the brief this same input wrote there before.

    A brief's slug is its file name without the date, so "free" means no other brief, of
    any date, has that slug: two stories with one headline on two days (common in real
    news) get ``…-2`` instead of failing the build with a duplicate slug.
    """
    found = _DATED.match(name)
    prefix, slug = (found.group(0), name[found.end():]) if found else ("", name)
    taken = {_slug_of(p) for p in claimed}
    number = 1
    while True:
        stem = slug if number == 1 else f"{slug}-{number}"
        candidate = out_dir / f"{prefix}{stem}.md"
        if candidate not in claimed and stem not in taken:
            rivals = sorted(p for p in out_dir.glob(f"*{stem}.md") if _slug_of(p) == stem)
            mine = [p for p in rivals if _same(read_identity(p), identity, root)]
            if mine:
                return candidate if candidate in mine else mine[0]
            if not rivals:
                return candidate
        number += 1


_DATED = re.compile(r"\d{4}-\d{2}-\d{2}[-_]")  # the date a brief's file name starts with


def _slug_of(path: Path) -> str:
    """The part of a brief's file name that becomes its slug (see validate.Checker._slug)."""
    return _DATED.sub("", path.stem, count=1) if _DATED.match(path.stem) else path.stem


def run_ingest(
    paths: Sequence[Path],
    out_dir: Path,
    *,
    force: bool = False,
    date: dt.date | None = None,
    dry_run: bool = False,
    on_progress: Callable[[int, int, Path], None] | None = None,
    root: Path | None = None,
) -> IngestReport:
    """Ingest every input into ``out_dir``; one bad file never stops the others.

    ``root`` is the digest's folder (default: the current one): ``source.file`` names each
    input relative to it, so the CLI and ``serve`` write the same and find each other's briefs.
    """
    root = Path.cwd() if root is None else root
    inputs, problems, left_out = collect_inputs(paths, out_dir)
    diagnostics = list(problems)
    failed: list[Path] = [Path(d.pos.path) for d in problems]
    outcomes: dict[str, list[Path]] = {"created": [], "updated": [], "unchanged": []}
    skipped: list[tuple[Path, str]] = []
    claimed: set[Path] = set()
    for index, path in enumerate(inputs, start=1):
        articles, found = read_input(path, source_name(path, root))
        diagnostics.extend(found)
        if not articles:
            failed.append(path)
        retrieved = (date or _file_date(path)) if articles else None
        for article in articles:
            when = article.date or retrieved
            assert when is not None  # nosec B101 - narrows the type for mypy only
            article = enrich(replace(article, title=article.title or path.stem))
            text = article_to_brief_text(article, date=when, retrieved=retrieved)
            target = _choose_path(
                out_dir,
                brief_name(article, when),
                (article.source_file, article.source_url),
                claimed,
                root,
            )
            claimed.add(target)
            try:
                result = write_brief(target, text, force=force, dry_run=dry_run)
            except OSError as exc:
                diagnostics.append(
                    diag(
                        str(target), 0, 0, "BG-IN010", f"cannot write brief: {exc.strerror or exc}"
                    )
                )
                failed.append(path)
                continue
            if result.outcome == "skipped":
                skipped.append((target, result.reason))
                diagnostics.append(
                    diag(str(target), 0, 0, "BG-IN009", result.reason, severity="warning")
                )
            else:
                outcomes[result.outcome].append(target)
        if on_progress is not None:
            on_progress(index, len(inputs), path)
    return IngestReport(
        created=tuple(outcomes["created"]),
        updated=tuple(outcomes["updated"]),
        unchanged=tuple(outcomes["unchanged"]),
        skipped=tuple(skipped),
        not_articles=left_out,
        failed=tuple(dict.fromkeys(failed)),
        diagnostics=tuple(sorted(diagnostics, key=Diagnostic.sort_key)),
    )
