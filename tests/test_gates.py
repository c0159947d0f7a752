"""Quality gates on briefgen/: ruff, mypy --strict and bandit with no unexplained findings.

Each runs only when its tool is installed; under CI (env ``CI``) a missing tool fails.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys

import pytest
from conftest import REPO, need

pytestmark = pytest.mark.slow

# Files whose bandit findings belong to colleagues' work in progress; the gate for the whole
# tree is expected to fail until they add a fix or a "# nosec BXXX - reason" of their own.

def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=REPO, capture_output=True, text=True, check=False,
                          timeout=600)


def test_ruff() -> None:
    need(shutil.which("ruff") is not None, "ruff is not installed")
    result = _run("ruff", "check", "briefgen/")
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_strict() -> None:
    need(importlib.util.find_spec("mypy") is not None, "mypy is not installed")
    result = _run(sys.executable, "-m", "mypy", "--strict", "briefgen/")
    assert result.returncode == 0, result.stdout[-4000:]


def _bandit_findings() -> list[tuple[str, int, str, str]]:
    need(shutil.which("bandit") is not None, "bandit is not installed")
    result = _run("bandit", "-c", "pyproject.toml", "-r", "briefgen", "-q", "-f", "json")
    report = json.loads(result.stdout)
    assert report["errors"] == [], report["errors"]
    return sorted((r["filename"], r["line_number"], r["test_id"], r["issue_text"])
                  for r in report["results"])


def test_bandit_has_no_unexplained_findings() -> None:
    assert _bandit_findings() == []
