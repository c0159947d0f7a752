"""Unicode-safe slugs and relative URLs between pages of the built site."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping

from slugify import slugify as _slugify

_SAFE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 80

# Names a tag or entity slug must never take: the taxonomy pages live at tags/index.html and
# entities/index.html, and a folder's index.html is what a browser opens for the folder.
RESERVED_SLUGS = frozenset({"index"})
_SEPARATORS = re.compile(r"[\s_\-]+")
# Symbols that carry meaning in names of languages and brands: "C++" and "C#" must not both
# become "c". A "#" only counts after a letter, digit or "+" ("F#"), not as a hashtag ("#eu").
_SHARP = re.compile(r"(?<=[\w+])#")


@functools.lru_cache(maxsize=65536)
def slugify(text: str, *, fallback: str = "brief") -> str:
    """A readable ASCII slug ("İstanbul Holds…" -> "istanbul-holds"); never empty, never a path.

    Memoised: the same tag and entity names are slugified for every page that shows them.
    """
    slug = _slugify(text, max_length=MAX_SLUG, word_boundary=True, save_order=True)
    return slug if _SAFE.match(slug) else fallback


def name_key(text: str) -> str:
    """The identity of a tag name: case, Unicode compatibility forms, the separators (spaces,
    hyphens, underscores) and a leading hashtag "#" do not matter; any other difference
    makes another tag ("C++" and "C#" are two)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = folded.lstrip("#") or folded
    return " ".join(part for part in _SEPARATORS.split(folded) if part)


def _readable(text: str) -> str:
    """``text`` with the symbols that slugify would drop spelled out: "+" as "plus", "#"
    after a word as "sharp", and a symbol with no ASCII form (an emoji) by its Unicode name."""
    text = _SHARP.sub(" sharp ", text.replace("+", " plus "))
    out = []
    for char in text:
        if char.isascii() or unicodedata.category(char) != "So" or _slugify(char):
            out.append(char)
        else:
            out.append(f" {unicodedata.name(char, '')} ")
    return "".join(out)


def _plain(name: str, base: str) -> bool:
    """True when ``base`` spells ``name`` exactly, so no other name has a better claim on it."""
    return "-".join(_SEPARATORS.split(name_key(name))) == base


def _suffix(key: str, length: int) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:length]


def unique_slugs(
    names: Mapping[str, str], *, fallback: str, reserved: frozenset[str] = RESERVED_SLUGS
) -> dict[str, str]:
    """A distinct, safe slug for each distinct name: ``{identity: display name}`` in,
    ``{identity: slug}`` out.

    The result depends only on the set of names, never on their order. A name keeps its
    readable slug unless another name reads the same: then the name the slug spells exactly
    (else the first by identity) keeps it, and each other one gets a short hash of its
    identity appended ("c-3f2a1b"), so it stays the same from build to build. A reserved
    slug ("index") is never given out: that name becomes "<fallback>-index".
    """
    groups: dict[str, list[tuple[bool, str]]] = defaultdict(list)
    for key, name in names.items():
        base = slugify(_readable(name), fallback=fallback)
        plain = _plain(name, base)
        if base in reserved:
            base, plain = f"{fallback}-{base}", False
        groups[base].append((not plain, key))
    result: dict[str, str] = {}
    taken = set(reserved)
    losers: list[tuple[str, str]] = []
    for base, members in groups.items():
        members.sort()
        result[members[0][1]] = base
        taken.add(base)
        losers.extend((key, base) for _, key in members[1:])
    for key, base in sorted(losers):
        length = 6
        while (slug := f"{base}-{_suffix(key, length)}") in taken:
            length += 2  # two identities that share a 6-digit hash prefix: longer ones differ
        result[key] = slug
        taken.add(slug)
    return result


def is_safe_slug(slug: str) -> bool:
    """True when ``slug`` is lowercase ASCII words joined by hyphens (cannot leave a folder)."""
    return bool(_SAFE.match(slug)) and len(slug) <= 200


def relative_url(target: str, from_page: str) -> str:
    """The relative link from the page at ``from_page`` to ``target`` (both site-root paths).

    Paths are posix, normalised and relative to the site root, like ``briefs/x.html``; a target
    ending in ``/`` names a folder's ``index.html`` so links work from ``file://`` too.
    Written by hand instead of ``posixpath.relpath``: it runs for every link of every page,
    and relpath's abspath calls made it the build's hottest function.
    """
    fragment = ""
    if "#" in target:
        target, fragment = target.split("#", 1)
        fragment = "#" + fragment
    if target.endswith("/") or target == "":  # after the split: "#top" names index.html too
        target = target + "index.html"
    here = from_page.split("/")[:-1]
    there = target.split("/")
    common = 0
    limit = min(len(here), len(there) - 1)
    while common < limit and here[common] == there[common]:
        common += 1
    parts = [".."] * (len(here) - common) + there[common:]
    return "/".join(parts) + fragment
