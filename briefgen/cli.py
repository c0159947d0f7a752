"""Command line: the only place that prints diagnostics and chooses exit codes."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import click

from briefgen import __version__
from briefgen.errors import BriefgenError, Diagnostic, diag

ROOT_OPTION = click.option(
    "--root", "-C", "root", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="The digest folder (holding briefgen.yaml and content/); default: the current folder. "
         "Also accepted before the command, as in git: briefgen -C DIR build.")
NOT_A_DIGEST = "BG-CF005"


def _root(given: Path | None) -> Path:
    """The digest folder: ``-C`` after the command, taken relative to a ``-C`` before it (as
    git does), resolved once so every later step (and the cache) sees one spelling of it."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    outer = obj.get("root") if isinstance(obj, dict) else None
    base = outer if outer is not None else Path(".")
    return (base / given if given is not None else base).resolve()


def _display(path: Path) -> Path:
    """A path as short as it can be said: relative to the current folder when inside it."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _require_digest(root: Path, what: str) -> None:
    """Stop, having written nothing, unless ``root`` is a digest: it holds briefgen.yaml or
    content/briefs/ (a folder ``init`` made, or one a person set up by hand)."""
    from briefgen.config import CONFIG_NAME

    if (root / CONFIG_NAME).is_file() or (root / "content" / "briefs").is_dir():
        return
    message = ("not a briefgen digest: there is no briefgen.yaml or content/briefs/ here"
               if root.is_dir() else "no such folder")
    _fail(BriefgenError([diag(str(root), 0, 0, NOT_A_DIGEST, message,
                              "run 'briefgen init DIR' to start a digest, or name the digest's "
                              "folder with -C DIR")]), what)


def _print_diagnostics(diagnostics: Iterable[Diagnostic]) -> tuple[int, int]:
    errors = warnings = 0
    for item in diagnostics:
        click.echo(item.format(), err=True)
        if item.severity == "error":
            errors += 1
        else:
            warnings += 1
    return errors, warnings


def _fail(exc: BriefgenError, what: str) -> None:
    errors, warnings = _print_diagnostics(exc.diagnostics)
    click.echo(f"{what} failed: {errors} error(s), {warnings} warning(s).", err=True)
    sys.exit(1)


def _load_config(root: Path, **overrides: object) -> object:
    from briefgen.config import load_config

    try:
        return load_config(root, overrides={k: v for k, v in overrides.items() if v is not None})
    except BriefgenError as exc:
        _fail(exc, "Reading the configuration")
    raise AssertionError("unreachable")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefgen")
@click.option("--root", "-C", "root", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Run as if started in this folder (like git -C).")
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """briefgen: turn articles into briefs and briefs into a static briefing digest."""
    ctx.ensure_object(dict)["root"] = root


@main.command()
@ROOT_OPTION
@click.option("--drafts", is_flag=True, default=None, help="Include briefs marked draft: true.")
@click.option("--base-url", default=None, help="Override base_url (e.g. from GitHub Pages).")
@click.option("--no-cache", is_flag=True, help="Ignore and do not update the .briefgen/ cache.")
def build(root: Path | None, drafts: bool | None, base_url: str | None, no_cache: bool) -> None:
    """Build content/briefs into the static site (site/ by default).

    The site is written to a staging folder and swapped in at the end, so a failed
    build leaves the previous site untouched.
    """
    from briefgen.config import Config
    from briefgen.source.themes import find_theme
    from briefgen.store.manifest import site_manifest, unchanged_brief_count

    root = _root(root)
    _require_digest(root, "Build")
    config = _load_config(root, build_drafts=drafts, base_url=base_url)
    assert isinstance(config, Config)  # nosec B101 - narrows the type for mypy only
    started = time.perf_counter()
    manifest = site_manifest(config, find_theme(config).dirs) if not no_cache else ""
    if manifest and (count := unchanged_brief_count(config, manifest)) is not None:
        # Checked before the pipeline is imported, so a no-change build is near instant.
        out = _display(config.path(config.output_dir))
        click.echo(f"{out}/ is up to date ({count} briefs; nothing changed) in "
                   f"{time.perf_counter() - started:.2f} s.")
        return
    from briefgen.build import build as run_build

    try:
        result = run_build(config, use_cache=not no_cache)
    except BriefgenError as exc:
        _fail(exc, "Build")
        return
    except OSError as exc:
        # The program's edge: a disk that fills or turns read-only outside the staged write
        # (the .briefgen/ cache, say) is reported like any other problem, not as a traceback.
        _fail(BriefgenError([diag(str(exc.filename or root), 0, 0, "BG-IO004",
                                  f"cannot read or write: {exc.strerror or exc}",
                                  "check free disk space and that the folder is writable")]),
              "Build")
        return
    _print_diagnostics(result.diagnostics)
    elapsed = time.perf_counter() - started
    out = _display(config.path(config.output_dir))
    if result.up_to_date:
        click.echo(f"{out}/ is up to date ({result.brief_count} briefs; nothing changed) "
                   f"in {elapsed:.2f} s.")
        return
    click.echo(f"Built {result.brief_count} briefs into {out}/ ({result.file_count} files) "
               f"in {elapsed:.2f} s. Open {out / 'index.html'}")


@main.command()
@ROOT_OPTION
def check(root: Path | None) -> None:
    """Build without writing anything; report every problem, exit 1 if there is an error."""
    from briefgen.build import build_site
    from briefgen.config import Config

    root = _root(root)
    _require_digest(root, "Check")
    config = _load_config(root)
    assert isinstance(config, Config)  # nosec B101 - narrows the type; _load_config exits on error
    result = build_site(config)
    errors, warnings = _print_diagnostics(result.diagnostics)
    left_out = []
    if result.drafts:
        left_out.append(f"{result.drafts} draft(s) (build_drafts is off)")
    if result.unreadable:
        left_out.append(f"{result.unreadable} with an error shown above")
    files = result.brief_count + result.drafts + result.unreadable
    skipped = result.drafts + result.unreadable
    why = f" Left out {skipped} of {files} files: {'; '.join(left_out)}." if left_out else ""
    click.echo(f"Checked {result.brief_count} briefs: {errors} error(s), {warnings} warning(s)."
               f"{why}", err=bool(errors))
    sys.exit(1 if errors else 0)


@main.command()
@click.argument("title")
@ROOT_OPTION
@click.option("--date", "day", default=None, help="Date of the brief (YYYY-MM-DD); default today.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
def new(title: str, root: Path | None, day: str | None, tags: tuple[str, ...]) -> None:
    """Create a new brief from a template and print its path."""
    from briefgen.config import Config
    from briefgen.publish.scaffold import new_brief

    root = _root(root)
    config = _load_config(root)
    assert isinstance(config, Config)  # nosec B101 - narrows the type; _load_config exits on error
    try:
        when = dt.date.fromisoformat(day) if day else dt.date.today()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    try:
        path = new_brief(config, title, when, tags)
    except FileExistsError as exc:
        _stop(diag(_shown(exc.filename, root), 0, 0, "BG-IO006",
                   "a brief with this name exists already",
                   "edit that brief, or give the new one another title or --date"))
    except OSError as exc:
        _stop(diag(_shown(exc.filename, root), 0, 0, "BG-IO004",
                   f"cannot write the brief: {exc.strerror or exc}",
                   "check that the folder exists, is writable and the disk has room"))
    click.echo(_display(path))


def _shown(filename: object, root: Path) -> str:
    """A path from an OSError as the user knows it: relative to the digest when inside."""
    if not filename:
        return str(root)
    path = Path(str(filename))
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _stop(problem: Diagnostic) -> NoReturn:
    """Print one problem (and its hint) and exit 1: for commands that do one thing."""
    click.echo(problem.format(), err=True)
    sys.exit(1)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="Briefing Digest", show_default=True, help="The digest's title.")
def init(directory: Path, title: str) -> None:
    """Scaffold a new digest site in DIRECTORY, ready to push to GitHub Pages."""
    from briefgen.publish.scaffold import init_site

    try:
        created = init_site(directory, title=title)
    except FileExistsError as exc:
        _stop(diag(str(exc.filename or exc), 0, 0, "BG-IO006", "a digest exists here already",
                   "pick an empty or new folder"))
    except OSError as exc:
        _stop(diag(str(exc.filename or directory), 0, 0, "BG-IO004",
                   f"cannot create the digest: {exc.strerror or exc}",
                   "check that the parent folder exists and is writable"))
    for path in created:
        click.echo(f"created {path}")
    click.echo(f"Next: cd {directory} && briefgen build, then open site/index.html")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@ROOT_OPTION
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the briefs (default: content/briefs).")
@click.option("--force", is_flag=True, help="Overwrite briefs even if a person edited them.")
@click.option("--date", "day", default=None, help="Date for articles that give none (YYYY-MM-DD).")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
def ingest(paths: tuple[Path, ...], root: Path | None, out_dir: Path | None, force: bool,
           day: str | None, dry_run: bool) -> None:
    """Turn raw articles (.txt dumps, .html pages, feeds, .md) into briefs.

    PATHS are files or folders (default: content/articles). Briefs a person has edited
    since ingest are skipped unless --force.
    """
    from briefgen.config import Config
    from briefgen.ingest import run_ingest

    root = _root(root)
    config = _load_config(root)
    assert isinstance(config, Config)  # nosec B101 - narrows the type; _load_config exits on error
    try:
        when = dt.date.fromisoformat(day) if day else None
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    inputs = list(paths) or [config.path(config.articles_dir)]
    target = out_dir if out_dir is not None else config.path(config.briefs_dir)
    bar_state: dict[str, object] = {}

    def progress(done: int, total: int, path: Path) -> None:
        if total < 20 or not sys.stderr.isatty():
            return
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
        bar_state["shown"] = True
        if done == total:
            sys.stderr.write("\n")

    report = run_ingest(inputs, target, force=force, date=when, dry_run=dry_run,
                        on_progress=progress, root=config.root)
    _print_diagnostics(report.diagnostics)
    if report.not_articles:
        click.echo(_not_articles_line(report.not_articles, inputs), err=True)
    for label, items in (("created", report.created), ("updated", report.updated)):
        for item in items:
            click.echo(f"{label}: {_display(item)}")
    for path, reason in report.skipped:
        click.echo(f"skipped: {_display(path)} ({reason})")
    prefix = "Would have: " if dry_run else ""
    click.echo(f"{prefix}{len(report.created)} created, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged, {len(report.skipped)} skipped, "
               f"{len(report.failed)} failed.")
    sys.exit(0 if report.ok else 1)


def _not_articles_line(files: tuple[Path, ...], inputs: list[Path]) -> str:
    """One line naming the files ingest left out (the first few, then how many more)."""
    def shown(path: Path) -> str:
        for folder in inputs:
            if path.is_relative_to(folder) and path != folder:
                return path.relative_to(folder).as_posix() + ("/" if path.is_dir() else "")
        return str(path)

    names = [shown(p) for p in files[:8]]
    more = f" and {len(files) - 8} more" if len(files) > 8 else ""
    noun = "file that is not an article" if len(files) == 1 else "files that are not articles"
    return (f"skipped {len(files)} {noun}: {', '.join(names)}{more} "
            "(ingest reads .txt, .html, feeds and .md; never README or hidden files)")


@main.command()
@ROOT_OPTION
@click.option("--port", "-p", default=8000, show_default=True, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; the default keeps the preview private to this machine.")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a web browser.")
@click.option("--poll", is_flag=True,
              help="Poll for changes (network drives, containers) instead of OS events.")
@click.option("--follow", is_flag=True, help="Browsers jump to the brief you just edited.")
def serve(root: Path | None, port: int, host: str, open_browser: bool, poll: bool,
          follow: bool) -> None:
    """Build in memory, serve, and update open browsers as you edit (Ctrl-C stops).

    Nothing is written to site/. Errors show in the browser over the last good page.
    """
    from briefgen.serve import serve as run_serve

    root = _root(root)
    _require_digest(root, "Serve")
    try:
        run_serve(root, host=host, port=port, open_browser=open_browser, poll=poll,
                  follow=follow, echo=lambda text: click.echo(text, err=True))
    except OSError as exc:
        click.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(1)


@main.command()
@ROOT_OPTION
@click.option("--remote", default="origin", show_default=True, help="The git remote to push to.")
@click.option("--branch", default="gh-pages", show_default=True,
              help="The branch GitHub Pages publishes from.")
@click.option("--message", "-m", default=None, help="The commit message on that branch.")
@click.option("--no-build", is_flag=True, help="Publish site/ as it is, without building.")
@click.option("--allow-dirty", is_flag=True,
              help="Publish even with uncommitted changes to content, config or themes.")
def deploy(root: Path | None, remote: str, branch: str, message: str | None, no_build: bool,
           allow_dirty: bool) -> None:
    """Publish site/ as one commit on the GitHub Pages branch of a git remote.

    Builds first (unless --no-build), adds .nojekyll and CNAME (from cname in briefgen.yaml),
    and never touches your working tree or current branch.
    """
    from briefgen.config import Config
    from briefgen.publish.deploy import deploy as run_deploy

    root = _root(root)
    _require_digest(root, "Deploy")
    config = _load_config(root)
    assert isinstance(config, Config)  # nosec B101 - narrows the type; _load_config exits on error
    try:
        result = run_deploy(config, remote=remote, branch=branch, message=message,
                            build_first=not no_build, allow_dirty=allow_dirty)
    except BriefgenError as exc:
        _fail(exc, "Deploy")
        return
    if result.build is not None:
        _print_diagnostics(result.build.diagnostics)
    click.echo(f"Published {result.files} files to {remote}/{branch} "
               f"(commit {result.commit[:12]}).")
