"""Given names from gender-guesser's packaged name dictionary, loaded once on first use.

A capitalised pair such as "Kate Bosworth" has no title or speech verb to say it names a
person; a known given name in front is the evidence. gender-guesser ships the dictionary
(about 45,000 given names from many countries) inside its wheel, so nothing is downloaded
at run time. Only the names are read here, not the gender columns.
"""

from __future__ import annotations

import functools
from importlib import resources

# Given names that are far more often something else at the start of a capitalised run.
_NOT_GIVEN = frozenset(
    """
    May Grant Rich Hope Faith Summer Winter Royal Major General Pop Star Rock France
    Page Paris Chelsea Jersey Georgia Jordan Israel China India Victoria Lincoln Washington
    Abbey Park Street Bay Sky Sun Jack Union Wall Young New Old Best Golden Silver Golden Art
    Ray Sea River Liberty Justice Grace Joy Glory Ocean Rose Iris Jade Ruby Amber Crystal
    Dawn Eve Star Angel Prince Duke King Baron Earl Bishop Mayor Guy Ira Ban Hong Kong
    """.split()  # noqa: SIM905 - a word list reads better as text
)


@functools.cache
def _names() -> frozenset[str]:
    """Every given name in the dictionary, as written there (capitalised)."""
    found: set[str] = set()
    data = resources.files("gender_guesser").joinpath("data/nam_dict.txt")
    with data.open("r", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#") or len(line) < 31:
                continue
            # Columns: a gender code, then the name (with "+" for a space) up to column 30.
            name = line[2:29].strip().replace("+", " ")
            if name and " " not in name and name.isalpha():
                found.add(name)
    return frozenset(found - _NOT_GIVEN)


def is_given_name(word: str) -> bool:
    """True when ``word`` is a known given name ("Kate", "Orlando", "Hicham")."""
    return word in _names()
