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


def canonical_names(mentions: Sequence[Mention]) -> list[Mention]:
    """Mentions with every short form replaced by the one longer name it stands for."""
    multi = [m for m in mentions if " " in m.name and m.kind != "places"]
    people = [m for m in multi if m.kind == "people"]
    out: list[Mention] = []
    for m in mentions:
        full: Mention | None = None
        initial = _INITIAL.fullmatch(m.name) if m.kind == "people" else None
        if initial:  # "J Laharrague" after "Julien Laharrague"
            letter, rest = initial.groups()
            full = _unique(
                [
                    p
                    for p in people
                    if p.name != m.name
                    and p.name.endswith(" " + rest)
                    and p.name.startswith(letter)
                    and not _INITIAL.fullmatch(p.name)
                ]
            )
        elif " " not in m.name and m.kind != "places":
            if _ACRONYM.fullmatch(m.name):  # "MPC" after "Monetary Policy Committee"
                full = _unique([x for x in multi if _initials(x.name) == m.name])
            else:  # "Paula" after "Paula Radcliffe", "Kilroy" after "Robert Kilroy-Silk"
                full = _unique(
                    [
                        p
                        for p in people
                        if p.name.split()[0] == m.name or m.name in p.name.split()[-1].split("-")
                    ]
                )
                if full is None and m.kind != "people":  # "Asahi" after "Asahi Breweries"
                    full = _unique(
                        [
                            x
                            for x in multi
                            if x.kind != "people"
                            and m.name in (x.name.split()[0], x.name.split()[-1])
                        ]
                    )
        if full is not None:
            m = replace(m, kind=full.kind, name=full.name)
        out.append(m)
    return out
