"""The command line: help, version, build/check exit codes, new and init."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import brief

from briefgen import __version__
from briefgen.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "briefgen", *args], capture_output=True,
                          text=True, check=False)


def test_version_and_help() -> None:
    result = run("--version")
    assert result.returncode == 0 and __version__ in result.stdout
    for command in ("init", "new", "ingest", "build", "check"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output


def test_check_reports_and_writes_nothing(make_site: Callable[..., Path]) -> None:
    root = make_site({"content/briefs/a.md": brief("A"),
                      "content/briefs/b.md": "---\ntitle: B\ndate: 2026-02-31\n---\n"})
    result = run("check", "-C", str(root))
    assert result.returncode == 1
    assert ("content/briefs/b.md:3:7: error: bad date '2026-02-31': day 31 is out of range for "
            "February 2026 (it has 28 days) [BG-FM005]") in result.stderr
    assert not (root / "site").exists()
    (root / "content/briefs/b.md").write_text(brief("B"))
    result = run("check", "-C", str(root))
    assert result.returncode == 0, result.stderr
    assert not (root / "site").exists()


def test_build_prints_where_to_look(make_site: Callable[..., Path]) -> None:
    root = make_site({"content/briefs/a.md": brief("A")})
    result = run("build", "-C", str(root))
    assert result.returncode == 0, result.stderr
    assert "Built 1 briefs" in result.stdout and "index.html" in result.stdout


def test_config_error_is_reported_not_raised(make_site: Callable[..., Path]) -> None:
    root = make_site({}, config="itmes_per_page: 3\n")
    result = run("build", "-C", str(root))
    assert result.returncode == 1
    assert "briefgen.yaml:1:1: error: unknown config key 'itmes_per_page' [BG-CF003]" in (
        result.stderr)
    assert "Traceback" not in result.stderr


def test_new_creates_a_valid_brief(make_site: Callable[..., Path]) -> None:
    root = make_site({})
    result = run("new", "İstanbul Holds Talks", "-C", str(root), "--date", "2026-11-20",
                 "--tag", "turkey")
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.name == "2026-11-20-istanbul-holds-talks.md"
    assert run("check", "-C", str(root)).returncode == 0
    again = run("new", "İstanbul Holds Talks", "-C", str(root), "--date", "2026-11-20")
    assert again.returncode == 1 and "exists" in again.stderr


def test_init_scaffolds_a_buildable_site(tmp_path: Path) -> None:
    target = tmp_path / "digest"
    result = run("init", str(target))
    assert result.returncode == 0, result.stderr
    for rel in ("briefgen.yaml", ".gitignore", ".github/workflows/pages.yml",
                "content/articles", "content/briefs"):
        assert (target / rel).exists(), rel
    workflow = (target / ".github/workflows/pages.yml").read_text()
    for action in ("actions/configure-pages", "actions/upload-pages-artifact",
                   "actions/deploy-pages", "include-hidden-files: true",
                   "steps.pages.outputs.base_url"):
        assert action in workflow
    assert "site/" in (target / ".gitignore").read_text()
    result = run("build", "-C", str(target))
    assert result.returncode == 0, result.stderr
    assert (target / "site" / "index.html").is_file()
    assert run("init", str(target)).returncode == 1


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("command", ["build", "check", "deploy", "serve"])
def test_a_folder_that_is_not_a_digest_is_refused(tmp_path: Path, command: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """"Built 0 briefs", exit 0, and site/ and .briefgen/ written into the wrong folder."""
    import briefgen.serve

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("serve started in a folder that is not a digest")

    monkeypatch.setattr(briefgen.serve, "serve", never)  # fail, not hang, if it ever starts
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a digest\n")
    for args in ((command,), (command, "-C", str(folder)), ("-C", str(folder), command)):
        monkeypatch.chdir(folder if args == (command,) else tmp_path)
        result = _invoke(*args)
        assert result.exit_code == 1, result.output
        assert (f"{folder}: error: not a briefgen digest: there is no briefgen.yaml or "
                "content/briefs/ here [BG-CF005]") in result.stderr
        assert "hint: run 'briefgen init DIR'" in result.stderr
        assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    assert _invoke("build", "-C", str(tmp_path / "missing")).exit_code == 1
    assert not (tmp_path / "missing").exists()


def test_either_config_or_briefs_folder_makes_a_digest(make_site: Callable[..., Path]) -> None:
    root = make_site({}, config="title: T\n")
    assert _invoke("check", "-C", str(root)).exit_code == 0


def test_root_option_before_or_after_the_command(make_site: Callable[..., Path],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """git's order, ``briefgen -C dir build``, was refused ("No such option: -C")."""
    root = make_site({"content/briefs/a.md": brief("A")})
    monkeypatch.chdir(root.parent)
    for args in (("-C", str(root), "check"), ("check", "-C", str(root)),
                 ("-C", root.name, "check"), ("-C", str(root.parent), "check", "-C", root.name),
                 ("--root", root.name, "check")):
        result = _invoke(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "Checked 1 briefs" in result.output


def test_cache_is_keyed_by_the_folder_not_its_spelling(make_site: Callable[..., Path],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Alternating ``build`` and ``build -C /absolute/path`` rebuilt everything each time."""
    root = make_site({"content/briefs/a.md": brief("A"), "content/briefs/b.md": brief("B")})
    monkeypatch.chdir(root)
    first = _invoke("build")
    assert first.exit_code == 0 and "Built 2 briefs into site/" in first.output, first.output
    spellings = [("build",), ("build", "-C", str(root)), ("build",), ("build", "-C", "."),
                 ("build", "-C", f"../{root.name}/./"), ("-C", "..", "build", "-C", root.name),
                 ("-C", str(root), "build")]
    for args in spellings:
        result = _invoke(*args)
        assert result.exit_code == 0, result.output
        assert "is up to date (2 briefs; nothing changed)" in result.output, (args, result.output)


def test_new_twice_is_one_clean_error(make_site: Callable[..., Path],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """It printed "[Errno 17] File exists: '…': error: a brief with this name exists"."""
    root = make_site({"content/briefs/a.md": brief("A")})
    monkeypatch.chdir(root)
    assert _invoke("new", "Harbour Wall", "--date", "2026-11-20").exit_code == 0
    again = _invoke("new", "Harbour Wall", "--date", "2026-11-20")
    assert again.exit_code == 1
    assert again.stderr.splitlines() == [
        "content/briefs/2026-11-20-harbour-wall.md: error: a brief with this name exists "
        "already [BG-IO006]",
        "  hint: edit that brief, or give the new one another title or --date"]


def test_new_in_a_read_only_folder_is_a_clean_error(make_site: Callable[..., Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """It printed a traceback. Root ignores file modes, so then the refusal is simulated."""
    import errno

    import briefgen.publish.scaffold

    root = make_site({"content/briefs/a.md": brief("A")})
    folder = root / "content/briefs"
    if os.geteuid() == 0:
        def refuse(*args: object, **kwargs: object) -> None:
            raise PermissionError(errno.EACCES, "Permission denied", str(folder / "x.md"))

        monkeypatch.setattr(briefgen.publish.scaffold, "new_brief", refuse)
    folder.chmod(0o555)
    try:
        result = _invoke("new", "Harbour Wall", "-C", str(root))
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line, hint) = result.stderr.splitlines()
    assert line.startswith("content/briefs/") and line.endswith(
        "error: cannot write the brief: Permission denied [BG-IO004]")
    assert hint.startswith("  hint: check that the folder exists, is writable")


def test_a_bad_date_says_why_with_the_caret_under_the_value(
        make_site: Callable[..., Path]) -> None:
    root = make_site({"content/briefs/a.md": "---\ntitle: A\ndate:   '2026-02-30'\n---\n\nx\n",
                      "content/briefs/b.md": "---\ntitle: B\ndate: 2026-13-01\n---\n\nx\n",
                      "content/briefs/c.md": "---\ntitle: C\ndate: next week\n---\n\nx\n"})
    result = _invoke("check", "-C", str(root))
    assert result.exit_code == 1
    err = result.stderr
    assert ("content/briefs/a.md:3:10: error: bad date '2026-02-30': day 30 is out of range "
            "for February 2026 (it has 28 days) [BG-FM005]\n"
            "    date:   '2026-02-30'\n"
            "             ^\n") in err
    assert "b.md:3:7: error: bad date '2026-13-01': month 13 is out of range (01 to 12)" in err
    assert "c.md:3:7: error: bad date 'next week': not in the form YYYY-MM-DD" in err


def test_check_says_which_files_it_left_out_and_why(make_site: Callable[..., Path]) -> None:
    """"Checked 6 briefs" for 8 files, without saying why."""
    files = {f"content/briefs/b{i}.md": brief(f"B{i}", f"2026-11-1{i}") for i in range(6)}
    files["content/briefs/draft.md"] = brief("D", draft="true")
    files["content/briefs/broken.md"] = "---\ntitle: [unclosed\n---\n"
    root = make_site(files)
    result = _invoke("check", "-C", str(root))
    assert result.exit_code == 1
    assert ("Checked 6 briefs: 1 error(s), 1 warning(s). Left out 2 of 8 files: 1 draft(s) "
            "(build_drafts is off); 1 with an error shown above.") in result.stderr


def test_email_editions_without_base_url_warn_once(make_site: Callable[..., Path]) -> None:
    """Emails' links were ../../briefs/... with no base_url, and nothing warned."""
    files = {f"content/briefs/b{i}.md": brief(f"B{i}", f"2026-11-1{i}") for i in range(4)}
    root = make_site(files, config="title: T\nbase_url: ''\n")
    result = _invoke("build", "-C", str(root))
    assert result.exit_code == 0, result.output
    assert (root / "site/editions/2026-11-13/email.html").is_file()
    assert result.stderr.count("[BG-EM001]") == 1
    assert ("briefgen.yaml:2:1: warning: base_url is not set, so the 4 email edition(s) "
            "(editions/<date>/email.html and email.txt) link with relative paths") in result.stderr
    assert "set base_url in briefgen.yaml" in result.stderr and "--base-url" in result.stderr
    quiet = _invoke("build", "-C", str(root), "--base-url", "https://me.example/digest/")
    assert quiet.exit_code == 0 and "BG-EM001" not in quiet.output
    assert "https://me.example/digest/briefs/b1.html" in (
        root / "site/editions/2026-11-11/email.html").read_text(encoding="utf-8")
