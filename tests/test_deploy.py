"""Deploy: publish site/ to a real (local, bare) git remote, then serve and crawl that branch."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urljoin
from urllib.request import urlopen

import pytest
from conftest import REPO, brief, need
from linkcheck import crawl, links_of
from pages_server import serve_pages

from briefgen.config import load_config
from briefgen.errors import BriefgenError
from briefgen.publish.deploy import deploy
from briefgen.publish.scaffold import init_site

pytestmark = pytest.mark.slow


def git(cwd: Path, *args: str) -> str:
    """Run git and return its stdout (fails the test on error)."""
    run = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert run.returncode == 0, f"git {' '.join(args)}: {run.stderr}"
    return run.stdout


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    """A digest scaffolded by ``init`` with the sample briefs, committed, with a bare origin."""
    need(shutil.which("git") is not None, "git is not installed")
    work = tmp_path / "digest"
    init_site(work, title="Deploy Test")
    shutil.copytree(REPO / "content" / "briefs", work / "content" / "briefs", dirs_exist_ok=True)
    (work / "briefgen.yaml").write_text("title: Deploy Test\ncname: news.example.org\n")
    git(work, "init", "--quiet", "-b", "main")
    git(work, "config", "user.name", "Test Person")
    git(work, "config", "user.email", "test@example.org")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "Digest sources")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", str(origin))
    git(work, "remote", "add", "origin", str(origin))
    return work, origin


def _state(work: Path) -> tuple[str, str, str]:
    """The current branch, HEAD commit and working tree status."""
    return (git(work, "symbolic-ref", "--short", "HEAD"), git(work, "rev-parse", "HEAD"),
            git(work, "status", "--porcelain", "--untracked-files=all"))


def _tree(origin: Path, branch: str = "gh-pages") -> set[str]:
    return set(git(origin, "ls-tree", "-r", "--name-only", branch).splitlines())


def _codes(info: pytest.ExceptionInfo[BriefgenError]) -> set[str]:
    return {d.code for d in info.value.diagnostics}


def test_deploy_publishes_one_commit_and_leaves_the_checkout_alone(
        repo: tuple[Path, Path]) -> None:
    work, origin = repo
    before = _state(work)
    result = deploy(load_config(work))
    assert _state(work) == before
    files = _tree(origin)
    assert {"index.html", "404.html", ".nojekyll", "CNAME", "feed.xml", "search.html",
            "briefs/turkey-s400-deescalation.html", "pagefind/pagefind.js"} <= files
    assert not any(name.startswith(("content/", "briefgen.yaml", ".github/")) for name in files)
    assert git(origin, "show", "gh-pages:CNAME").strip() == "news.example.org"
    assert git(origin, "rev-parse", "gh-pages").strip() == result.commit
    assert git(origin, "rev-list", "--count", "gh-pages").strip() == "1"
    assert result.files == len(files)
    message = git(origin, "log", "-1", "--format=%s", "gh-pages")
    head = git(work, "rev-parse", "HEAD").strip()
    assert message.startswith(f"Publish digest from {head} (")  # the full source commit
    assert "uncommitted" not in message

    # A second deploy adds one commit on top and drops files that are gone from site/.
    (work / "content/briefs/2026-11-22-turkey-gas-hub.md").unlink()
    git(work, "commit", "--quiet", "-am", "Drop a brief")
    before = _state(work)
    again = deploy(load_config(work), message="Second edition")
    assert git(origin, "rev-list", "--count", "gh-pages").strip() == "2"
    assert git(origin, "rev-parse", "gh-pages^").strip() == result.commit
    assert "briefs/turkey-gas-hub.html" in files
    assert "briefs/turkey-gas-hub.html" not in _tree(origin)
    assert git(origin, "log", "-1", "--format=%s", "gh-pages").strip() == "Second edition"
    assert again.commit != result.commit
    assert _state(work)[:2] == before[:2]


def test_deploy_command(repo: tuple[Path, Path]) -> None:
    work, origin = repo
    run = subprocess.run([sys.executable, "-m", "briefgen", "deploy", "-C", str(work),
                          "--message", "From the CLI", "--branch", "pages"],
                         capture_output=True, text=True, check=False, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert "Published" in run.stdout and "origin/pages" in run.stdout
    assert git(origin, "log", "-1", "--format=%s", "pages").strip() == "From the CLI"
    no_build = subprocess.run([sys.executable, "-m", "briefgen", "deploy", "-C", str(work),
                               "--no-build", "--branch", "pages"],
                              capture_output=True, text=True, check=False, cwd=REPO)
    assert no_build.returncode == 0, no_build.stderr
    assert git(origin, "rev-list", "--count", "pages").strip() == "2"


def test_not_a_git_repository(make_site: Callable[..., Path]) -> None:
    need(shutil.which("git") is not None, "git is not installed")
    root = make_site({"content/briefs/a.md": brief("A")})
    with pytest.raises(BriefgenError) as info:
        deploy(load_config(root))
    assert _codes(info) == {"BG-DP002"}
    assert not (root / "site").exists()  # checked before anything is built


def test_git_missing(repo: tuple[Path, Path], tmp_path: Path,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    work, _ = repo
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(BriefgenError) as info:
        deploy(load_config(work))
    assert _codes(info) == {"BG-DP001"}


def test_no_such_remote(repo: tuple[Path, Path]) -> None:
    work, origin = repo
    with pytest.raises(BriefgenError) as info:
        deploy(load_config(work), remote="orign")
    (problem,) = info.value.diagnostics
    assert problem.code == "BG-DP003" and "'orign'" in problem.message
    assert "did you mean 'origin'" in problem.hint
    assert git(origin, "branch", "--list").strip() == ""


def test_failed_build_is_not_deployed(repo: tuple[Path, Path]) -> None:
    work, origin = repo
    (work / "content/briefs/broken.md").write_text("---\ntitle: Broken\ndate: nope\n---\n")
    with pytest.raises(BriefgenError) as info:
        deploy(load_config(work), allow_dirty=True)
    assert {"BG-FM005", "BG-DP004"} <= _codes(info)
    assert git(origin, "branch", "--list").strip() == ""


def test_no_build_without_a_site(repo: tuple[Path, Path]) -> None:
    work, origin = repo
    with pytest.raises(BriefgenError) as info:
        deploy(load_config(work), build_first=False)
    assert _codes(info) == {"BG-DP004"}
    assert git(origin, "branch", "--list").strip() == ""


def test_rejected_push(repo: tuple[Path, Path]) -> None:
    work, origin = repo
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'Pages branch is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(BriefgenError) as info:
        deploy(load_config(work))
    (problem,) = info.value.diagnostics
    assert problem.code == "BG-DP006"
    assert "rejected" in problem.message and "pre-receive hook declined" in problem.message
    assert git(origin, "branch", "--list").strip() == ""
    assert git(work, "rev-parse", "--verify", "gh-pages")  # the commit is kept locally


def test_refuses_the_checked_out_branch(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    with pytest.raises(BriefgenError) as info:
        deploy(load_config(work), branch="main")
    assert _codes(info) == {"BG-DP007"}


def test_published_branch_works_under_a_project_path(repo: tuple[Path, Path],
                                                     tmp_path: Path) -> None:
    work, origin = repo
    served = tmp_path / "served"
    served.mkdir()
    with serve_pages(served, "/repo/") as base:
        # The port is known only now: 404.html needs it for links that work at any depth.
        (work / "briefgen.yaml").write_text(f"title: Deploy Test\nbase_url: {base}\n")
        deploy(load_config(work), allow_dirty=True)
        archive = subprocess.run(["git", "archive", "--format=tar", "gh-pages"], cwd=origin,
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(served, filter="data")
        seen, broken = crawl(base + "index.html", "/repo/")
        assert broken == []
        assert len(seen) > 50
        assert base + "briefs/turkey-s400-deescalation.html" in seen

        # Pages answers a missing address, at any depth, with 404.html and status 404.
        with pytest.raises(HTTPError) as missing:
            urlopen(base + "no/such/deep/page.html", timeout=10)
        assert missing.value.code == 404
        page = missing.value.read().decode()
        assert "Page not found" in page
        assert f'href="{base}assets/style.css"' in page
        deep = base + "no/such/deep/page.html"
        targets = {urljoin(deep, link).split("#", 1)[0] for link in links_of(page)
                   if not link.startswith(("#", "mailto:"))}
        assert base + "editions/index.html" in targets
        for target in sorted(targets):
            assert target.startswith(base), f"404.html links outside the site: {target}"
            with urlopen(target, timeout=10) as answer:
                assert answer.status == 200, target
        with urlopen(base, timeout=10) as home:
            assert home.status == 200 and b"Deploy Test" in home.read()


# -- hostile names, links and uncommitted sources ----------------------------------------

def _remote_branches(origin: Path) -> str:
    return git(origin, "branch", "--list").strip()


@pytest.mark.parametrize("branch", [
    "HEAD", "refs/heads/main", "heads/main", "-f", "--force", "a..b", "main.lock", "x HEAD",
    "@{-1}", "refs/remotes/origin/main", "ORIG_HEAD", "FETCH_HEAD", "@", "",
])
def test_refuses_branch_names_that_are_not_a_separate_branch(
        repo: tuple[Path, Path], branch: str) -> None:
    """``--branch HEAD`` once pushed local, unpushed commits as the Pages commit's parent."""
    work, origin = repo
    (work / "content/entities.yaml").write_text("{}\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "An unpushed commit")
    with pytest.raises(BriefgenError) as info:
        deploy(load_config(work), branch=branch)  # refused before anything is built
    assert _codes(info) == {"BG-DP007"}, branch
    assert not (work / "site").exists()
    assert _remote_branches(origin) == ""
    assert git(origin, "rev-list", "--all").strip() == ""  # nothing of ours reached it


def test_refuses_a_branch_name_that_is_also_a_tag(repo: tuple[Path, Path]) -> None:
    work, origin = repo
    git(work, "tag", "pages")
    with pytest.raises(BriefgenError) as info:
        deploy(load_config(work), branch="pages", build_first=False)
    assert _codes(info) == {"BG-DP007"}
    assert _remote_branches(origin) == ""


def test_message_and_names_starting_with_a_dash(repo: tuple[Path, Path]) -> None:
    work, origin = repo
    result = deploy(load_config(work), message="--no-jekyll -- a message with dashes")
    assert git(origin, "log", "-1", "--format=%s", "gh-pages").strip() == \
        "--no-jekyll -- a message with dashes"
    assert git(origin, "rev-parse", "gh-pages").strip() == result.commit
    with pytest.raises(BriefgenError) as info:
        deploy(load_config(work), remote="--upload-pack=touch pwned", build_first=False)
    assert _codes(info) == {"BG-DP003"}
    assert not (work / "pwned").exists()


def test_uncommitted_sources_need_allow_dirty(repo: tuple[Path, Path]) -> None:
    work, origin = repo
    brief_file = work / "content/briefs/2026-11-22-turkey-gas-hub.md"
    brief_file.write_text(brief_file.read_text() + "\nOne more line.\n")
    (work / "content/briefs/2026-12-01-new.md").write_text(brief("Not committed", "2026-12-01"))
    with pytest.raises(BriefgenError) as info:
        deploy(load_config(work))
    assert _codes(info) == {"BG-DP010"}
    message = info.value.diagnostics[0].message
    assert "2026-11-22-turkey-gas-hub.md" in message and "2026-12-01-new.md" in message
    assert _remote_branches(origin) == ""
    assert not (work / "site").exists()  # refused before building
    deploy(load_config(work), allow_dirty=True)
    head = git(work, "rev-parse", "HEAD").strip()
    assert git(origin, "log", "-1", "--format=%s", "gh-pages").startswith(
        f"Publish digest from {head} + uncommitted changes (")
    # Build output and the cache are not sources: a clean tree deploys without the flag.
    git(work, "add", "-A", "content")
    git(work, "commit", "--quiet", "-m", "Commit the edits")
    deploy(load_config(work))
    assert "uncommitted" not in git(origin, "log", "-1", "--format=%s", "gh-pages")


def test_cli_allow_dirty(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    (work / "briefgen.yaml").write_text("title: Changed\n")
    args = [sys.executable, "-m", "briefgen", "deploy", "-C", str(work)]
    refused = subprocess.run(args, capture_output=True, text=True, check=False, cwd=REPO)
    assert refused.returncode != 0 and "BG-DP010" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    allowed = subprocess.run([*args, "--allow-dirty"], capture_output=True, text=True,
                             check=False, cwd=REPO)
    assert allowed.returncode == 0, allowed.stderr


@pytest.mark.parametrize("kind", ["file", "folder", "fifo"])
def test_no_build_refuses_links_and_special_files_in_site(
        repo: tuple[Path, Path], tmp_path: Path, kind: str) -> None:
    """A link in site/ was committed as a regular file holding its target's content."""
    work, origin = repo
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.txt").write_text("PRIVATE KEY")
    site = work / "site"
    site.mkdir()
    (site / "index.html").write_text("<!DOCTYPE html><title>x</title>")
    if kind == "file":
        (site / "key.txt").symlink_to(secret / "key.txt")
    elif kind == "folder":
        (site / "keys").symlink_to(secret)
    else:
        os.mkfifo(site / "pipe.html")
    with pytest.raises(BriefgenError) as info:
        deploy(load_config(work), build_first=False)
    assert _codes(info) == {"BG-DP009"}
    assert _remote_branches(origin) == ""
