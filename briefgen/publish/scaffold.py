"""``briefgen init`` and ``briefgen new``: files a person starts from."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import re
import shutil
import subprocess  # nosec B404 - runs git with fixed argument lists, never a shell
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

from briefgen import __version__
from briefgen.config import CONFIG_NAME, Config
from briefgen.slugs import slugify

# The Pages workflow. Every action is at its current major version and gets only the inputs its
# action.yml lists (tests/test_scaffold.py keeps that table). configure-pages reports the site's
# address without a trailing slash ("https://you.github.io/repo"), hence the "/" after it.
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
      - uses: actions/checkout@v7
      - uses: actions/setup-python@v7
        with:
          python-version: "3.11"
          cache: pip
          cache-dependency-path: {pins}
      - name: Install briefgen
        run: python -m pip install {install}
      - name: Restore the build cache
        uses: actions/cache@v5
        with:
          path: .briefgen
          key: {tool_key}-${{{{ hashFiles({inputs}) }}}}
          restore-keys: |
            {tool_key}-
      - id: pages
        uses: actions/configure-pages@v5
      - name: Build
        run: briefgen build --base-url "${{{{ steps.pages.outputs.base_url }}}}/"
      - uses: actions/upload-pages-artifact@v5
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
        uses: actions/deploy-pages@v5
"""

GITIGNORE = "site/\n.briefgen/\n__pycache__/\n"
REQUIREMENTS = "requirements.txt"


def pages_workflow(install: str = f"-r {REQUIREMENTS}", pins: str = REQUIREMENTS,
                   code: tuple[str, ...] = ()) -> str:
    """The GitHub Actions workflow that builds and publishes the digest.

    ``install`` is what ``pip install`` gets; ``pins`` is the file that says which briefgen
    (the digest's ``requirements.txt``; this repository's ``pyproject.toml``), and ``code``
    more files that make up that briefgen. The build cache is restored only from a run with
    the same briefgen, and saved under a key that also covers the digest's own inputs.
    """
    tool = ", ".join(f"'{name}'" for name in (pins, *code))
    inputs = ", ".join(f"'{name}'" for name in (CONFIG_NAME, "content/**", "themes/**"))
    tool_key = f"briefgen-${{{{ runner.os }}}}-${{{{ hashFiles({tool}) }}}}"
    return PAGES_WORKFLOW.format(install=install, pins=pins, inputs=inputs, tool_key=tool_key)


# --- the briefgen a digest pins ----------------------------------------------------------------

_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# What may stand in a pinned URL: no spaces, quotes, "#", "@" or ";" that would change the line.
_URL_SAFE = re.compile(r"[A-Za-z0-9._~:/%+-]+")
_VCS = {"git", "hg", "bzr", "svn"}


def requirement_for(version: str, direct_url: str | None) -> str:
    """The requirements line for a briefgen ``version`` installed as ``direct_url.json`` says.

    A briefgen installed from a version control URL (PEP 610 ``vcs_info``) is pinned to that
    URL at its commit, without any credentials in it; anything else is pinned by version.
    """
    fallback = f"briefgen=={version}"
    try:
        info = json.loads(direct_url) if direct_url else None
    except ValueError:
        return fallback
    if not isinstance(info, dict) or not isinstance(info.get("vcs_info"), dict):
        return fallback
    vcs, commit = info["vcs_info"].get("vcs"), info["vcs_info"].get("commit_id")
    url = info.get("url")
    if (not isinstance(vcs, str) or vcs not in _VCS or not isinstance(commit, str)
            or not _COMMIT.fullmatch(commit) or not isinstance(url, str)):
        return fallback
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address
        return fallback
    if parts.scheme not in {"https", "http", "ssh", "git", "file"} or parts.query or parts.fragment:
        return fallback
    host = parts.hostname or ""
    try:
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:  # a port that is not a number
        return fallback
    if not _URL_SAFE.fullmatch(urlunsplit((parts.scheme, host, parts.path, "", ""))):
        return fallback
    if parts.username == "git" and parts.password is None:  # ssh's user name, not a secret
        host = f"git@{host}"
    clean = urlunsplit((parts.scheme, host, parts.path, "", ""))
    line = f"briefgen @ {vcs}+{clean}@{commit}"
    subdirectory = info.get("subdirectory")
    if isinstance(subdirectory, str) and subdirectory:
        if not _URL_SAFE.fullmatch(subdirectory):
            return fallback
        line += f"#subdirectory={subdirectory}"
    return line


def briefgen_requirement() -> str:
    """The requirements line that installs the briefgen running now."""
    try:
        dist = importlib.metadata.distribution("briefgen")
    except importlib.metadata.PackageNotFoundError:
        return f"briefgen=={__version__}"
    if dist.version != __version__:  # this copy is not the installed one (a source tree)
        return f"briefgen=={__version__}"
    return requirement_for(dist.version, dist.read_text("direct_url.json"))


def _installed_from_local_files() -> bool:
    """Whether the running briefgen was installed from a folder or file on this machine."""
    try:
        text = importlib.metadata.distribution("briefgen").read_text("direct_url.json")
        info = json.loads(text) if text else {}
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return isinstance(info, dict) and str(info.get("url", "")).startswith("file:")


def requirements_text() -> str:
    """``requirements.txt`` for a new digest: the briefgen that made it, pinned."""
    text = ("# The briefgen this digest was made with; .github/workflows/pages.yml installs\n"
            "# exactly this. To upgrade, change the line, build once locally, and commit.\n")
    pin = briefgen_requirement()
    if _installed_from_local_files():
        text += ("# This briefgen was installed from files on this machine, which GitHub cannot\n"
                 + ("# reach: point the line below at a copy of the repository that it can,\n"
                    if " @ " in pin else
                    "# reach: the line below works once this version is on PyPI; until then\n")
                 + "# use briefgen @ git+https://github.com/<owner>/<repo>@<commit>.\n")
    return text + f"{pin}\n"


# --- base_url from the git remote ------------------------------------------------------------

_GITHUB_REMOTE = re.compile(
    r"(?:(?:https?|git|ssh)://(?:[^@/\s]+@)?(?:www\.)?github\.com(?::\d+)?/|git@github\.com:)"
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<repo>[A-Za-z0-9._-]+?)(?:\.git)?/?",
    re.IGNORECASE,
)
_HOSTNAME = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def github_pages_url(remote: str) -> str | None:
    """The GitHub Pages address of the repository at ``remote``, or None if not on GitHub.

    ``https://github.com/o/r(.git)`` and ``git@github.com:o/r.git`` give ``https://o.github.io/r/``;
    the user site repository ``o.github.io`` gives ``https://o.github.io/``.
    """
    repository = github_repository(remote)
    if repository is None:
        return None
    owner, repo = repository
    host = f"{owner.lower()}.github.io"
    if repo.lower() == host:
        return f"https://{host}/"
    return f"https://{host}/{repo}/"


def github_repository(remote: str) -> tuple[str, str] | None:
    """``(owner, repository)`` of a GitHub remote URL, or None for any other remote."""
    found = _GITHUB_REMOTE.fullmatch(remote.strip())
    if found is None or found["repo"] in {".", ".."}:
        return None
    return found["owner"], found["repo"]


def cname_domain(text: str) -> str | None:
    """The domain a GitHub Pages ``CNAME`` file names, or None if it names none."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    domain = lines[0].lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    return domain if _HOSTNAME.fullmatch(domain) else None


def _git(directory: Path, *args: str) -> str | None:
    """``git -C directory args`` 's output, or None when git is missing or fails."""
    git = shutil.which("git")
    if git is None or not directory.is_dir():
        return None
    try:
        done = subprocess.run([git, "-C", str(directory), *args],  # nosec B603 - no shell
                              capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_remote_url(directory: Path) -> str | None:
    """The URL of the remote ``origin`` (else of the only remote) of the repository at
    ``directory``, or None."""
    names = (_git(directory, "remote") or "").split()
    name = "origin" if "origin" in names else (names[0] if len(names) == 1 else None)
    return _git(directory, "remote", "get-url", name) if name else None


def infer_site_url(directory: Path) -> tuple[str, str, str] | None:
    """``(base_url, cname, why)`` for a digest in ``directory``, or None if nothing tells.

    A ``CNAME`` file (in the folder or at the top of its repository) wins: the site is served
    from that domain's root. Otherwise a GitHub remote gives its Pages address.
    """
    existing = directory.absolute()  # ``init`` may be about to make the folder
    while not existing.is_dir() and existing != existing.parent:
        existing = existing.parent
    folders = [directory]
    top = _git(existing, "rev-parse", "--show-toplevel")
    if top and Path(top).resolve() != directory.resolve():
        folders.append(Path(top))
    for folder in folders:
        try:
            with (folder / "CNAME").open(encoding="utf-8", errors="replace") as handle:
                text = handle.read(1000)  # a domain name is short; never read a huge file
        except OSError:
            continue
        domain = cname_domain(text)
        if domain:
            where = "this folder" if folder == directory else "the repository's top folder"
            return f"https://{domain}/", domain, f"the CNAME file in {where}"
    remote = git_remote_url(existing)
    repository = github_repository(remote) if remote else None
    url = github_pages_url(remote) if remote else None
    if url and repository:  # the remote is named by owner/repo only: its URL may hold a token
        return url, "", f"the git remote on GitHub, {'/'.join(repository)}"
    return None


def config_text(title: str, site: tuple[str, str, str] | None) -> str:
    """``briefgen.yaml`` for a new digest, with ``base_url`` explained."""
    def dump(values: dict[str, object]) -> str:
        return yaml.safe_dump(values, sort_keys=False, allow_unicode=True, width=1000)

    text = dump({"title": title, "description": "A daily briefing digest.", "language": "en"})
    text += ("# base_url: where the site is published. Feeds, the sitemap and email editions need\n"
             "# it for links that work away from the site. The Pages workflow sets it by itself.\n")
    if site is None:
        text += ("# No GitHub remote or CNAME file was found, so it is unset: fill it in, e.g.\n"
                 "# base_url: https://you.github.io/digest/\n")
        text += dump({"base_url": ""})
    else:
        base_url, cname, why = site
        text += f"# Inferred from {why}; change it if the site lives elsewhere.\n"
        text += dump({"base_url": base_url})
        if cname:
            text += dump({"cname": cname})
    return text + dump({"items_per_page": 20})


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
    """Scaffold a digest site: config (``base_url`` from the git remote or a CNAME file when
    there is one), content folders, one example brief, the Pages workflow and the
    ``requirements.txt`` that pins this briefgen for it."""
    if (directory / CONFIG_NAME).exists():
        raise FileExistsError(str(directory / CONFIG_NAME))
    files = {
        CONFIG_NAME: config_text(title, infer_site_url(directory)),
        REQUIREMENTS: requirements_text(),
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
