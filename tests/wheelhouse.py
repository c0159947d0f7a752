"""A wheel of this briefgen and of everything it needs, built once per test run, and fresh
virtual environments that install from it alone, as a new user's machine would."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Wheelhouse:
    """``dist/`` holds the sdist and the wheel; ``wheels/`` that wheel and all its needs."""

    dist: Path
    wheels: Path

    @property
    def wheel(self) -> Path:
        return next(self.dist.glob("briefgen-*.whl"))

    @property
    def sdist(self) -> Path:
        return next(self.dist.glob("briefgen-*.tar.gz"))


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, check=False,  # type: ignore[call-overload]
                          **kwargs)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done  # type: ignore[no-any-return]


def _shared_folder(factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this run shares (the run's own base folder otherwise)."""
    base = factory.getbasetemp()
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    return base.parent / f"wheelhouse-{run_id}" if run_id else base / "wheelhouse"


def build_wheelhouse(factory: pytest.TempPathFactory) -> Wheelhouse:
    """``python -m build`` this repository (sdist, then the wheel from the sdist), then
    ``pip wheel`` everything the wheel needs next to it. Built by one worker; the others wait
    on a file lock and reuse it."""
    folder = _shared_folder(factory)
    folder.mkdir(parents=True, exist_ok=True)
    house = Wheelhouse(dist=folder / "dist", wheels=folder / "wheels")
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "done").exists():
            started = time.monotonic()
            _run([sys.executable, "-m", "build", "--outdir", str(house.dist), str(REPO)])
            _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir",
                  str(house.wheels), str(house.wheel)])
            (folder / "done").write_text(f"{time.monotonic() - started:.1f} s\n")
    return house


def offline_pip_env(house: Wheelhouse, venv: Path | None = None) -> dict[str, str]:
    """The environment of a machine whose pip finds packages in the wheelhouse only."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(house.wheels),
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def fresh_venv(path: Path) -> Path:
    """A new virtual environment made as a user makes one: ``python3 -m venv``, its own pip."""
    _run([sys.executable, "-m", "venv", str(path)])
    return path


def run_steps(workflow: Path, job: str = "build") -> list[str]:
    """The ``run:`` steps of ``job`` in ``workflow``, in order."""
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    return [step["run"] for step in data["jobs"][job]["steps"] if "run" in step]


def run_workflow_steps(digest: Path, venv: Path, house: Wheelhouse,
                       values: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    """Run the digest's Pages workflow ``run:`` steps in order in ``digest`` with ``venv`` as
    the runner's Python (what setup-python gives) and pip offline on the wheelhouse.

    ``values`` replaces each ``${{ expression }}`` the steps use; any other one fails.
    """
    done = []
    for step in run_steps(digest / ".github" / "workflows" / "pages.yml"):
        for expression, value in values.items():
            step = step.replace("${{ " + expression + " }}", value)
        assert "${{" not in step, f"a workflow expression the test does not provide: {step}"
        done.append(_run(["bash", "-e", "-c", step], cwd=digest,
                         env=offline_pip_env(house, venv), timeout=600))
    return done
