"""Email-ready editions: ``editions/<date>/email.html`` (inline CSS, tables, 600 px) and ``.txt``.

Newsletter tools and mail clients drop ``<style>`` blocks and external files, so the HTML
template styles every element inline; links are absolute when the site has a base URL, so
they still work once the email has left the site.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from briefgen.config import CONFIG_NAME, Config
from briefgen.errors import Diagnostic, diag
from briefgen.model import LinkGraph, PageSpec
from briefgen.pipeline.editions import Edition, lead_text, plan_editions
from briefgen.slugs import relative_url
from briefgen.urls import brief_path, edition_path, email_path, entity_path, human_date, tag_path

KEY_POINTS = 3


def plan_emails(config: Config, graph: LinkGraph) -> list[PageSpec]:
    """The HTML and plain-text email of every edition."""
    pages: list[PageSpec] = []
    for edition in plan_editions(graph):
        for suffix in ("html", "txt"):
            path = email_path(edition.date, suffix)
            pages.append(PageSpec(path=path, template=f"email/edition.{suffix}",
                                  view=email_view(config, graph, edition, path)))
    return pages


def email_warnings(config: Config, emails: list[PageSpec]) -> list[Diagnostic]:
    """One warning for the whole build when emails are written without ``base_url``: their
    links are then relative ("../../briefs/x.html") and break once the email is sent."""
    if config.site_url or not emails:
        return []
    line = 0
    try:
        from briefgen.source.yamlpos import top_key_lines

        text = config.path(CONFIG_NAME).read_text(encoding="utf-8")
        line = top_key_lines(text).get("base_url", 0)
    except (OSError, UnicodeDecodeError, ValueError):
        pass  # no config file (or an unreadable one, reported elsewhere): no line to point at
    return [diag(CONFIG_NAME, line, 1 if line else 0, "BG-EM001",
                 f"base_url is not set, so the {len(emails) // 2} email edition(s) "
                 "(editions/<date>/email.html and email.txt) link with relative paths, "
                 "which break in every mailbox",
                 "set base_url in briefgen.yaml (e.g. base_url: https://you.github.io/digest/) "
                 "or build with --base-url URL", severity="warning")]


def email_view(config: Config, graph: LinkGraph, edition: Edition,
               page_path: str) -> dict[str, Any]:
    """Everything the email templates show, with every link ready to use."""
    def href(target: str) -> str:
        return config.site_url + target if config.site_url else relative_url(target, page_path)

    def neighbour(day: dt.date | None) -> dict[str, str] | None:
        return {"date_human": human_date(day), "href": href(edition_path(day))} if day else None

    briefs = []
    for slug in edition.slugs:
        brief = graph.briefs[slug]
        meta = [brief.time.strftime("%H:%M") if brief.time else "", brief.source.name,
                brief.section]
        briefs.append({"title": brief.title, "href": href(brief_path(slug)),
                       "meta": " · ".join(m for m in meta if m), "summary": brief.summary,
                       "key_points": list(brief.key_points[:KEY_POINTS])})
    topics = [{"name": f"#{graph.tags[t].name}", "href": href(tag_path(t))}
              for t in edition.new_tags]
    topics += [{"name": graph.entities[k].name, "href": href(entity_path(k))}
               for k in edition.new_entities]
    return {
        "kind": "email",
        "title": f"{config.title}: {human_date(edition.date)}",
        "site_title": config.title,
        "description": config.description,
        "date": edition.date.isoformat(),
        "date_human": human_date(edition.date),
        "lead": lead_text(edition, graph),
        "count": len(edition.slugs),
        "top": [{"title": graph.briefs[s].title, "href": href(brief_path(s))}
                for s in edition.top],
        "developing": [{"title": graph.briefs[s].title, "href": href(brief_path(s)),
                        "earlier_title": graph.briefs[e].title,
                        "earlier_href": href(brief_path(e)),
                        "earlier_date": human_date(graph.briefs[e].date)}
                       for s, e in edition.developing],
        "new_topics": topics,
        "briefs": briefs,
        "web_href": href(edition_path(edition.date)),
        "home_href": href("index.html"),
        "feed_href": href("feed.xml"),
        "previous": neighbour(edition.previous),
        "next": neighbour(edition.next),
    }
