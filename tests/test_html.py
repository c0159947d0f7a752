"""Every HTML page of the sample site passes the Nu HTML Checker with zero errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import need, vnu_jar

pytestmark = pytest.mark.slow


def test_sample_site_is_valid_html(sample_site: Path) -> None:
    need(shutil.which("java") is not None, "java is not installed (needed by vnu-jar)")
    need(vnu_jar().is_file(), "vnu-jar missing: run `npm ci --prefix tests/node`")
    pages = sorted(str(p) for p in sample_site.rglob("*.html"))
    result = subprocess.run(
        ["java", "-Xss8m", "-jar", str(vnu_jar()), "--errors-only", "--format", "json", *pages],
        capture_output=True, text=True, check=False, timeout=600)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [f"{m.get('url', '?')}:{m.get('lastLine', '?')}: {m['message']}"
              for m in messages if m.get("type") == "error"]
    assert errors == []
    assert len(pages) > 50
