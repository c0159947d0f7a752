"""The one front matter reader: positions from YAML nodes, duplicate keys, the same guards."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefgen.cli import main
from briefgen.ingest.writer import read_identity
from briefgen.pipeline.load import SourceFile, parse_brief
from briefgen.publish.scaffold import brief_text, init_site
from briefgen.source.frontmatter import FrontMatterError, read
from briefgen.source.yamlpos import read_yaml, top_key_lines

BOMB = Path(__file__).parent / "fixtures" / "hostile" / "briefs" / "billion-laughs.md"


def _errors(text: str) -> list[tuple[str, int, int]]:
    _brief, problems = parse_brief(SourceFile(path="content/briefs/x.md", data=text.encode()))
    return [(p.code, p.pos.line, p.pos.col) for p in problems if p.severity == "error"]


def test_duplicate_key_is_an_error_at_the_second_key() -> None:
    text = "---\ntitle: First\ndate: 2026-01-01\ntitle: Second\n---\nBody.\n"
    assert _errors(text) == [("BG-FM001", 4, 1)]


def test_duplicate_nested_key_points_at_its_own_line() -> None:
    text = "---\ntitle: A\ndate: 2026-01-01\nsource:\n  name: X\n  name: Y\n---\nBody.\n"
    assert _errors(text) == [("BG-FM001", 6, 3)]


@pytest.mark.parametrize(
    ("front", "line", "col"),
    [
        # a bad value inside a mapping: the nested key's own line, not its parent's
        ("source:\n  name: Wire\n  url: [not, text]\n", 6, 3),
        # the third tag is a mapping: the item's line
        ("tags:\n  - one\n  - two\n  - {three: 3}\n", 7, 5),
        ("entities:\n  people: [Jane]\n  animals: [Rex]\n", 6, 3),
        ("entities:\n  people:\n    - Jane\n    - [Rex]\n", 7, 7),
        ("quotes:\n  - {speaker: A, text: Fine.}\n  - just text\n", 6, 5),
    ],
)
def test_nested_value_errors_point_at_their_own_line(front: str, line: int, col: int) -> None:
    text = f"---\ntitle: A\ndate: 2026-01-01\n{front}---\nBody.\n"
    assert ("BG-FM006", line, col) in _errors(text)


def test_every_key_and_value_has_a_position() -> None:
    front = read("---\ntitle: A\nsource:\n  name: X\n  url: https://e.org\ntags: [a, b]\n---\n")
    assert front.keys["title"] == (2, 1)
    assert front.keys["source.url"] == (5, 3)
    assert front.keys["tags.1"] == (6, 11)
    assert front.line_of("missing") == 1


def test_billion_laughs_refused_at_the_expanding_value_everywhere() -> None:
    text = BOMB.read_text(encoding="utf-8")
    with pytest.raises(FrontMatterError) as info:
        read(text)
    assert (info.value.code, info.value.line) == ("BG-FM001", 9)
    assert "alias" in str(info.value)


def test_recursive_alias_is_refused() -> None:
    marked, problem = read_yaml("a: &x [1, *x]\n")
    assert marked is None and problem is not None and "alias" in problem.message


def test_config_positions_come_from_nodes() -> None:
    # a quoted key is a key: the regex reader missed it and reported line 1
    text = "about: x\n'title': Real\n"
    assert top_key_lines(text) == {"about": 1, "title": 2}


def test_billion_laughs_note_through_ingest_is_a_clean_error(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(BOMB, notes / "bomb.md")
    result = CliRunner().invoke(
        main, ["ingest", str(notes), "--root", str(tmp_path), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, MemoryError)
    assert "bomb.md:9:4: error:" in result.output + (result.stderr or "")
    assert "[BG-IN008]" in result.output + (result.stderr or "")


def test_read_identity_refuses_a_bomb(tmp_path: Path) -> None:
    brief = tmp_path / "b.md"
    shutil.copy(BOMB, brief)
    assert read_identity(brief) is None


def test_new_brief_reads_back_through_the_reader(tmp_path: Path) -> None:
    init_site(tmp_path)
    text = brief_text("Title: with 'quotes' and #hash", dt.date(2026, 1, 2), ("a", "b: c"))
    brief, problems = parse_brief(SourceFile(path="content/briefs/n.md", data=text.encode()))
    assert brief is not None and [p for p in problems if p.severity == "error"] == []
    assert brief.title == "Title: with 'quotes' and #hash" and brief.tags == ("a", "b: c")
