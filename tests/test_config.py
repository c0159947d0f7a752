"""Configuration: defaults, validation, every problem at once with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefgen.config import Config, load_config
from briefgen.errors import BriefgenError


def test_no_config_gives_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == Config(root=tmp_path)
    assert config.output_dir == "site" and config.items_per_page == 20


def test_values_are_read(tmp_path: Path) -> None:
    (tmp_path / "briefgen.yaml").write_text(
        "title: My Desk\nbase_url: https://example.org/desk\nitems_per_page: 5\n"
        "related_half_life_days: 10\n")
    config = load_config(tmp_path)
    assert config.title == "My Desk" and config.items_per_page == 5
    assert config.site_url == "https://example.org/desk/"
    assert config.related_half_life_days == 10.0


def test_all_errors_reported_with_lines(tmp_path: Path) -> None:
    (tmp_path / "briefgen.yaml").write_text(
        "title: Ok\ntitel: typo\nitems_per_page: many\noutput_dir: ../outside\n"
        "base_url: example.org\nsearch: 3\n")
    with pytest.raises(BriefgenError) as info:
        load_config(tmp_path)
    got = [(d.code, d.pos.line) for d in info.value.diagnostics]
    assert got == [("BG-CF003", 2), ("BG-CF004", 3), ("BG-CF004", 4), ("BG-CF004", 5),
                   ("BG-CF004", 6)]
    assert "did you mean 'title'" in info.value.diagnostics[0].hint
    assert all(d.pos.path == "briefgen.yaml" for d in info.value.diagnostics)


def test_bad_yaml_and_non_mapping(tmp_path: Path) -> None:
    (tmp_path / "briefgen.yaml").write_text("title: [oops\n")
    with pytest.raises(BriefgenError) as info:
        load_config(tmp_path)
    assert info.value.diagnostics[0].code == "BG-CF001"
    (tmp_path / "briefgen.yaml").write_text("- a\n- b\n")
    with pytest.raises(BriefgenError) as info:
        load_config(tmp_path)
    assert info.value.diagnostics[0].code == "BG-CF002"


def test_overrides_are_validated(tmp_path: Path) -> None:
    assert load_config(tmp_path, overrides={"base_url": "https://x.org/r/"}).base_url
    with pytest.raises(BriefgenError):
        load_config(tmp_path, overrides={"base_url": "javascript:alert(1)"})
