"""One name per entity in a brief: short forms mapped to the full name given elsewhere.

"J Laharrague" and "Julien Laharrague", "Paula" and "Paula Radcliffe", "MPC" and "Monetary
Policy Committee", "Asahi" and "Asahi Breweries" each name one thing; the brief lists the
longest form, under the kind the longest form has.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from briefgen.nlp.mentions import Mention

_INITIAL = re.compile(r"([A-Z])(?:-[A-Z])?\s+(\S.*)")
_ACRONYM = re.compile(r"[A-Z][A-Z&]{1,7}")
_SMALL = frozenset({"of", "the", "for", "and", "on", "de", "&"})


def _initials(name: str) -> str:
    """ "Monetary Policy Committee" -> "MPC"; "UK Independence Party" -> "UKIP"."""
    out = []
    for word in name.split():
        if word in _SMALL:
            continue
        for part in word.split("-"):
            if part.isupper():
                out.append(part)
            elif part[:1].isupper():
                out.append(part[0])
    return "".join(out)


def _unique(candidates: Sequence[Mention]) -> Mention | None:
    """The one full form among candidates, or None when there are none or several."""
    names = {m.name for m in candidates}
    if len(names) != 1:
        return None
    return candidates[0]


class _Index:
    """Full names by the short forms that may stand for them (built once: linear time)."""

    def __init__(self, mentions: Sequence[Mention]) -> None:
        self.by_initial: dict[tuple[str, str], list[Mention]] = {}
        self.by_acronym: dict[str, list[Mention]] = {}
        self.by_person_part: dict[str, list[Mention]] = {}
        self.by_edge_word: dict[str, list[Mention]] = {}
        seen: set[tuple[str, str]] = set()
        for m in mentions:
            if " " not in m.name or m.kind == "places" or (m.kind, m.name) in seen:
                continue
            seen.add((m.kind, m.name))
            words = m.name.split()
            self.by_acronym.setdefault(_initials(m.name), []).append(m)
            if m.kind == "people":
                if not _INITIAL.fullmatch(m.name):
                    rest = m.name.split(" ", 1)[1]
                    self.by_initial.setdefault((m.name[0], rest), []).append(m)
                parts = {words[0], *words[-1].split("-")}
                for part in parts:
                    self.by_person_part.setdefault(part, []).append(m)
            else:
                for word in {words[0], words[-1]}:
                    self.by_edge_word.setdefault(word, []).append(m)

    def full_form(self, m: Mention) -> Mention | None:
        """The longer name a short mention stands for, or None."""
        initial = _INITIAL.fullmatch(m.name) if m.kind == "people" else None
        if initial:  # "J Laharrague" after "Julien Laharrague"
            letter, rest = initial.groups()
            return _unique(self.by_initial.get((letter, rest), []))
        if " " in m.name or m.kind == "places":
            return None
        if _ACRONYM.fullmatch(m.name):  # "MPC" after "Monetary Policy Committee"
            return _unique([x for x in self.by_acronym.get(m.name, []) if x.name != m.name])
        # "Paula" after "Paula Radcliffe", "Kilroy" after "Robert Kilroy-Silk"
        full = _unique(self.by_person_part.get(m.name, []))
        if full is None and m.kind != "people":  # "Asahi" after "Asahi Breweries"
            full = _unique(self.by_edge_word.get(m.name, []))
        return full


def canonical_names(mentions: Sequence[Mention]) -> list[Mention]:
    """Mentions with every short form replaced by the one longer name it stands for."""
    index = _Index(mentions)
    out: list[Mention] = []
    for m in mentions:
        full = index.full_form(m)
        if full is not None:
            m = replace(m, kind=full.kind, name=full.name)
        out.append(m)
    return out
