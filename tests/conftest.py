"""Shared test helpers: small sites written from dicts, the sample site, external tools."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = REPO.parent / "shared"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def need(condition: bool, reason: str) -> None:
    """Skip when a tool is missing, except in CI, where a missing tool is a failure."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is missing a test tool: {reason}")
    pytest.skip(reason)


def brief(title: str, date: str = "2026-11-20", body: str = "Body text.", **fields: str) -> str:
    """A brief file's text; extra fields are raw YAML lines."""
    lines = [f"title: {title}", f"date: {date}"]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + textwrap.dedent(body).strip() + "\n"


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """Write a site folder from ``{relative path: text}`` and return its root."""

    def make(files: dict[str, str | bytes], config: str | None = None) -> Path:
        root = tmp_path / "site-root"
        root.mkdir(exist_ok=True)
        if config is not None:
            (root / "briefgen.yaml").write_text(config, encoding="utf-8")
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8")
        return root

    return make


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's sample content built once into a temporary folder; returns site/."""
    from briefgen.build import build
    from briefgen.config import load_config

    root = tmp_path_factory.mktemp("sample")
    shutil.copytree(REPO / "content", root / "content")
    if (REPO / "briefgen.yaml").exists():
        shutil.copy(REPO / "briefgen.yaml", root / "briefgen.yaml")
    build(load_config(root))
    return root / "site"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless Debian Chromium driven by Playwright."""
    need(CHROMIUM.exists(), "Debian's chromium is not installed at /usr/bin/chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as driver:
        instance = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def vnu_jar() -> Path:
    """The Nu HTML Checker jar installed by ``npm ci --prefix tests/node``."""
    return REPO / "tests" / "node" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
