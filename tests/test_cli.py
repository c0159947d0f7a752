"""The command line: help, version, build/check exit codes, new and init."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from briefgen import __version__
from briefgen.cli import main
from conftest import brief


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
    assert "content/briefs/b.md:3:1: error: bad date '2026-02-31' [BG-FM005]" in result.stderr
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
