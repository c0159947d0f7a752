"""Direct quotes and their speakers, from paragraphs and resolved name mentions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from briefgen.model import Quote
from briefgen.nlp.lexicon import SPEECH_VERBS
from briefgen.nlp.mentions import Mention

_QUOTED = re.compile(r"“([^“”]*)(”|$)|\"([^\"]*)(\"|$)")
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"“]?[A-Z]|\s*$)")
_PRONOUN = re.compile(r"\b(?:he|she)\b", re.IGNORECASE)
_SPEECH = re.compile(r"\b(?:" + "|".join(sorted(SPEECH_VERBS)) + r"|according to)\b", re.IGNORECASE)
_MIN_WORDS = 3  # shorter quoted bits are titles or fragments, never quotes
_SCARE_WORDS = 6  # below this a quoted phrase needs an attribution right after it
_MAX_SPLIT_GAP = 60  # characters of attribution between the halves of one quote
_MAX_REPORTED_WORDS = 12  # words between the speech verb and a quote that continues it
_SPEAKER_KINDS = frozenset({"people", "organizations"})


@dataclass(frozen=True, slots=True)
class _Span:
    """A quoted passage: where it opens and closes, and its text."""

    open_par: int
    open_at: int
    close_par: int
    close_at: int  # offset just after the closing mark
    text: str


def _spans(paragraphs: Sequence[str]) -> list[_Span]:
    """Quoted passages; a quote left open continues into a paragraph that opens with a quote."""
    out: list[_Span] = []
    pending: _Span | None = None
    for p_index, par in enumerate(paragraphs):
        pos = 0
        if pending is not None:
            if not par.lstrip().startswith(("“", '"')):
                pending = None  # the quote never closed: not a quote we can trust
            else:
                match = _QUOTED.match(par.lstrip())
                if match is None:
                    pending = None
                else:
                    lead = len(par) - len(par.lstrip())
                    body = match.group(1) if match.group(1) is not None else match.group(3)
                    text = f"{pending.text} {body}"
                    pending = _Span(
                        pending.open_par, pending.open_at, p_index, lead + match.end(), text
                    )
                    if match.group(2) or match.group(4):
                        out.append(pending)
                        pending = None
                    pos = lead + match.end()
        for match in _QUOTED.finditer(par, pos):
            body = match.group(1) if match.group(1) is not None else match.group(3)
            span = _Span(p_index, match.start(), p_index, match.end(), body)
            if match.group(2) or match.group(4):
                out.append(span)
            else:
                pending = span
    return out


def _clean(text: str) -> str:
    """Quote text without edge spaces and with a final comma made a full stop."""
    text = " ".join(text.split())
    return text[:-1] + "." if text.endswith(",") else text


def _after(paragraph: str, at: int) -> str:
    """The rest of the sentence after a closing quote mark."""
    rest = paragraph[at:]
    end = _SENTENCE_END.search(rest)
    return rest[: end.end()] if end else rest


def _before(paragraph: str, at: int) -> str:
    """The sentence text before an opening quote mark."""
    head = paragraph[:at]
    ends = list(_SENTENCE_END.finditer(head))
    return head[ends[-1].end() :] if ends else head


def _speaker_in(mentions: Sequence[Mention], par: int, start: int, end: int, last: bool) -> str:
    """The first (or last) person or organisation named in a paragraph range."""
    found = [
        m.name
        for m in mentions
        if m.paragraph == par and start <= m.start < end and m.kind in _SPEAKER_KINDS
    ]
    if not found:
        return ""
    people = [n for n in found if any(m.name == n and m.kind == "people" for m in mentions)]
    pool = people or found
    return pool[-1] if last else pool[0]


def _previous_person(mentions: Sequence[Mention], par: int, at: int) -> str:
    """The person named last before a position, for "he said"."""
    earlier = [
        m.name for m in mentions if m.kind == "people" and (m.paragraph, m.start) < (par, at)
    ]
    return earlier[-1] if earlier else ""


def _attribute(span: _Span, paragraphs: Sequence[str], mentions: Sequence[Mention]) -> str:
    """Who said a quote: named after it, named before it, or a pronoun for the last person."""
    close_par = paragraphs[span.close_par]
    after = _after(close_par, span.close_at)
    if _SPEECH.search(after) and len(after.split()) <= 40:
        name = _speaker_in(
            mentions, span.close_par, span.close_at, span.close_at + len(after), last=False
        )
        if name:
            return name
        if _PRONOUN.search(after):
            return _previous_person(mentions, span.open_par, span.open_at)
    before = _before(paragraphs[span.open_par], span.open_at)
    verb = _SPEECH.search(before)
    if verb and before.rstrip().endswith((":", ",", "that")):
        start = span.open_at - len(before)
        name = _speaker_in(mentions, span.open_par, start, span.open_at, last=True)
        if name:
            return name
        if _PRONOUN.search(before):
            return _previous_person(mentions, span.open_par, span.open_at)
    if verb and len(before[verb.end() :].split()) <= _MAX_REPORTED_WORDS:
        # Reported speech running into the quote: 'Akar told reporters the deal "would ..."'
        # or 'Akar said the systems would be used "only ..."': the speaker is named before
        # the verb (a surname alone already resolved to the full name).
        start = span.open_at - len(before)
        name = _speaker_in(mentions, span.open_par, start, start + verb.start(), last=True)
        if name:
            return name
    return ""


def _continues(prev: _Span, span: _Span, paragraphs: Sequence[str]) -> bool:
    """True for the second half of a quote split by its attribution ("…,” he said, “but…”)."""
    if prev.close_par != span.open_par or not span.text.lstrip()[:1].islower():
        return False
    gap = paragraphs[span.open_par][prev.close_at : span.open_at]
    return len(gap) <= _MAX_SPLIT_GAP and bool(_SPEECH.search(gap))


def find_quotes(paragraphs: Sequence[str], mentions: Sequence[Mention]) -> tuple[Quote, ...]:
    """Attributed direct quotes, in order, each once."""
    out: list[Quote] = []
    seen: set[str] = set()
    prev: tuple[_Span, str] | None = None  # the last quote kept and its raw text
    for span in _spans(paragraphs):
        if prev is not None and _continues(prev[0], span, paragraphs):
            raw = f"{prev[1].rstrip().rstrip(',')} {span.text.strip()}"
            out[-1] = Quote(speaker=out[-1].speaker, text=_clean(raw))
            prev = (span, raw)
            continue
        text = _clean(span.text)
        n_words = len(text.split())
        if n_words < _MIN_WORDS:
            continue
        speaker = _attribute(span, paragraphs, mentions)
        if not speaker:
            continue  # unattributed: a scare quote, a title or a quote we cannot place
        if n_words < _SCARE_WORDS and (
            text[0].islower()
            or not _SPEECH.search(_after(paragraphs[span.close_par], span.close_at))
        ):
            continue  # a short phrase inside a sentence, not a statement
        if text not in seen:
            seen.add(text)
            out.append(Quote(speaker=speaker, text=text))
            prev = (span, span.text)
    return tuple(out)
