"""Unicode-safe slugs and relative URLs between pages of the built site."""

from __future__ import annotations

import functools
import re

from slugify import slugify as _slugify

_SAFE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 80


@functools.lru_cache(maxsize=65536)
def slugify(text: str, *, fallback: str = "brief") -> str:
    """A readable ASCII slug ("İstanbul Holds…" -> "istanbul-holds"); never empty, never a path.

    Memoised: the same tag and entity names are slugified for every page that shows them.
    """
    slug = _slugify(text, max_length=MAX_SLUG, word_boundary=True, save_order=True)
    return slug if _SAFE.match(slug) else fallback


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
