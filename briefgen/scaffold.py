"""``briefgen init`` and ``briefgen new``: files a person starts from."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from briefgen.config import CONFIG_NAME, Config
from briefgen.slugs import slugify

PAGES_WORKFLOW = """\
# Builds the digest and publishes it with GitHub Pages (Settings > Pages > Source: GitHub Actions).
name: Publish digest
on:
  push:
    branches: [main]
  workflow_dispatch:
permissions:
  contents: read
  pages: write
  id-token: write
concurrency:
  group: pages
  cancel-in-progress: false
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - id: pages
        uses: actions/configure-pages@v5
      - name: Install briefgen
        run: python -m pip install {install}
      - name: Build
        run: briefgen build --base-url "${{{{ steps.pages.outputs.base_url }}}}/"
      - uses: actions/upload-pages-artifact@v3
        with:
          path: site
          include-hidden-files: true
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""

GITIGNORE = "site/\n.briefgen/\n__pycache__/\n"


def pages_workflow(install: str = "briefgen") -> str:
    """The GitHub Actions workflow that builds and publishes the digest."""
    return PAGES_WORKFLOW.format(install=install)


def brief_text(title: str, day: dt.date, tags: tuple[str, ...] = (), body: str = "") -> str:
    """A new brief's text with the common keys filled in or left for the writer."""
    front = {"title": title, "date": day.isoformat(), "summary": "", "key_points": [],
             "tags": list(tags), "section": "", "entities": {"people": [], "organizations": [],
                                                            "places": [], "other": []},
             "source": {"name": "", "url": ""}}
    text = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=88)
    return f"---\n{text}---\n\n{body or 'Write the brief here.'}\n"


def new_brief(config: Config, title: str, day: dt.date, tags: tuple[str, ...] = ()) -> Path:
    """Create ``content/briefs/<date>-<slug>.md``; refuse to overwrite."""
    folder = config.path(config.briefs_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{day.isoformat()}-{slugify(title)}.md"
    with path.open("x", encoding="utf-8") as handle:
        handle.write(brief_text(title, day, tags))
    return path


def init_site(directory: Path, *, title: str = "Briefing Digest") -> list[Path]:
    """Scaffold a digest site: config, content folders, one example brief, CI workflow."""
    if (directory / CONFIG_NAME).exists():
        raise FileExistsError(str(directory / CONFIG_NAME))
    files = {
        CONFIG_NAME: yaml.safe_dump({"title": title, "description": "A daily briefing digest.",
                                     "language": "en", "base_url": "", "items_per_page": 20},
                                    sort_keys=False, allow_unicode=True),
        ".gitignore": GITIGNORE,
        ".github/workflows/pages.yml": pages_workflow(),
        "content/articles/README.md": "Put raw articles here (.txt, .html, .xml, .md), then run"
                                      " `briefgen ingest`.\n",
        f"content/briefs/{dt.date(2026, 1, 5).isoformat()}-welcome-to-your-digest.md": brief_text(
            "Welcome to your digest", dt.date(2026, 1, 5), ("briefgen",),
            "This is an example brief. Edit it, or add articles to `content/articles/` and run "
            "`briefgen ingest`.\n\nEach brief is a Markdown file with front matter: a title, a "
            "date, a summary, tags and the people, organisations and places it mentions."),
    }
    created: list[Path] = []
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            created.append(path)
    return created
