"""Find dates and bylines in the free-form lines that pages print around a headline."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

# Month names (and common abbreviations) in the languages the digest meets most often;
# the keys are lower-case and compared after stripping a trailing dot.
_MONTHS: Mapping[str, int] = {
    name: number
    for number, names in enumerate(
        (
            "january jan janvier janv enero ene gennaio genn januar jänner janeiro ocak "
            "января январь",
            "february feb febr février févr febrero febbraio februar fevereiro fev şubat subat "
            "февраля февраль",
            "march mar mars marzo märz marz março mart марта март",
            "april apr avril avr abril aprile nisan апреля апрель",
            "may mai mayo maggio maio mayıs mayis мая май",
            "june jun juin junio giugno juni junho haziran июня июнь",
            "july jul juillet juil julio luglio juli julho temmuz июля июль",
            "august aug août aout agosto ago ağustos agustos августа август",
            "september sep sept septembre septiembre settembre set setembro eylül eylul "
            "сентября сентябрь",
            "october oct octobre octubre ottobre ott oktober okt outubro out ekim октября октябрь",
            "november nov novembre noviembre novembro kasım kasim ноября ноябрь",
            "december dec décembre déc diciembre dic dicembre dezember dez dezembro aralık aralik "
            "декабря декабрь",
        ),
        start=1,
    )
    for name in names.split()
}

_MONTH_RE = r"(?P<month>[^\W\d_]{3,12}\.?)"
_DAY_FIRST = re.compile(
    rf"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|º|\.)?(?:\s+de)?\s+{_MONTH_RE}(?:\s+de)?,?\s+(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_MONTH_FIRST = re.compile(
    rf"\b{_MONTH_RE}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_ISO = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)(?!\d)")
_NUMERIC = re.compile(r"\b(?P<day>[0-3]?\d)[./](?P<month>[01]?\d)[./](?P<year>(?:19|20)\d\d)\b")

_BYLINE = re.compile(
    r"^(?:by|written by|words by|por|von|par|di|da|автор|yazan|yazar)\s*:?\s+"
    r"(?P<name>[^\W\d_][\w.'’\- ]{1,60}?)"
    r"(?:\s*(?:[|,•·—–/]|\band\b|\bin\b|\bon\b|$))",
    re.IGNORECASE,
)
_DATE_WORDS = re.compile(
    r"^(?:published|posted|updated|last updated|first published|date|veröffentlicht|publié|"
    r"publicado|pubblicato|yayınlanma|yayınlandı|опубликовано)\b",
    re.IGNORECASE,
)


def _make(year: int, month: int, day: int) -> dt.date | None:
    """A date, or None when the parts do not form one."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def find_date(text: str) -> dt.date | None:
    """The first calendar date written in ``text``, in any of the usual spellings."""
    best: tuple[int, dt.date] | None = None
    for pattern in (_DAY_FIRST, _MONTH_FIRST):
        for m in pattern.finditer(text):
            month = _MONTHS.get(m.group("month").lower().rstrip("."))
            if month is None:
                continue
            found = _make(int(m.group("year")), month, int(m.group("day")))
            if found and (best is None or m.start() < best[0]):
                best = (m.start(), found)
            break
    for pattern in (_ISO, _NUMERIC):
        numeric = pattern.search(text)
        if numeric:
            found = _make(
                int(numeric.group("year")), int(numeric.group("month")), int(numeric.group("day"))
            )
            if found and (best is None or numeric.start() < best[0]):
                best = (numeric.start(), found)
    return best[1] if best else None


def find_author(line: str) -> str:
    """The person named in a byline such as ``By Jane Doe | 14 January 2026``, or ''."""
    m = _BYLINE.match(line.strip())
    if not m:
        return ""
    name = m.group("name").strip(" .,-")
    words = name.split()
    # A byline names a person: a few capitalised words, not a sentence.
    if not 1 <= len(words) <= 5 or not (words[0][:1].isupper() and words[-1][:1].isupper()):
        return ""
    return name


def is_meta_line(line: str) -> bool:
    """True for a short line that only carries a byline and/or a date."""
    text = line.strip()
    if not text or len(text.split()) > 16:
        return False
    if find_author(text) or _DATE_WORDS.match(text):
        return True
    date = find_date(text)
    if date is None:
        return False
    # Whatever is left after removing the date and time should be little more than labels.
    rest = _ISO.sub("", _NUMERIC.sub("", _DAY_FIRST.sub("", _MONTH_FIRST.sub("", text))))
    rest = re.sub(r"\b\d{1,2}[:.]\d\d\b|\b(?:am|pm|[A-Z]{2,4})\b", "", rest)
    return len(re.findall(r"\w+", rest)) <= 4
