"""Publish ``site/`` as one commit on the GitHub Pages branch of a git remote.

The commit is made with ghp-import (git fast-import straight into the branch), so the working
tree, the index and the current branch are never touched. ghp-import runs in a child process
because it works on the current directory and prints git's output itself; that way this
module changes no process-wide state and can turn every failure into a diagnostic.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess  # nosec B404 - runs git with fixed argument lists, never a shell
import sys
from dataclasses import dataclass
from pathlib import Path

from briefgen import __version__
from briefgen.build import BuildResult, build
from briefgen.config import CONFIG_NAME, Config
from briefgen.errors import BriefgenError, diag, did_you_mean

GIT_TIMEOUT_SECONDS = 300


@dataclass(frozen=True, slots=True, kw_only=True)
class DeployResult:
    """What was published, where, and the build that produced it (None with ``--no-build``)."""

    remote: str
    branch: str
    commit: str
    files: int
    build: BuildResult | None


def deploy(config: Config, *, remote: str = "origin", branch: str = "gh-pages",
           message: str | None = None, build_first: bool = True,
           allow_dirty: bool = False) -> DeployResult:
    """Build (unless told not to), then commit ``site/`` to ``branch`` and push it to ``remote``.

    Refuses uncommitted changes to the digest's sources (content, config, themes) unless
    ``allow_dirty``: the Pages commit names the source commit it was built from, and that
    must be true. Refuses a ``site/`` holding links or other non-regular files.
    """
    root = config.root
    where = str(root)
    if shutil.which("git") is None:
        raise _error(where, "BG-DP001", "git is not installed or not on the PATH",
                     "install git (https://git-scm.com) and try again")
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise _error(where, "BG-DP002", f"{root} is not inside a git repository",
                     "run `git init` and `git remote add origin <url>` first, "
                     "or pass -C with the digest's folder")
    remotes = _git(root, "remote").stdout.split()
    if remote not in remotes or remote.startswith("-"):
        hint = did_you_mean(remote, remotes) or (
            f"add it with `git remote add {remote} <url>`" if not remotes
            else "known remotes: " + ", ".join(remotes))
        raise _error(where, "BG-DP003", f"there is no git remote named {remote!r}", hint)
    _check_branch(root, where, branch)
    dirty = _dirty_sources(config)
    if dirty and not allow_dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise _error(where, "BG-DP010",
                     f"uncommitted changes to the digest's sources: {shown}",
                     "commit them first, so the published site matches a commit; or pass "
                     "--allow-dirty to publish them anyway")

    built = _build(config) if build_first else None
    site = config.path(config.output_dir).absolute()
    if not (site / "index.html").is_file():
        raise _error(config.output_dir, "BG-DP004",
                     f"{config.output_dir}/ is missing or incomplete (no index.html)",
                     "run `briefgen build` first, or deploy without --no-build")

    files = _published_files(site, config.output_dir)
    text = message or _default_message(root, files, dirty=bool(dirty))
    ref = f"refs/heads/{branch}"
    # Start from what the remote already has, so the new commit fast-forwards it.
    _git(root, "fetch", "--quiet", "--", remote, f"+{ref}:refs/remotes/{remote}/{branch}")
    before = _rev(root, ref)
    # "--opt=value" throughout: a message or name starting with "-" stays one value.
    command = [sys.executable, "-m", "ghp_import", "--no-jekyll", f"--message={text}",
               f"--remote={remote}", f"--branch={branch}"]
    if config.cname.strip():
        command += [f"--cname={config.cname.strip()}"]
    command += ["--", str(site)]
    made = _run(command, root, env=_identity_env(root))
    after = _rev(root, ref)
    if made.returncode != 0 or not after or after == before:
        raise _error(where, "BG-DP005", f"could not commit {config.output_dir}/ to {branch!r}: "
                     + (_last_line(made.stderr) or "ghp-import made no commit"),
                     "check that git works here (`git status`) and try again")

    pushed = _git(root, "push", "--porcelain", "--", remote, f"{ref}:{ref}")
    if pushed.returncode != 0:
        reason = _push_reason(pushed.stdout + "\n" + pushed.stderr)
        raise _error(where, "BG-DP006", f"the push of {branch!r} to {remote!r} was rejected: "
                     f"{reason}",
                     f"the commit is on your local {branch!r} branch; if someone else "
                     f"published meanwhile, deploy again; otherwise check your access to "
                     f"{remote!r}")
    return DeployResult(remote=remote, branch=branch, commit=after, files=files, build=built)


def _build(config: Config) -> BuildResult:
    try:
        return build(config)
    except BriefgenError as exc:
        stop = diag(config.output_dir, 0, 0, "BG-DP004", "not deploying: the build failed",
                    "fix the errors above; the published site was left as it was")
        raise BriefgenError([*exc.diagnostics, stop]) from exc


def _default_message(root: Path, files: int, *, dirty: bool = False) -> str:
    """Names the full source commit, and says so when uncommitted changes went in too."""
    source = _rev(root, "HEAD")
    origin = f" from {source}" if source else " (no source commit yet)"
    if dirty:
        origin += " + uncommitted changes"
    return f"Publish digest{origin} ({files} files, briefgen {__version__})"


def _check_branch(root: Path, where: str, branch: str) -> None:
    """Refuse a Pages branch name that is malformed, names another ref, or is the branch
    checked out here in any spelling (``HEAD``, ``refs/heads/main``, ``heads/main``).

    ghp-import looks the branch up by its short name, so ``HEAD`` would take the checked-out
    commit (and every unpushed commit before it) as the parent of the Pages commit.
    """
    hint = "pass --branch with a plain branch name such as gh-pages"
    checked = _git(root, "check-ref-format", "--branch", branch)
    if (checked.returncode != 0 or checked.stdout.strip() != branch or branch.startswith("-")
            or branch.endswith("HEAD") or branch == "@"  # "@" alone means HEAD
            or branch.startswith(("refs/", "heads/", "tags/", "remotes/"))):
        raise _error(where, "BG-DP007", f"{branch!r} is not a usable branch name", hint)
    # The other refs a short name can mean to git (gitrevisions(7)), ours excepted.
    git_dir = _git(root, "rev-parse", "--absolute-git-dir").stdout.strip()
    if git_dir and os.path.lexists(os.path.join(git_dir, branch)):
        raise _error(where, "BG-DP007", f"{branch!r} is also a file of git's own", hint)
    for other in (f"refs/{branch}", f"refs/tags/{branch}", f"refs/remotes/{branch}",
                  f"refs/remotes/{branch}/HEAD"):
        if _rev(root, other):
            raise _error(where, "BG-DP007", f"{branch!r} also names {other}", hint)
    current = _git(root, "symbolic-ref", "--quiet", "HEAD").stdout.strip()
    # Compared case-blind too: on macOS and Windows disks Main and main are one branch.
    if current.casefold() == f"refs/heads/{branch}".casefold():
        raise _error(where, "BG-DP007",
                     f"refusing to publish onto {branch!r}: it is the branch checked out here",
                     "switch to your source branch first, or pass --branch with another name")


def _dirty_sources(config: Config) -> list[str]:
    """Uncommitted (changed or untracked) files among the digest's sources."""
    paths = sorted({config.content_dir, config.briefs_dir, config.articles_dir,
                    config.entities_file, config.themes_dir, CONFIG_NAME})
    status = _git(config.root, "status", "--porcelain=v1", "-z", "--untracked-files=all",
                  "--", *paths)
    if status.returncode != 0:
        return []
    entries = [e for e in status.stdout.split("\0") if e]
    out: list[str] = []
    skip = False
    for entry in entries:
        if skip:  # the second name of a rename
            skip = False
            continue
        out.append(entry[3:])
        skip = entry[:1] in ("R", "C")
    return out


def _published_files(site: Path, where: str) -> int:
    """The number of files in ``site``; a link or anything not a regular file is refused
    (git would store a link's target content, or the link itself, in the Pages branch)."""
    count = 0
    odd: list[str] = []
    for folder, dirs, names in os.walk(site):  # does not follow links into folders
        for name in [*dirs, *names]:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if stat.S_ISDIR(info.st_mode):
                continue
            if stat.S_ISREG(info.st_mode):
                count += 1
            else:
                odd.append(os.path.relpath(path, site))
    if odd:
        shown = ", ".join(sorted(odd)[:5])
        raise _error(where, "BG-DP009",
                     f"{where}/ holds links or other non-regular files: {shown}",
                     "remove them (or rebuild with `briefgen build`); only regular files "
                     "are published")
    return count


def _identity_env(root: Path) -> dict[str, str]:
    """The environment for ghp-import, with a committer identity when git has none."""
    env = dict(os.environ)
    # ghp-import reads only these variables or user.name/user.email; CI machines often lack both.
    for key, var, fallback in (("user.name", "GIT_COMMITTER_NAME", "briefgen"),
                               ("user.email", "GIT_COMMITTER_EMAIL", "briefgen@localhost")):
        if var not in env and not _git(root, "config", key).stdout.strip():
            env[var] = fallback
    return env


def _rev(root: Path, ref: str) -> str:
    return _git(root, "rev-parse", "--verify", "--quiet", ref).stdout.strip()


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(["git", *args], root)


def _run(command: list[str], root: Path,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    try:
        # nosec B603 - an argument list, never a shell
        return subprocess.run(command, cwd=root, capture_output=True, text=True,  # nosec B603
                              check=False, timeout=GIT_TIMEOUT_SECONDS, env=env)
    except subprocess.TimeoutExpired as exc:
        raise _error(str(root), "BG-DP008",
                     f"{command[0]} {command[1]} did not finish within {GIT_TIMEOUT_SECONDS} s",
                     "check the network and the remote's address") from exc


def _push_reason(output: str) -> str:
    """The most telling line of ``git push`` output (porcelain '!' lines first)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("!"):
            return line.lstrip("! \t").replace("\t", " ")
    for line in lines:
        if line.startswith(("error:", "fatal:", "remote:")):
            return line
    return lines[-1] if lines else "git push failed"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _error(path: str, code: str, message: str, hint: str) -> BriefgenError:
    return BriefgenError([diag(path, 0, 0, code, message, hint)])
