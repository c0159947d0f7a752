"""The one stemmer every text feature uses: Snowball's English (Porter 2) algorithm."""

from __future__ import annotations

import functools

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of a lower-cased word, a trailing possessive dropped."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return str(_STEMMER.stemWord(word))
