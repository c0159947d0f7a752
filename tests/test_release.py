"""Installing and releasing: every import declared, bounded dependencies, one version, the
README's Quick start run by CI, and an sdist and a wheel that twine accepts and that work
without this repository."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO
from wheelhouse import Wheelhouse, build_wheelhouse

import briefgen

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement string."""
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert found, requirement
    return re.sub(r"[-_.]+", "-", found[0]).lower()


def _imports(folder: Path) -> set[str]:
    """Top-level modules that the code under ``folder`` imports."""
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"briefgen"}


def test_every_import_is_a_declared_dependency() -> None:
    declared = {_name(req) for req in PYPROJECT["project"]["dependencies"]}
    providers = importlib.metadata.packages_distributions()
    missing = {}
    for module in sorted(_imports(REPO / "briefgen")):
        dists = {_name(dist) for dist in providers.get(module, [])}
        assert dists, f"{module} is imported but no installed distribution provides it"
        if not dists & declared:
            missing[module] = dists
    assert not missing, f"imported but not in [project] dependencies: {missing}"


def test_lxml_html_clean_is_declared_for_pip_23() -> None:
    """trafilatura needs lxml.html.clean, a separate package since lxml 5.2; pip 23 does not
    match justext's "lxml[html_clean]" to lxml's "html-clean" extra, so it must be named."""
    declared = {_name(req) for req in PYPROJECT["project"]["dependencies"]}
    assert "lxml-html-clean" in declared


def test_dependencies_that_broke_before_are_bounded() -> None:
    bounded = {"trafilatura", "lxml", "lxml-html-clean", "numpy", "scipy", "markdown-it-py",
               "nh3", "watchdog", "click", "jinja2", "feedparser", "pagefind"}
    for req in PYPROJECT["project"]["dependencies"]:
        if _name(req) in bounded:
            assert re.search(r"<\s*\d", req), f"{req} has no upper bound"


def test_tests_time_out_instead_of_hanging() -> None:
    test_extra = {_name(req) for req in PYPROJECT["project"]["optional-dependencies"]["test"]}
    assert {"pytest-timeout", "build", "twine"} <= test_extra
    assert int(PYPROJECT["tool"]["pytest"]["ini_options"]["timeout"]) > 0


def test_the_version_lives_in_one_place() -> None:
    assert "version" not in PYPROJECT["project"]
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "briefgen/__init__.py"
    found = subprocess.run([sys.executable, "-m", "briefgen", "--version"], capture_output=True,
                           text=True, check=True).stdout
    assert briefgen.__version__ in found
    hits = [p for p in REPO.rglob("*.py") if "tests" not in p.parts
            and re.search(r"__version__\s*=", p.read_text(encoding="utf-8"))]
    assert hits == [REPO / "briefgen" / "__init__.py"]


def test_ci_runs_the_readme_quick_start_in_a_fresh_venv() -> None:
    printed = subprocess.run(["bash", str(REPO / ".ci/run"), "--commands"], capture_output=True,
                             text=True, check=True).stdout.splitlines()
    assert len(printed) == 2, printed
    install, tests = printed
    assert install == "python -m pip install . && briefgen build"
    assert tests.startswith('python -m pip install -e ".[test]" && ')
    assert tests.endswith("python -m pytest -n 2")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"```sh\n{install}\n{tests}\n```" in readme
    script = (REPO / ".ci/run").read_text(encoding="utf-8")
    assert "python3 -m venv" in script and "set -euo pipefail" in script
    assert not re.search(r"pip install[^\n]*(-U|--upgrade)[^\n]*\bpip\b", script)


def test_ci_fails_when_a_quick_start_command_fails(tmp_path: Path) -> None:
    """The exit status of a failing command (pytest's, at the end of a chain) ends CI."""
    copy = tmp_path / "repo"
    (copy / ".ci").mkdir(parents=True)
    script = (REPO / ".ci/run").read_text(encoding="utf-8")
    (copy / ".ci/run").write_text(script, encoding="utf-8")
    (copy / "README.md").write_text("## Quick start\n\n```sh\ntrue && exit 3\necho never\n```\n",
                                    encoding="utf-8")
    env = {**os.environ, "BRIEFGEN_CI_SKIP_APT": "1"}
    done = subprocess.run(["bash", str(copy / ".ci/run")], capture_output=True, text=True,
                          check=False, timeout=300, stdin=subprocess.DEVNULL, env=env)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "never" not in done.stdout.replace("+ echo never", "")


def test_readme_says_which_pythons_are_tested() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.search(r"Python 3\.11", readme)
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Wheelhouse:
    return build_wheelhouse(tmp_path_factory)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sdist_and_wheel_pass_twine_check(wheelhouse: Wheelhouse) -> None:
    done = subprocess.run([sys.executable, "-m", "twine", "check", "--strict",
                           str(wheelhouse.wheel), str(wheelhouse.sdist)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_wheel_carries_the_theme_and_nothing_of_the_repository(
        wheelhouse: Wheelhouse) -> None:
    names = set(zipfile.ZipFile(wheelhouse.wheel).namelist())
    for rel in (p.relative_to(REPO / "themes") for p in (REPO / "themes/default").rglob("*")
                if p.is_file()):
        assert f"briefgen/themes/{rel.as_posix()}" in names
    assert "briefgen/serve/client.js" in names
    assert not {n for n in names if n.startswith(("tests/", "content/", "benchmarks/"))}
    with tarfile.open(wheelhouse.sdist) as sdist:
        members = {m.split("/", 1)[1] for m in sdist.getnames() if "/" in m}
    assert "themes/default/templates/base.html" in members or any(
        m.startswith("themes/default/templates/") for m in members)
    assert not {m for m in members if m.startswith(("tests/", "content/", "benchmarks/"))}


def _release() -> dict[str, Any]:
    data = yaml.safe_load((REPO / ".github/workflows/release.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_release_publishes_tags_to_pypi_with_trusted_publishing() -> None:
    flow = _release()
    assert flow[True]["push"]["tags"] == ["v*"]  # YAML 1.1 reads the key "on" as True
    assert flow["permissions"] == {"contents": "read"}  # only the publish job gets a token
    publish = flow["jobs"]["publish"]
    assert publish["needs"] == "build" and publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    uses = [step.get("uses") for step in publish["steps"]]
    assert uses[-1] == "pypa/gh-action-pypi-publish@release/v1"
    assert "password" not in str(publish) and "secrets." not in str(flow)
    build_runs = "\n".join(s["run"] for s in flow["jobs"]["build"]["steps"] if "run" in s)
    assert "python -m build" in build_runs and "twine check --strict" in build_runs


@pytest.mark.parametrize(("tag", "ok"), [(f"v{briefgen.__version__}", True), ("v99.0.0", False),
                                         (briefgen.__version__, False)])
def test_release_refuses_a_tag_that_is_not_the_version(tag: str, ok: bool) -> None:
    step = next(s["run"] for s in _release()["jobs"]["build"]["steps"]
                if "GITHUB_REF_NAME" in s.get("run", ""))
    done = subprocess.run(["bash", "-e", "-c", step], cwd=REPO, capture_output=True, text=True,
                          check=False, env={**os.environ, "GITHUB_REF_NAME": tag})
    assert (done.returncode == 0) is ok, done.stdout + done.stderr
