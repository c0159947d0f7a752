"""Screenshots of the front page, a thread page and a brief page at 1280 and 390 px, light and
dark, compared with the reviewed reference images in tests/fixtures/screenshots/.

Rendering is pinned so the same site gives the same pixels: fonts are set to DejaVu (installed
with fontconfig on Debian), animations and the caret are off, the sample content fixes the
dates, and storage starts empty so no "new" marks show. A spacing slip of a few pixels moves
whole blocks of text and fails the comparison; anti-aliasing noise does not.

After an intended design change, look at the new images, then update the references with

    BRIEFGEN_UPDATE_SCREENSHOTS=1 python -m pytest tests/test_screenshots.py

(which also refreshes the README's images in docs/).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess  # nosec B404 - fc-match with a fixed argument list
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, REPO, need

pytestmark = pytest.mark.browser

REFERENCE = FIXTURES / "screenshots"
FAILED = Path(tempfile.gettempdir()) / "briefgen-screenshot-failures"
DOCS = REPO / "docs"
PAGES = {
    "front": "index.html",
    "thread": "threads/s-400-and-turkey.html",
    "brief": "briefs/turkey-us-s400-working-group.html",
}
WIDTHS = (1280, 390)
SCHEMES = ("light", "dark")
MAX_HEIGHT = 4000  # px of a full-page shot that are compared
PIXEL_DELTA = 48  # a channel difference below this is anti-aliasing, not a change
MAX_CHANGED = 0.002  # share of pixels allowed to differ
PIN = """
:root { --serif: "DejaVu Serif", serif !important; --sans: "DejaVu Sans", sans-serif !important; }
*, *::before, *::after { animation: none !important; transition: none !important;
  caret-color: transparent !important; }
"""


def _has_dejavu() -> bool:
    if shutil.which("fc-match") is None:
        return False
    found = subprocess.run(["fc-match", "-f", "%{family}", "DejaVu Serif"],  # nosec B603 B607
                           capture_output=True, text=True, check=False).stdout
    return "DejaVu Serif" in found


def shoot(browser: Any, site: Path, rel: str, width: int, scheme: str) -> bytes:
    """A full-page PNG of ``rel`` at ``width`` px in ``scheme``, rendered deterministically."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme,
                                  device_scale_factor=1, reduced_motion="reduce")
    page = context.new_page()
    page.goto((site / rel).as_uri())
    page.add_style_tag(content=PIN)
    page.evaluate("document.fonts.ready")
    height = min(MAX_HEIGHT, page.evaluate("document.documentElement.scrollHeight"))
    data: bytes = page.screenshot(clip={"x": 0, "y": 0, "width": width, "height": height},
                                  full_page=True, animations="disabled")
    context.close()
    return data


def compact(png: bytes) -> bytes:
    """A 256-colour PNG of a screenshot, a third of the size; the colours it rounds differ by
    far less than ``PIXEL_DELTA``, so a reference stored this way compares as the original."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.quantize(256, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def changed_share(actual: bytes, expected: bytes) -> float:
    """Share of pixels that differ by more than ``PIXEL_DELTA`` in some channel (1.0 when the
    sizes differ: a page that grew or shrank has moved)."""
    from PIL import Image, ImageChops

    a = Image.open(io.BytesIO(actual)).convert("RGB")
    b = Image.open(io.BytesIO(expected)).convert("RGB")
    if a.size != b.size:
        return 1.0
    diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > PIXEL_DELTA else 0)
    histogram = diff.histogram()
    return histogram[255] / (a.size[0] * a.size[1])


CASES = [(name, width, scheme) for name in PAGES for width in WIDTHS for scheme in SCHEMES]


@pytest.mark.parametrize(("name", "width", "scheme"), CASES,
                         ids=[f"{n}-{w}-{s}" for n, w, s in CASES])
def test_page_matches_reference(browser: Any, sample_site: Path, name: str, width: int,
                                scheme: str) -> None:
    pytest.importorskip("PIL")
    need(_has_dejavu(), "the DejaVu fonts are not installed (apt-get install fonts-dejavu-core)")
    actual = shoot(browser, sample_site, PAGES[name], width, scheme)
    reference = REFERENCE / f"{name}-{width}-{scheme}.png"
    if os.environ.get("BRIEFGEN_UPDATE_SCREENSHOTS"):
        reference.parent.mkdir(parents=True, exist_ok=True)
        small = compact(actual)
        assert changed_share(actual, small) <= MAX_CHANGED / 10
        reference.write_bytes(small)
        if scheme == "light":
            (DOCS / f"screenshot-{name}-{width}.png").write_bytes(small)
        return
    assert reference.is_file(), f"no reference image {reference.name}; see this file's docstring"
    share = changed_share(actual, reference.read_bytes())
    if share > MAX_CHANGED:
        FAILED.mkdir(exist_ok=True)
        (FAILED / reference.name).write_bytes(actual)
    assert share <= MAX_CHANGED, (
        f"{name} at {width}px ({scheme}) differs from {reference.name} in {share:.2%} of its "
        f"pixels; the new image is in {FAILED}. If the change is intended, "
        "see this file's docstring")


def test_comparison_catches_a_small_spacing_slip() -> None:
    """The tolerance lets anti-aliasing through but not a block moved by 4 px."""
    pytest.importorskip("PIL")
    from PIL import Image, ImageDraw

    def picture(offset: int) -> bytes:
        image = Image.new("RGB", (400, 300), "white")
        draw = ImageDraw.Draw(image)
        for line in range(8):
            draw.text((20, 20 + offset + line * 30), "Turkey and the S-400 " * 3, fill="black")
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()

    assert changed_share(picture(0), picture(0)) == 0
    assert changed_share(picture(0), picture(4)) > MAX_CHANGED
