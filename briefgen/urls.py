"""Where every page lives, and how pages name dates: the vocabulary all stages share.

Paths are site-root paths (``briefs/x.html``). Views, render, editions, email, feeds, the
composer and the dev server all name pages through these functions, so none of them needs
another stage for it. Only the standard library is imported here.
"""

from __future__ import annotations

import datetime as dt


def brief_path(slug: str) -> str:
    """Where a brief's page is written."""
    return f"briefs/{slug}.html"


def tag_path(slug: str) -> str:
    """Where a tag's page is written."""
    return f"tags/{slug}.html"


def entity_path(key: str) -> str:
    """Where an entity's page is written (``key`` is ``kind/slug``)."""
    return f"entities/{key}.html"


def thread_path(slug: str) -> str:
    """Where a story thread's page is written."""
    return f"threads/{slug}.html"


def edition_path(day: dt.date) -> str:
    """Where a day's edition page is written."""
    return f"editions/{day.isoformat()}/index.html"


def index_path(number: int) -> str:
    """Where page ``number`` (1-based) of the digest index is written."""
    return "index.html" if number == 1 else f"page/{number}.html"


def human_date(day: dt.date) -> str:
    """'20 November 2026', locale-free so output never depends on the machine."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def short_date(day: dt.date) -> str:
    """'16 Nov', for compact lines."""
    return f"{day.day} {_MONTHS[day.month - 1][:3]}"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def paged_path(first: str, number: int) -> str:
    """Page ``number`` of a paginated listing whose first page is ``first`` (``x/y.html``)."""
    return first if number == 1 else f"{first.removesuffix('.html')}/page-{number}.html"


def email_path(day: dt.date, suffix: str = "html") -> str:
    """Where a day's email version is written (``suffix`` is ``html`` or ``txt``)."""
    return f"editions/{day.isoformat()}/email.{suffix}"
