"""Turn an article into brief text; write briefs atomically, never over a person's edits."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from briefgen.ingest.article import Article
from briefgen.model import Entities
from briefgen.nlp.entities import extract, suggest_tags
from briefgen.nlp.summarize import summarize, with_quotes
from briefgen.source.files import MAX_BRIEF_BYTES, read_regular
from briefgen.source.frontmatter import FrontMatterError
from briefgen.source.frontmatter import read as read_front_matter
from briefgen.store.atomic import write_atomic

HASH_KEY = "ingest_hash"
_HASH_LINE = re.compile(rf"^{HASH_KEY}:[^\n]*\n", re.MULTILINE)
MAX_SLUG = 80
# Briefs are meant to be read in about 60 words; ROUGE-1 precision at that length is what
# benchmarks/eval_quality.py checks (issue 16).
SUMMARY_MAX_WORDS = 60


def enrich(article: Article) -> Article:
    """Fill in summary, key points, entities, quotes and tags the article does not have yet."""
    plain = tuple(p for p in article.paragraphs if p.strip())
    summary, key_points = article.summary, article.key_points
    points: tuple[str, ...] = ()
    if not summary:
        summary, points = summarize(article.title, plain, max_words=SUMMARY_MAX_WORDS)
        key_points = key_points or tuple(points)
    entities, quotes, tags = article.entities, article.quotes, article.tags
    if entities is None or quotes is None:
        found_entities, found_quotes = extract(article.title, plain)
        entities = entities if entities is not None else found_entities
        quotes = quotes if quotes is not None else found_quotes
    if points and not article.key_points:  # too few points of our own: attributed quotes too
        people = set((entities or Entities()).people)  # a speaker we know to be a person
        said = [(q.speaker, q.text) for q in quotes or () if q.speaker in people]
        key_points = with_quotes(summary, points, said)
    tags = tags or tuple(suggest_tags(article.title, plain, article.section, article.categories))
    return replace(
        article, summary=summary, key_points=key_points, entities=entities, quotes=quotes, tags=tags
    )


def _front_matter(article: Article, date: dt.date, retrieved: dt.date) -> dict[str, Any]:
    """The front matter in its fixed key order; empty optional fields are left out."""
    data: dict[str, Any] = {"title": article.title, "date": date}
    if article.author:
        data["author"] = article.author
    if article.section:
        data["section"] = article.section
    if article.summary:
        data["summary"] = article.summary
    if article.key_points:
        data["key_points"] = list(article.key_points)
    if article.tags:
        data["tags"] = list(article.tags)
    entities = article.entities or Entities()
    if entities.all():
        data["entities"] = {kind: list(names) for kind, names in entities.by_kind() if names}
    if article.quotes:
        data["quotes"] = [{"speaker": q.speaker, "text": q.text} for q in article.quotes]
    data.update(dict(article.extra))
    source: dict[str, Any] = {}
    if article.source_name:
        source["name"] = article.source_name
    if article.source_url:
        source["url"] = article.source_url
    source["file"] = article.source_file
    source["retrieved"] = retrieved
    data["source"] = source
    return data


def content_hash(text: str) -> str:
    """The sha256 of a brief's text without its ``ingest_hash`` line."""
    return hashlib.sha256(_HASH_LINE.sub("", text, count=1).encode("utf-8")).hexdigest()


class _PlainDumper(yaml.SafeDumper):
    """Never writes ``&anchor``/``*alias``: a person edits these files, so equal values
    (the date and ``retrieved``) are written out twice rather than linked."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def article_to_brief_text(
    article: Article, *, date: dt.date | None = None, retrieved: dt.date | None = None
) -> str:
    """The complete brief (front matter, ``ingest_hash`` and body) for an enriched article."""
    when = article.date or date or retrieved or dt.date(1970, 1, 1)
    yaml_text = yaml.dump(
        _front_matter(article, when, retrieved or when),
        Dumper=_PlainDumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=False,
    )
    body = article.body_markdown.strip("\n")
    text = f"---\n{yaml_text}---\n\n{body}\n" if body else f"---\n{yaml_text}---\n"
    digest = content_hash(text)
    return text.replace("\n---\n", f"\n{HASH_KEY}: {digest}\n---\n", 1)


def brief_name(article: Article, date: dt.date) -> str:
    """``<date>-<slug>``: readable ASCII from the title in any language, at most ~80 characters."""
    from slugify import slugify

    slug = (
        slugify(article.title, max_length=MAX_SLUG, word_boundary=True, save_order=True) or "brief"
    )
    return f"{date.isoformat()}-{slug}"


def is_edited(text: str) -> bool:
    """True when a brief no longer matches the hash ingest recorded (or never had one)."""
    m = re.search(rf"^{HASH_KEY}:\s*([0-9a-f]{{64}})\s*$", text, re.MULTILINE)
    return m is None or m.group(1) != content_hash(text)


def read_identity(path: Path) -> tuple[str, str] | None:
    """``(source.file, source.url)`` of an existing brief, or None when it cannot be read."""
    try:
        text = read_regular(path, MAX_BRIEF_BYTES)[0].decode("utf-8")  # never a FIFO
    except (OSError, UnicodeDecodeError):
        return None
    try:
        meta = read_front_matter(text).data
    except FrontMatterError:
        return None
    source = meta.get("source") if isinstance(meta, dict) else None
    if not isinstance(source, dict):
        return None
    return str(source.get("file") or ""), str(source.get("url") or "")


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteResult:
    """What happened to one brief on disk: created, updated, unchanged or skipped (with why)."""

    path: Path
    outcome: str
    reason: str = ""


def write_brief(
    path: Path, text: str, *, force: bool = False, dry_run: bool = False
) -> WriteResult:
    """Write ``text`` to ``path`` atomically, unless it is there already or a person edited it."""
    if len(text.encode("utf-8")) > MAX_BRIEF_BYTES:  # load would refuse it
        return WriteResult(path=path, outcome="skipped",
                           reason=f"the brief would be over {MAX_BRIEF_BYTES >> 20} MiB")
    if path.exists():
        try:
            current = read_regular(path, MAX_BRIEF_BYTES)[0].decode("utf-8")
        except (OSError, UnicodeDecodeError):
            current = ""
        if current == text:
            return WriteResult(path=path, outcome="unchanged")
        if is_edited(current) and not force:
            return WriteResult(
                path=path, outcome="skipped", reason="edited since ingest; use --force to overwrite"
            )
        outcome = "updated"
    else:
        outcome = "created"
    if not dry_run:
        write_atomic(path, text)
    return WriteResult(path=path, outcome=outcome)
