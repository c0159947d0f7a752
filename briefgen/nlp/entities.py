"""Named entities, direct quotes and topic tags of an article (pure, deterministic)."""

from __future__ import annotations

from collections.abc import Sequence

from briefgen.model import ENTITY_KINDS, Entities, Quote
from briefgen.nlp.canonical import canonical_names
from briefgen.nlp.lexicon import STOPWORDS
from briefgen.nlp.mentions import Mention, find_mentions
from briefgen.nlp.namewords import PLACE_HEADS
from briefgen.nlp.quotes import find_quotes
from briefgen.nlp.tags import pick_tags
from briefgen.source.markdown import plain_paragraphs

__all__ = ["extract", "suggest_tags"]


def _surname_index(full_names: Sequence[str]) -> dict[str, str]:
    """Last name -> full name, leaving out surnames two different people share."""
    groups: dict[str, list[str]] = {}
    for name in full_names:
        groups.setdefault(name.split()[-1], []).append(name)
    index: dict[str, str] = {}
    for last, names in groups.items():
        longest = max(names, key=lambda n: (len(n.split()), n))
        # "George Bush" and "George W Bush" are one person; "Ed Balls" and "Tom Balls" are not
        if all(set(n.split()) <= set(longest.split()) for n in names):
            index[last] = longest
    return index


def _loose_kind(name: str) -> str:
    """The kind of a name found with no cue: a place by its head word, else an organisation,
    or "other" for inner capitals and lower-case words ("EastEnders", "Mack the Knife")."""
    parts = name.split()
    if len(parts) >= 2 and parts[-1] in PLACE_HEADS and all(p[:1].isupper() for p in parts):
        return "places"
    if any(c.isupper() for c in name[1:].replace(" ", "")) and len(parts) == 1:
        return "other"
    if any(p[:1].islower() for p in parts) or any(c.isdigit() for c in name):
        return "other"
    if any(p.lower() in STOPWORDS for p in parts[1:]):
        return "other"  # "Design For Life", "If You Tolerate This": titles of works
    return "organizations"


def _resolve(mentions: Sequence[Mention]) -> list[Mention]:
    """Mentions with final kinds and canonical names; doubtful ones dropped."""
    full = list(dict.fromkeys(m.name for m in mentions if m.kind == "people"))
    # after "Hulusi Akar" has been named, a bare "Akar" means him
    surnames = _surname_index(full)
    full_set = set(full)
    # "Mr Balls" says the "Ed Balls" found without a cue is a person
    titled = {m.name for m in mentions if m.kind == "person!"}
    out: list[Mention] = []
    for m in mentions:
        kind, name = m.kind, m.name
        if kind in ("person!", "person?", "single?", "media?"):
            if name in surnames:
                kind, name = "people", surnames[name]
            elif kind == "person!":
                kind = "people"  # "Mr Blair", "President Putin": a title is enough
            elif kind == "media?":
                kind = "organizations"
            else:
                kind = _loose_kind(name)  # "Nintendo", "Westlife", "Vioxx": named once, no cue
        elif kind == "people" and name.split()[-1] in surnames:
            # a shorter form of a longer name ("George Bush" / "George W Bush") is one person
            longest = surnames[name.split()[-1]]
            if set(name.split()) <= set(longest.split()):
                name = longest
        elif kind == "places" and name in surnames:
            kind, name = "people", surnames[name]  # "Kennedy" after "Charles Kennedy"
        elif kind == "unknown":
            titled_name = len(name.split()) <= 3 and name.split()[-1] in titled
            kind = "people" if name in full_set or titled_name else _loose_kind(name)
        out.append(Mention(kind, name, m.paragraph, m.start, m.end, m.key))
    return out


def _longer_names(names: Sequence[str]) -> dict[str, str]:
    """Name -> a longer name that ends with it ("State Department" -> "US State Department")."""
    by_tail: dict[str, list[str]] = {}
    for name in names:
        words = name.split()
        for k in range(1, len(words)):  # every proper word suffix of a name
            by_tail.setdefault(" ".join(words[k:]), []).append(name)
    return {
        name: max(by_tail[name], key=lambda n: (len(n), n)) for name in names if name in by_tail
    }


def _entities(resolved: Sequence[Mention]) -> Entities:
    """Each name once, under one kind, in order of first mention."""
    by_kind: dict[str, list[str]] = {kind: [] for kind in ENTITY_KINDS}
    claimed: dict[str, str] = {}
    people = {m.name.casefold() for m in resolved if m.kind == "people"}
    longer = _longer_names(sorted({m.name for m in resolved if m.kind == "organizations"}))
    for m in resolved:
        name = longer.get(m.name, m.name) if m.kind == "organizations" else m.name
        key = name.casefold()
        if key in claimed or (m.kind != "people" and key in people):
            continue
        claimed[key] = m.kind
        by_kind[m.kind].append(name)
    return Entities(**{kind: tuple(names) for kind, names in by_kind.items()})


def extract(title: str, paragraphs: Sequence[str]) -> tuple[Entities, tuple[Quote, ...]]:
    """People, organisations, places and other names, plus attributed quotes."""
    del title  # headlines are title-cased: every word looks like a name there
    paragraphs = plain_paragraphs(paragraphs)
    resolved = canonical_names(_resolve(find_mentions(paragraphs)))
    return _entities(resolved), find_quotes(paragraphs, resolved)


def suggest_tags(
    title: str, paragraphs: Sequence[str], section: str = "", categories: Sequence[str] = ()
) -> tuple[str, ...]:
    """Up to four lower-case topic tags (see ``briefgen.nlp.tags``)."""
    paragraphs = plain_paragraphs(paragraphs)
    resolved = canonical_names(_resolve(find_mentions(paragraphs)))
    return pick_tags(title, paragraphs, resolved, section, categories)
