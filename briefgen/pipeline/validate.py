"""Front matter validation: each known key checked for type and value, with its line."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from briefgen.errors import Diagnostic, diag, did_you_mean
from briefgen.model import ENTITY_KINDS, Brief, Entities, Quote, Source
from briefgen.nlp.summarize import summarize_text
from briefgen.slugs import is_safe_slug, slugify
from briefgen.source.markdown import BodyFacts, body_facts

KNOWN_KEYS = (
    "title", "date", "slug", "summary", "key_points", "tags", "section", "entities",
    "quotes", "author", "source", "draft", "updates", "ingest_hash", "related", "id", "lead",
)
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}[-_]")
# Characters that are errors in HTML and XML output (control characters, lone surrogates from
# YAML escapes, non-characters); a brief is plain text, so they point at a damaged file.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SUMMARY_SCAN = 4000  # characters of a paragraph the auto summary looks at (it keeps ~60 words)
AUTO_SUMMARY_PROSE = 100  # words of leading prose the auto summary chooses its sentences from
_SAFE_URL = re.compile(r"^https?://", re.I)


def auto_summary(
    body: str, *, max_words: int = 60, facts: BodyFacts | None = None, title: str = ""
) -> str:
    """A summary for a brief that has none: the one summariser (``summarize_text``, as ingest
    uses) on the prose paragraphs of the one Markdown parse, never code, raw HTML, headings,
    lists or tables. Whole sentences up to ``max_words`` words, chosen among the body's first
    ``AUTO_SUMMARY_PROSE`` words so the cost per brief stays small and fixed; a lone sentence
    longer than that is cut at a word and marked with an ellipsis.
    """
    if facts is None:
        facts = body_facts(body, prose_words=AUTO_SUMMARY_PROSE)
    paragraphs = [p[:_SUMMARY_SCAN] for p in facts.paragraphs]
    summary, _ = summarize_text(title, paragraphs, max_words=max_words, key_points=False,
                                keep_lede=True)
    cut = summary.split()
    if len(cut) > max_words:
        return " ".join(cut[:max_words]).rstrip(",;:") + "…"
    return summary


def line_at(text: str, line: int) -> str:
    lines = text.split("\n", line)
    return lines[line - 1][:200] if 0 < line <= len(lines) else ""


_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")


def _date_reason(text: str, exc: ValueError) -> str:
    """Why ``text`` is not a date, in words ("day 30 is out of range for February 2026")."""
    import calendar

    m = _YMD.match(text)
    if not m:
        return "not in the form YYYY-MM-DD"
    year, month, day = (int(g) for g in m.groups())
    if not 1 <= month <= 12:
        return f"month {month} is out of range (01 to 12)"
    days = calendar.monthrange(year, month)[1] if year >= 1 else 31
    if not 1 <= day <= days:
        return (f"day {day} is out of range for {calendar.month_name[month]} {year} "
                f"(it has {days} days)")
    return str(exc)  # the time or the offset: Python's words are clear enough ("hour must be…")


class Checker:
    """Validates front matter values one key at a time, collecting diagnostics."""

    def __init__(self, rel: str, text: str, positions: Mapping[str, tuple[int, int]]) -> None:
        self.rel = rel
        self.text = text
        self.positions = positions  # dotted key path (``source.url``, ``tags.2``) -> line, col
        self.lines = {k: pos[0] for k, pos in positions.items() if "." not in k}
        self.problems: list[Diagnostic] = []

    def error(self, key: str, code: str, message: str, hint: str, *, at: str = "",
              value: str = "") -> None:
        """Report a problem with ``key``; ``at`` names the nested value when it is known, and
        the caret points at ``value`` on the key's line when given."""
        line, col = self.positions.get(at, self.positions.get(key, (1, 1)))
        source = line_at(self.text, line)
        if value:
            found = source.find(value, source.find(":") + 1) + 1
            col = found if found > 0 else col
        self.problems.append(diag(self.rel, line, col, code, message, hint, source_line=source))

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

    def strings(self, data: dict[str, Any], key: str, value: Any = None, *,
                at: str = "") -> tuple[str, ...]:
        value = data.get(key) if value is None else value
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        at = at or key
        bad = -1 if isinstance(value, list) else 0
        if isinstance(value, list):
            bad = next((i for i, v in enumerate(value)
                        if not isinstance(v, str | int | float) or isinstance(v, bool)), -1)
        if bad >= 0 or not isinstance(value, list):
            name = at.split(".", 1)[-1] if "." in at else key
            self.error(key, "BG-FM006", f"{name!r} must be a list of strings",
                       f"write it as a YAML list, e.g. {name}: [one, two]",
                       at=f"{at}.{bad}" if isinstance(value, list) else at)
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
        reason = ""
        if isinstance(value, str):
            try:
                if len(value.strip()) == 10:
                    return dt.date.fromisoformat(value.strip()), None
                stamp = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
                return stamp.date(), stamp
            except ValueError as exc:
                reason = _date_reason(value.strip(), exc)
        self.error("date", "BG-FM005", f"bad date {value!r}" + (f": {reason}" if reason else ""),
                   "use YYYY-MM-DD or ISO 8601 with a time, e.g. 2026-11-20T09:40:00+01:00",
                   value=str(value).strip())
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
        lead = data.get("lead", False)
        if not isinstance(lead, bool):
            self.error("lead", "BG-FM006", "'lead' must be true or false",
                       "write lead: true to make this brief the front page's lead")
            lead = False
        brief_body = body.strip("\n")
        body_line += len(body) - len(body.lstrip("\n"))  # positions count from the first text
        # The body's one parse: wikilinks, word count, the prose an automatic summary needs,
        # and the HTML, rendered now with slots for the link tables (source.markdown).
        facts = body_facts(brief_body, body_line, prose_words=0 if summary else AUTO_SUMMARY_PROSE,
                           prepare=True)
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
            summary=summary or auto_summary(brief_body, facts=facts, title=title),
            summary_is_auto=not summary,
            draft=draft, lead=lead, body=brief_body, body_line=body_line,
            key_lines=dict(self.lines), content_hash=hashlib.sha256(raw).hexdigest(),
            word_count=facts.words, wikilinks=facts.wikilinks, prepared=facts.prepared,
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
                           "use people, organizations, places or other", at=f"entities.{kind}")
                continue
            kinds[kind] = self.strings(data, "entities", names if names is not None else [],
                                       at=f"entities.{kind}")
        return Entities(**kinds)

    def _quotes(self, data: dict[str, Any]) -> tuple[Quote, ...]:
        value = data.get("quotes")
        if value is None:
            return ()
        quotes: list[Quote] = []
        at = "quotes"
        if isinstance(value, list):
            for index, item in enumerate(value):
                if not (isinstance(item, dict) and isinstance(item.get("text"), str)
                        and isinstance(item.get("speaker", ""), str)):
                    at = f"quotes.{index}"
                    break
                quotes.append(Quote(speaker=" ".join(str(item.get("speaker") or "").split()),
                                    text=" ".join(item["text"].split())))
            else:
                return tuple(quotes)
        self.error("quotes", "BG-FM006", "'quotes' must be a list of {speaker, text} mappings",
                   "e.g. quotes: [{speaker: Jane Doe, text: \"…\"}]", at=at)
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
                           "write it as text", at=f"source.{key}")
                continue
            fields[key] = str(item).strip()
        url = fields.get("url", "")
        if url and not _SAFE_URL.match(url):
            # Only http(s) addresses become links; anything else (javascript:, data:) is dropped.
            line, col = self.positions.get("source.url", self.positions.get("source", (1, 1)))
            self.problems.append(diag(self.rel, line, col, "BG-FM009",
                                      f"source.url {url[:60]!r} is not an http(s) address",
                                      "it is not linked; use an https:// address",
                                      severity="warning"))
            fields["url"] = ""
        return Source(**fields)


def control_in(value: Any) -> str:
    """The first forbidden character in a loaded YAML value (nesting is bounded by yamlpos)."""
    if isinstance(value, str):
        found = CONTROL_CHARS.search(value)
        return found.group() if found else ""
    if isinstance(value, dict):
        return next((c for c in map(control_in, (*value.keys(), *value.values())) if c), "")
    if isinstance(value, list):
        return next((c for c in map(control_in, value) if c), "")
    return ""


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return type(value).__name__
