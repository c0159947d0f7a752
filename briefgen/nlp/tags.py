"""Topic tags for a brief: a few named things or topics that group stories, never filler.

A tag earns its chip when a reader would click it to find more stories like this one:
- the source's own categories and section come first;
- then the names the story is about: an organisation, work, event or person named in the
  headline or at least three times;
- a place only when the headline names it, and never beside a place that contains or is
  contained by it ("united kingdom" and "england": the narrower one stays);
- then topic words the story keeps coming back to, never generic words ("best", "game").
At most four tags, lower case, each once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from briefgen.nlp import gazetteer
from briefgen.nlp.gazetteer import fold
from briefgen.nlp.lexicon import GENERIC_WORDS, STOPWORDS, TAG_FILLER
from briefgen.nlp.mentions import Mention
from briefgen.nlp.namewords import DEMONYMS
from briefgen.nlp.sentences import words
from briefgen.nlp.stem import stem

MAX_TAGS = 4
_MAX_NAME_TAGS = 2
_MAX_PLACE_TAGS = 1
_MAX_TAG_WORDS = 3  # long names make poor tags
_MIN_NAME_COUNT = 3
_MIN_TERM_COUNT = 3
_PLAIN = STOPWORDS | GENERIC_WORDS | TAG_FILLER
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def tag_text(text: str) -> str:
    """A lower-case tag: words joined by single spaces, dotless capital I folded."""
    return " ".join(text.replace("İ", "I").lower().split())


def _title_words(title: str) -> set[str]:
    """Accent-free words of the headline."""
    return set(_WORD.findall(fold(title)))


def _in_title(name: str, title_words: set[str]) -> bool:
    """True when every word of a name is in the headline ("Turkey", "S-400")."""
    parts = _WORD.findall(fold(name))
    return bool(parts) and all(p in title_words for p in parts)


def _terms(title: str, paragraphs: Sequence[str]) -> list[str]:
    """Lower-case content words the article keeps coming back to, commonest first; a word
    and its plural count as one, shown in the form used most."""
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for par in paragraphs:
        for w in words(par):
            low = w.lower()
            if w == low and low.isalpha() and len(low) > 3 and not _plain(low):
                key = stem(low)
                counts[key] += 1
                forms.setdefault(key, Counter())[low] += 1
    in_title = {stem(w.lower()) for w in words(title)}
    ranked = sorted(counts, key=lambda t: (-(counts[t] + 3 * (t in in_title)), t))
    return [
        forms[t].most_common(1)[0][0]
        for t in ranked
        if counts[t] >= _MIN_TERM_COUNT or (t in in_title and counts[t] >= 2)
    ]


def _plain(word: str) -> bool:
    """True for function words, generic words and nationality adjectives."""
    singular = word[:-1] if word.endswith("s") else word
    return bool({word, singular} & _PLAIN) or word.title() in DEMONYMS


def _places(mentions: Sequence[Mention], title_words: set[str]) -> list[str]:
    """Places the headline names, the narrowest first, none inside another one kept."""
    seen: dict[str, gazetteer.Place] = {}
    for m in mentions:
        if m.kind == "places" and _in_title(m.name, title_words):
            place = gazetteer.lookup(m.name)
            if place is not None:
                seen.setdefault(place.key, place)
    kept = []
    for place in seen.values():
        country = gazetteer.country_of(place)
        wider = place.key.startswith("country:") and any(
            other is not place and gazetteer.country_of(other) == country for other in seen.values()
        )
        if not wider:
            kept.append(place.name)
    return kept[:_MAX_PLACE_TAGS]


def pick_tags(
    title: str,
    paragraphs: Sequence[str],
    mentions: Sequence[Mention],
    section: str = "",
    categories: Sequence[str] = (),
) -> tuple[str, ...]:
    """Up to four lower-case tags from categories, section, names, places and topic words."""
    tags: list[str] = [tag_text(c) for c in categories if c.strip()]
    if section.strip():
        tags.append(tag_text(section))
    title_words = _title_words(title)
    named = [m for m in mentions if m.kind in ("organizations", "other", "people")]
    counts = Counter(m.name for m in named)
    first = {m.name: n for n, m in reversed(list(enumerate(named)))}

    def weight(name: str) -> tuple[int, int]:
        return (-(counts[name] + 3 * _in_title(name, title_words)), first[name])

    names = [
        n
        for n in sorted(counts, key=weight)
        if (counts[n] >= _MIN_NAME_COUNT or _in_title(n, title_words))
        and len(n.split()) <= _MAX_TAG_WORDS
    ]
    tags.extend(tag_text(n) for n in names[:_MAX_NAME_TAGS])
    tags.extend(tag_text(p) for p in _places(mentions, title_words))
    taken = {w for t in tags for w in t.split()}
    tags.extend(t for t in _terms(title, paragraphs) if t not in taken)
    return tuple(dict.fromkeys(t for t in tags if t))[:MAX_TAGS]
