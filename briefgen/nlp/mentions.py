"""Find candidate name mentions in paragraphs and give each a kind by rule."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from briefgen.nlp import gazetteer
from briefgen.nlp.firstnames import is_given_name
from briefgen.nlp.lexicon import CONTEXT_OPENERS, GENERIC_WORDS, SPEECH_VERBS, STOPWORDS
from briefgen.nlp.namewords import (
    CALENDAR,
    DEMONYM_NOUNS,
    DEMONYMS,
    EVENT_HEADS,
    EVENT_TAILS,
    INSTITUTION_WORDS,
    INSTITUTIONS,
    LAW_HEADS,
    MEDIA_CUES,
    NAME_PARTICLES,
    ORG_CONNECTORS,
    ORG_HEADS,
    PLAIN_ACRONYMS,
    ROLE_CUES,
    ROLE_WORDS,
)
from briefgen.nlp.tokens import INNER_CAP as _INNER_CAP
from briefgen.nlp.tokens import Token, tokenize
from briefgen.nlp.tokens import bare as _bare
from briefgen.nlp.tokens import code_name as _code_name
from briefgen.nlp.tokens import is_acronym as _is_acronym
from briefgen.nlp.tokens import is_cap as _is_cap
from briefgen.nlp.tokens import is_code as _is_code
from briefgen.nlp.tokens import is_possessive as _is_possessive

_ENDING = frozenset(".!?")
_INVERTED_SPEECH = SPEECH_VERBS - frozenset({"told", "tells", "asked", "asks", "urged", "urges"})
_SPLITTERS = frozenset({"and", "the", "of", "for", "on"})
_DESCRIPTIVE = ROLE_WORDS | INSTITUTION_WORDS | DEMONYMS | CALENDAR
_INITIALS = re.compile(r"[A-Z](?:-[A-Z])?")
# What follows a sentence-initial name used as the subject ("Sony will", "Kirin, the ...").
_UNITS = frozenset({"%", "per", "percent", "million", "billion", "m", "bn", "years", "pc", "-"})
_SUBJECT_NEXT = frozenset({",", "will", "has", "had", "is", "was", "said", "says", "plans"})


@dataclass(frozen=True, slots=True)
class Mention:
    """One candidate name: its kind, surface name and place in the article."""

    kind: str  # people, organizations, places, other; "person?" or "single?" when unresolved
    name: str
    paragraph: int
    start: int
    end: int
    key: str = ""  # merge key for places


def _common(word: str, lower_words: frozenset[str]) -> bool:
    """True for everyday words that are capitalised only because they start a sentence."""
    low = _bare(word).lower()
    return (
        low in STOPWORDS
        or low in CONTEXT_OPENERS
        or low in GENERIC_WORDS
        or low in lower_words
        or _bare(word) in DEMONYMS
        or (low.endswith("s") and (word[:-1] in DEMONYMS or low[:-1] in ROLE_CUES))
        or low.startswith(("i'", "i’"))  # "I've", "I'm"
        or low.endswith("ly")
    )


def _spans(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """Index ranges of capitalised runs, joined by lower-case name connectors."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(tokens)
    while i < n:
        if not (tokens[i].text[0].isalnum() and _is_cap(tokens[i].text)):
            i += 1
            continue
        j = i + 1
        while j < n and not _is_possessive(tokens[j - 1].text):
            if tokens[j].text[0].isalnum() and _is_cap(tokens[j].text) and not tokens[j].initial:
                j += 1
                continue
            k = j
            while k < n and (tokens[k].text in ORG_CONNECTORS or tokens[k].text in NAME_PARTICLES):
                k += 1
            nxt = tokens[k].text if k < n else ""
            if k > j and nxt[:1].isalnum() and _is_cap(nxt) and nxt not in CALENDAR:
                j = k + 1
                continue
            break
        number = tokens[j].text if j < n else ""
        last = tokens[j - 1].text
        short = len(number) <= 3 or (len(number) == 4 and last in LAW_HEADS)
        unit = tokens[j + 1].text.lower() if j + 1 < n else ""
        if (
            number.isdigit()
            and short
            and _bare(last) == last
            and last not in CALENDAR
            and unit not in _UNITS
            and not gazetteer.lookup(last)
            and not (j - i == 1 and tokens[i].initial)  # "Meanwhile 70 Hong Kong stars"
        ):
            j += 1  # "Halo 2", "Nikkei 225", "BBC Radio 4", "Terrorism Act 2000"
            while j < n and _is_cap(tokens[j].text) and not tokens[j].initial:
                j += 1  # "BBC 6 Music", "Super Mario 64 DS"
        elif j < n and tokens[j].text in EVENT_TAILS and not _is_possessive(last):
            j += 1  # "Iraq war", "Asian tsunami": the event, not the place
        out.append((i, j))
        i = j
    return out


def _name_like(text: str, lower_words: frozenset[str]) -> bool:
    """True for words that can be part of a person's name."""
    bare = _bare(text)
    return (
        bare[0].isupper()
        and any(c.islower() for c in bare[:-1])  # "MPs" is an acronym, not a name
        and not _is_code(bare)
        and bare not in ROLE_WORDS
        and bare not in INSTITUTION_WORDS
        and bare not in LAW_HEADS
        and bare not in DEMONYMS
        and bare not in CALENDAR
        and bare not in EVENT_HEADS
        and not _common(bare, lower_words)
    )


@dataclass(frozen=True, slots=True)
class _Context:
    """What surrounds a span: the paragraph, its words and the article's lower-case words."""

    paragraph: int
    tokens: Sequence[Token]
    lower_words: frozenset[str]


def _words_before(ctx: _Context, i: int, count: int) -> list[str]:
    """Up to ``count`` lower-cased tokens before index ``i``, nearest last."""
    return [t.text.lower() for t in ctx.tokens[max(0, i - count) : i]]


def _person_cue(ctx: _Context, i: int, j: int) -> bool:
    """True when the words around tokens[i:j] say it names a person."""
    before = _words_before(ctx, i, 2)
    after = [t.text.lower() for t in ctx.tokens[j : j + 3]]
    # "..., said Ruslan Pukhov" names the speaker; "told X" names the listener.
    if before[-1:] and (before[-1] in ROLE_CUES or before[-1] in _INVERTED_SPEECH):
        return True
    if before == ["according", "to"] or any(_bare(t.text) in ROLE_WORDS for t in ctx.tokens[i:j]):
        return True
    if after[:1] and after[0] in SPEECH_VERBS:
        return True
    return after[:2] in (["has", "said"], ["had", "said"], ["also", "said"], [",", "who"])


def _mention(kind: str, ctx: _Context, toks: Sequence[Token], name: str, key: str = "") -> Mention:
    """A mention covering the given tokens."""
    return Mention(kind, name, ctx.paragraph, toks[0].start, toks[-1].end, key)


def _join(toks: Sequence[Token]) -> str:
    """Surface text of tokens, the last one without a possessive."""
    parts = [t.text for t in toks[:-1]] + [_bare(toks[-1].text)]
    return " ".join(parts).replace(" - ", "-")


def _strip_role(toks: Sequence[Token]) -> Sequence[Token]:
    """Drop a leading job title ("Director of the", "Turkish Minister of") from a span."""
    last_role = -1
    for k, t in enumerate(toks):
        if _bare(t.text) in ROLE_WORDS:
            last_role = k
    start = last_role + 1
    while start < len(toks) and toks[start].text in ORG_CONNECTORS:
        start += 1
    return toks[start:]


def _is_org(toks: Sequence[Token]) -> bool:
    """An organisation's name ends in a head word or has one before of/for/on."""
    texts = [_bare(t.text) for t in toks]
    if texts[-1] in ORG_HEADS:
        return True
    return any(
        a in ORG_HEADS and b in ORG_CONNECTORS and b != "and" for a, b in itertools.pairwise(texts)
    )


def _loose_tail(toks: Sequence[Token]) -> Sequence[Token]:
    """The words after the last "and" when they cannot belong to the institution's name."""
    cut = max((k for k, t in enumerate(toks) if t.text == "and"), default=-1)
    if cut <= 0:
        return ()
    tail = toks[cut + 1 :]
    named = len(tail) >= 2 and _is_org(tail) and _bare(tail[0].text) not in INSTITUTION_WORDS
    if _bare(toks[cut - 1].text) in ORG_HEADS or named:
        return tail  # "Deutsche Bank and Credit Suisse", "BBC One and BBC News": two names
    words = [_bare(t.text) for t in tail if t.text != "the"]
    if any(w in INSTITUTION_WORDS for w in words) or gazetteer.lookup(" ".join(words)):
        return ()
    return tail


def _classify_rest(ctx: _Context, toks: Sequence[Token], i: int) -> list[Mention]:
    """Organisations, places, laws and single words in a span that is not a person."""
    texts = [_bare(t.text) for t in toks]
    if len(toks) >= 2 and (
        texts[-1] in LAW_HEADS or texts[-1] in EVENT_HEADS or toks[-1].text in EVENT_TAILS
    ):
        return [_mention("other", ctx, toks, _join(toks))]
    after = ctx.tokens[i + len(toks)].text if i + len(toks) < len(ctx.tokens) else ""
    if len(toks) >= 2 and texts[-1] in ("News", "Online") and after in ("website", "site"):
        toks, texts = toks[:-1], texts[:-1]  # "the BBC News website" is the BBC's site
    core = _strip_role(toks)
    if len(core) >= 2 and _is_org(core):
        tail = _loose_tail(core)
        if tail:  # "Disney Corporation and Saudi Arabian": the org ends before "and"
            head = core[: len(core) - len(tail) - 1]
            return [*_classify_rest(ctx, head, i), *_classify_rest(ctx, tail, i + len(head) + 1)]
        return [_mention("organizations", ctx, core, _join(core))]
    place = gazetteer.lookup(" ".join(texts))
    if place:
        return [_mention("places", ctx, toks, place.name, place.key)]
    if len(toks) == 1:
        return _single(ctx, toks[0], i)
    # "US President" or "Moscow State" leftovers: keep a leading place name.
    lead = gazetteer.lookup(texts[0])
    if lead and texts[1] in ROLE_WORDS:
        return [_mention("places", ctx, toks[:1], lead.name, lead.key)]
    if lead and len(toks) == 2 and texts[1] in INSTITUTION_WORDS:
        return [_mention("organizations", ctx, toks, _join(toks))]  # "Manchester United"
    ands = [k for k, t in enumerate(toks) if t.text == "and"]
    cuts = ands or [k for k, t in enumerate(toks) if t.text in _SPLITTERS]
    if cuts:  # "Ankara and Washington": classify the parts on their own
        out: list[Mention] = []
        prev = 0
        for k in [*cuts, len(toks)]:
            if k > prev:
                out.extend(_classify_rest(ctx, toks[prev:k], i + prev))
            prev = k + 1
        resolved = any(m.kind in ("people", "organizations", "places", "other") for m in out)
        if ands or resolved or any(toks[k].text not in ("the", "of") for k in cuts):
            return out  # "Design For Life on BBC 6 Music": two names
        # "Beyond the Sea", "Mack the Knife": a title with small words is one name
    return _unknown(ctx, toks)


def _unknown(ctx: _Context, toks: Sequence[Token]) -> list[Mention]:
    """A capitalised run no rule knows, less its calendar words and trailing job titles."""
    toks = list(toks)
    while toks and _bare(toks[0].text) in CALENDAR:
        toks.pop(0)
    while toks and (_bare(toks[-1].text) in ROLE_WORDS or toks[-1].text in PLAIN_ACRONYMS):
        toks.pop()  # "Tory MP", "Lord Chancellor Lord"
    if len(toks) >= 2 and toks[0].text == "The" and _bare(toks[1].text) in _DESCRIPTIVE:
        toks.pop(0)  # "The American Red Cross"
    while len(toks) >= 3 and toks[0].text in DEMONYM_NOUNS:
        toks.pop(0)  # "Dutchman Arnoud Okken"
    if len(toks) >= 2 and _bare(toks[0].text) in ROLE_WORDS:
        rest = toks[1:]
        if all(_name_like(t.text, ctx.lower_words) for t in rest) and len(rest) <= 3:
            kind = "person!" if len(rest) == 1 else "people"  # "Mr Abbasi"
            return [_mention(kind, ctx, rest, _join(rest))]
    while toks and toks[-1].text in ORG_CONNECTORS:
        toks.pop()
    if not toks or all(
        _bare(t.text) in _DESCRIPTIVE or t.text in PLAIN_ACRONYMS or t.text in ORG_CONNECTORS
        for t in toks
    ):
        return []  # "Defence Secretary", "Finnish TV": descriptions, not names
    place = gazetteer.lookup(_join(toks))
    if place:  # "US TV" less "TV"
        return [_mention("places", ctx, toks, place.name, place.key)]
    return [_mention(_unknown_kind(ctx, toks), ctx, toks, _join(toks))]


def _unknown_kind(ctx: _Context, toks: Sequence[Token]) -> str:
    """ "Kate Bosworth": a given name then name words is a person even without a cue;
    so is an initial before a surname in a team list ("D Traille", "J-P Grandclaude")."""
    first = _bare(toks[0].text).split("-")[0]
    initials = _INITIALS.fullmatch(toks[0].text)
    if (
        initials
        and 2 <= len(toks) <= 3
        and all(_name_like(t.text, ctx.lower_words) for t in toks[1:])
    ):
        return "people"
    if (
        2 <= len(toks) <= 4
        and is_given_name(first)
        and not gazetteer.lookup(first)  # "France Televisions"
        and all(_name_like(t.text, ctx.lower_words) or t.text in NAME_PARTICLES for t in toks)
    ):
        return "people"
    return "unknown"


def _single(ctx: _Context, tok: Token, i: int) -> list[Mention]:
    """Classify a lone capitalised word by form and by its neighbours."""
    text = _bare(tok.text)
    if _is_acronym(text) and text not in PLAIN_ACRONYMS:
        place = gazetteer.lookup(text)
        if place:
            return [_mention("places", ctx, [tok], place.name, place.key)]
        return [_mention("organizations", ctx, [tok], text.replace(".", ""))]
    if text in INSTITUTIONS:
        return [_mention("organizations", ctx, [tok], text)]
    nxt = ctx.tokens[i + 1].text.lower() if i + 1 < len(ctx.tokens) else ""
    if _INNER_CAP.match(text):
        return [_mention("single?", ctx, [tok], text)]  # "iTunes", "eBay", "al-Qaeda"
    if not _name_like(text, ctx.lower_words):
        return []
    if tok.initial and nxt not in _SUBJECT_NEXT:
        return []  # a capitalised first word of a sentence is no evidence of a name
    before = _words_before(ctx, i, 2)
    if (before[-1:] == ["told"] and nxt in _ENDING) or (before[-1:] and before[-1] in MEDIA_CUES):
        return [_mention("media?", ctx, [tok], text)]
    if nxt in MEDIA_CUES or nxt in ("reported", "reports") or before == ["according", "to"]:
        return [_mention("media?", ctx, [tok], text)]
    return [_mention("single?", ctx, [tok], text)]


def _classify(ctx: _Context, i: int, j: int) -> list[Mention]:
    """Mentions found in the capitalised run tokens[i:j]."""
    toks = list(ctx.tokens[i:j])
    while (
        toks
        and toks[0].initial
        and _common(toks[0].text, ctx.lower_words)
        and not _is_code(toks[0].text)
    ):
        toks.pop(0)
        i += 1
    while toks and (toks[0].text in ORG_CONNECTORS or toks[0].text in NAME_PARTICLES):
        toks.pop(0)
        i += 1
    while toks and toks[-1].text in ORG_CONNECTORS:
        toks.pop()
    if not toks:
        return []
    codes = [k for k, t in enumerate(toks) if _is_code(t.text)]
    if codes and not (len(toks) >= 2 and _bare(toks[-1].text) in LAW_HEADS):
        out = [_mention("other", ctx, [toks[k]], _code_name(toks[k].text)) for k in codes]
        pieces, prev = [], 0
        for k in [*codes, len(toks)]:
            if k > prev:
                pieces.append((prev, k))
            prev = k + 1
        for a, b in pieces:
            out.extend(_classify_run(ctx, toks[a:b], i + a))
        return out
    return _classify_run(ctx, toks, i)


def _is_initial(text: str) -> bool:
    """A middle initial such as the W in "George W Bush"."""
    return len(text) == 1 and text.isupper()


def _name_start(ctx: _Context, toks: Sequence[Token]) -> int:
    """Index where a trailing person's name (at most four words) begins in a run."""
    k = len(toks)
    while (
        k > 0
        and len(toks) - k < 4
        and (
            _name_like(toks[k - 1].text, ctx.lower_words)
            or (k < len(toks) and toks[k - 1].text in NAME_PARTICLES)
            or (k < len(toks) and _is_initial(toks[k - 1].text))
        )
    ):
        k -= 1
    while k < len(toks) and toks[k].text in NAME_PARTICLES:
        k += 1
    return k


def _person_of(ctx: _Context, toks: Sequence[Token], i: int) -> list[Mention]:
    """ "Analyst Priya Raman of Harbourview Capital": a titled name, then an institution."""
    cut = next((c for c, t in enumerate(toks) if t.text == "of"), 0)
    left = toks[:cut]
    k = _name_start(ctx, left)
    if cut == 0 or len(left) - k < 2:
        return []
    where = _classify_rest(ctx, toks[cut + 1 :], i + cut + 1)
    if not any(m.kind in ("organizations", "places") for m in where):
        return []  # "of" must lead to an institution or a place, as in a job line
    rest = _classify_rest(ctx, left[:k], i) if k else []
    return [*rest, _mention("people", ctx, left[k:], _join(left[k:])), *where]


def _classify_run(ctx: _Context, toks: Sequence[Token], i: int) -> list[Mention]:
    """People first (a name at the end of the run), then the rest."""
    j = i + len(toks)
    lone = _bare(toks[0].text) if len(toks) == 1 else ""
    if lone and (lone in INSTITUTIONS or _is_acronym(lone)):
        return _classify_rest(ctx, toks, i)  # "the Kremlin warned": an institution speaking
    if not _person_cue(ctx, i, j) or gazetteer.lookup(_join(toks)):
        return _classify_rest(ctx, toks, i)
    titled_of = _person_of(ctx, toks, i)
    if titled_of:
        return titled_of
    k = _name_start(ctx, toks)
    name = toks[k:]
    if k and toks[k - 1].text in _SPLITTERS:
        return _classify_rest(ctx, toks, i)  # "Department of Commerce": an institution's tail
    rest = _classify_rest(ctx, toks[:k], i) if k else []
    if len(name) >= 2 and not _is_country(name[0].text):
        return [*rest, _mention("people", ctx, name, _join(name))]
    if len(name) == 1 and (k > 0 or _person_cue(ctx, j - 1, j)):
        honorific = k > 0 and _bare(toks[k - 1].text) in ROLE_WORDS
        if gazetteer.lookup(_bare(name[0].text)) and not honorific:
            return [*rest, *_classify_rest(ctx, name, j - 1)]
        kind = "person!" if honorific else "person?"
        return [*rest, _mention(kind, ctx, name, _bare(name[0].text))]
    return _classify_rest(ctx, toks, i)


def _is_country(text: str) -> bool:
    """True when a word names a country."""
    place = gazetteer.lookup(_bare(text))
    return bool(place and place.key.startswith("country:"))


def find_mentions(paragraphs: Sequence[str]) -> list[Mention]:
    """Every candidate mention, in document order."""
    tokenized = [tokenize(p) for p in paragraphs]
    lower = frozenset(
        t.text.lower()
        for toks in tokenized
        for t in toks
        if t.text[0].islower() and t.text.isalpha()
    )
    out: list[Mention] = []
    for p_index, toks in enumerate(tokenized):
        ctx = _Context(p_index, toks, lower)
        for i, j in _spans(toks):
            out.extend(_classify(ctx, i, j))
    return out
