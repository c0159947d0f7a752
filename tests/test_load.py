"""Load stage: every front matter problem is reported with its code and position."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefgen.pipeline.load import (
    SourceFile,
    check_duplicates,
    find_brief_files,
    load_briefs,
    parse_brief,
)
from briefgen.pipeline.validate import auto_summary


def parse(text: str | bytes, path: str = "content/briefs/x.md"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_brief(SourceFile(path=path, data=data))


def codes(problems) -> list[tuple[str, int]]:
    return [(p.code, p.pos.line) for p in problems if p.severity == "error"]


def test_valid_brief_has_all_fields() -> None:
    brief, problems = parse(
        "---\n"
        "title: Turkey limits S-400 use\n"
        "date: 2026-11-20T09:40:00+01:00\n"
        "tags: [defence, turkey]\n"
        "entities:\n  people: [Hulusi Akar]\n  places: [Turkey]\n"
        "quotes:\n  - speaker: Hulusi Akar\n    text: We are ready.\n"
        "source: {name: Example Wire, url: 'https://example.com/a'}\n"
        "updates: earlier-brief\n"
        "---\n\nFirst sentence here. Second one follows.\n"
    )
    assert problems == ()
    assert brief is not None
    assert brief.slug == "x"
    assert brief.date.isoformat() == "2026-11-20"
    assert brief.time is not None and brief.time.utcoffset() is not None
    assert brief.tags == ("defence", "turkey")
    assert brief.entities.people == ("Hulusi Akar",)
    assert brief.quotes[0].speaker == "Hulusi Akar"
    assert brief.source.url == "https://example.com/a"
    assert brief.updates == "earlier-brief"
    assert brief.summary_is_auto and brief.summary.startswith("First sentence here.")
    assert brief.body_line == 15
    assert brief.line_of("tags") == 4


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("---\ntitle: [unclosed\ndate: 2026-01-01\n---\n", "BG-FM001", 3),
        ("---\n- a list\n- not a mapping\n---\n", "BG-FM002", 2),
        ("---\ndate: 2026-01-01\n---\nbody\n", "BG-FM003", 1),
        ("---\ntitle: ''\ndate: 2026-01-01\n---\n", "BG-FM003", 2),
        ("---\ntitle: A\n---\nbody\n", "BG-FM004", 1),
        ("---\ntitle: A\ndate: 2026-13-45\n---\n", "BG-FM005", 3),
        ("---\ntitle: A\ndate: yesterday\n---\n", "BG-FM005", 3),
        ("---\ntitle: A\ndate: 2026-01-01\ntags: 7\n---\n", "BG-FM006", 4),
        ("---\ntitle: A\ndate: 2026-01-01\nentities: [a]\n---\n", "BG-FM006", 4),
        ("---\ntitle: A\ndate: 2026-01-01\nquotes: [just text]\n---\n", "BG-FM006", 4),
        ("---\ntitle: A\ndate: 2026-01-01\ndraft: maybe\n---\n", "BG-FM006", 4),
        ("---\ntitle: {a: 1}\ndate: 2026-01-01\n---\n", "BG-FM006", 2),
        ("---\ntitle: A\ndate: 2026-01-01\nslug: ../../etc\n---\n", "BG-FM006", 4),
        ("no front matter here\n", "BG-FM007", 1),
        ("---\ntitle: A\ndate: 2026-01-01\n", "BG-FM007", 1),
    ],
)
def test_front_matter_errors_have_code_and_line(text: str, code: str, line: int) -> None:
    brief, problems = parse(text)
    assert brief is None
    assert (code, line) in codes(problems)
    for problem in problems:
        assert problem.pos.path == "content/briefs/x.md"
        assert problem.hint


def test_all_problems_reported_at_once() -> None:
    _, problems = parse("---\ntitle: A\ndate: 2026-02-30\ntags: 1\ndraft: x\n---\n")
    assert codes(problems) == [("BG-FM005", 3), ("BG-FM006", 4), ("BG-FM006", 5)]


def test_yaml_error_position_and_source_line() -> None:
    _, problems = parse("---\ntitle: A\ndate: 2026-01-01\ntags: [a, b\n---\n")
    (problem,) = problems
    assert problem.code == "BG-FM001"
    assert problem.pos.line >= 4
    text = problem.format()
    assert text.startswith(f"content/briefs/x.md:{problem.pos.line}:")
    assert "[BG-FM001]" in text and "hint:" in text


def test_non_utf8_and_binary_files() -> None:
    _, problems = parse(b"---\ntitle: caf\xe9\ndate: 2026-01-01\n---\n")
    assert codes(problems) == [("BG-IO002", 2)]
    _, problems = parse(b"\x00\x01\x02binary")
    assert codes(problems) == [("BG-IO002", 1)]


def test_unknown_key_is_a_warning_with_suggestion() -> None:
    brief, problems = parse("---\ntitle: A\ndate: 2026-01-01\ntgas: [x]\n---\n")
    assert brief is not None
    (warning,) = problems
    assert warning.severity == "warning" and warning.code == "BG-FM008"
    assert "tags" in warning.hint


def test_unsafe_source_url_is_dropped() -> None:
    brief, problems = parse(
        "---\ntitle: A\ndate: 2026-01-01\nsource: {url: 'javascript:alert(1)'}\n---\n")
    assert brief is not None and brief.source.url == ""
    assert [p.code for p in problems] == ["BG-FM009"]


def test_yaml_bomb_is_refused_quickly() -> None:
    bomb = "---\ntitle: A\ndate: 2026-01-01\n" + "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]\n"
        for i in range(1, 9)) + "---\n"
    brief, problems = parse(bomb)
    assert brief is None
    assert codes(problems)[0][0] == "BG-FM001"


def test_duplicate_slugs_name_both_files() -> None:
    a, _ = parse("---\ntitle: A\ndate: 2026-01-01\nslug: same\n---\n", "content/briefs/a.md")
    b, _ = parse("---\ntitle: B\ndate: 2026-01-02\nslug: same\n---\n", "content/briefs/b.md")
    assert a is not None and b is not None
    (problem,) = check_duplicates([a, b])
    assert problem.code == "BG-LD001"
    assert problem.pos.path == "content/briefs/b.md" and problem.pos.line == 4
    assert "content/briefs/a.md" in problem.message


def test_slug_from_file_name_drops_date_prefix() -> None:
    brief, _ = parse("---\ntitle: A\ndate: 2026-01-01\n---\n",
                     "content/briefs/2026-01-01-İstanbul-Talks.md")
    assert brief is not None and brief.slug == "istanbul-talks"


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "content" / "briefs" / "a.md"
    path.mkdir(parents=True)  # a folder where a file should be: reading it fails as for chmod 0
    _, problems = load_briefs([path], tmp_path)
    assert [(p.code, p.pos.path) for p in problems] == [("BG-IO001", "content/briefs/a.md")]


def test_symlink_outside_briefs_is_refused(tmp_path: Path) -> None:
    briefs = tmp_path / "content" / "briefs"
    briefs.mkdir(parents=True)
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: A\ndate: 2026-01-01\n---\n")
    (briefs / "link.md").symlink_to(outside)
    (briefs / "loop.md").symlink_to(briefs / "loop.md")
    found, problems = find_brief_files(briefs, tmp_path)
    assert found == []
    assert sorted(p.code for p in problems) == ["BG-IO003", "BG-IO003"]


def test_auto_summary_takes_whole_sentences_of_the_prose() -> None:
    """The build's auto summary is ingest's summariser on the parsed prose: link text kept,
    headings and escapes read as the page shows them, whole sentences, at most 60 words."""
    body = ("## Heading\n\nThe city council approved the new [harbour](x) budget on Monday. "
            "Officials said the \\[revised\\] harbour budget adds two ferry routes next year. "
            + "Residents asked questions about parking near the harbour for a long time. " * 8)
    summary = auto_summary(body)
    assert summary.startswith("The city council approved the new harbour budget on Monday.")
    assert "[revised]" in summary and "Heading" not in summary
    assert len(summary.split()) <= 60 and summary.endswith(".")


def test_auto_summary_and_word_count_skip_code() -> None:
    """Indented and ~~~ code used to reach the meta description and the word count."""
    brief, problems = parse(
        "---\ntitle: A\ndate: 2026-01-01\n---\n\n    rm -rf / --no-preserve-root\n\n"
        "~~~\nsecret_token = 1\n~~~\n\n<div>raw html</div>\n\nThe real news is here.\n"
    )
    assert brief is not None and problems == ()
    assert brief.summary == "The real news is here."
    assert brief.word_count == 5
