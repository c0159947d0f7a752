"""Tests for ``briefgen.ingest``: the readers, the brief text and ``run_ingest``."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import briefgen.ingest as ingest
from briefgen.ingest import IngestReport, article_to_brief_text, read_input, run_ingest
from briefgen.ingest.article import Article
from briefgen.ingest.dates import find_author, find_date
from briefgen.ingest.textdump import parse_dump
from briefgen.ingest.writer import content_hash, is_edited

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_2cacad33ece27a83.txt"
DAY = dt.date(2026, 11, 20)


def _front_matter(path: Path) -> dict[str, Any]:
    """The parsed front matter of a written brief."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    loaded = yaml.safe_load(text.split("\n---\n", 1)[0][4:])
    assert isinstance(loaded, dict)
    return loaded


def _body(path: Path) -> str:
    """The Markdown body of a written brief."""
    return path.read_text(encoding="utf-8").split("\n---\n", 1)[1]


def _codes(report: IngestReport) -> list[str]:
    """Diagnostic codes of a report, in order."""
    return [d.code for d in report.diagnostics]


# --- the seed ------------------------------------------------------------------------------


@pytest.mark.skipif(
    not SEED.exists(),
    reason=f"seed not found at {SEED} (only present beside the repository, as in CI)",
)
def test_seed_comes_out_right() -> None:
    parts = parse_dump(SEED.read_text(encoding="utf-8"))
    assert (
        parts.title
        == "Turkey Shows Signs To De-Escalate Tensions With US Over Russian S-400 Missiles"
    )
    assert parts.section == "EurAsian Region"
    body = "\n".join(parts.paragraphs)
    for junk in (
        "Home EurAsian Region",
        "Almaz-Antey Group Delivers",
        "Unreliable Trump Permits",
        "After Saudi Attacks",
        "Indian Air Defence System",
        "Exit mobile version",
    ):
        assert junk not in body
    # The Pukhov quote spans the "After Saudi Attacks" line in the dump: one paragraph here.
    pukhov = [p for p in parts.paragraphs if "Ruslan Pukhov" in p]
    assert len(pukhov) == 1
    assert (
        pukhov[0].startswith("“After sharp rhetoric")
        and "eliminates this possibility,”" in pukhov[0]
    )
    assert parts.paragraphs[0].startswith("S-400s missiles that Turkey acquired")
    assert parts.paragraphs[-1].startswith("Meanwhile, despite Ankara’s gesture")
    firsts = [p.split()[0] for p in parts.paragraphs]
    assert firsts == [
        "S-400s",
        "The",
        "However,",
        "Experts",
        "“After",
        "“The",
        "However,",
        "Meanwhile,",
    ]
    assert any("Ilya Kramnik told Kommersant" in p for p in parts.paragraphs)


# --- text dumps ----------------------------------------------------------------------------


def test_dump_finds_headline_section_byline_and_date() -> None:
    parts = parse_dump((FIXTURES / "harbour_dump.txt").read_text(encoding="utf-8"))
    assert parts.title == "Port Ellery Votes To Rebuild Its Storm-Damaged Harbour Wall"
    assert parts.section == "Coastal Affairs"
    assert parts.author == "Jane Doe"
    assert parts.date == dt.date(2026, 1, 14)


def test_dump_drops_page_furniture_and_keeps_the_story_in_order() -> None:
    parts = parse_dump((FIXTURES / "harbour_dump.txt").read_text(encoding="utf-8"))
    body = "\n".join(parts.paragraphs)
    for junk in (
        "Advertisement",
        "Read more",
        "Lighthouse Keepers",
        "Celebrity Chef",
        "Photo:",
        "Share this",
        "Tags:",
        "©",
        "Exit mobile version",
        "By Jane Doe",
        "harbour-photo",
    ):
        assert junk not in body
    assert parts.paragraphs[0].startswith("The town council of Port Ellery voted")
    assert parts.paragraphs[-1].startswith("Work on the harbour wall")
    # A subhead that shares the story's words stays; it is not an unrelated headline.
    assert "Paying for the harbour wall" in parts.paragraphs


def test_dump_quote_across_a_junk_line_stays_one_paragraph() -> None:
    parts = parse_dump((FIXTURES / "harbour_dump.txt").read_text(encoding="utf-8"))
    quote = [p for p in parts.paragraphs if p.startswith("“We cannot ask")]
    assert len(quote) == 1
    assert quote[0].endswith("council leader Maria Okafor told reporters after the vote.")


def test_dump_in_another_language() -> None:
    parts = parse_dump((FIXTURES / "istanbul_dump.txt").read_text(encoding="utf-8"))
    assert parts.title == "İstanbul Holds Its First Night Marathon Across The Bosphorus"
    assert parts.section == "Gündem"
    assert parts.date == dt.date(2026, 10, 26)
    assert len(parts.paragraphs) == 4
    body = "\n".join(parts.paragraphs)
    assert "Reklam" not in body and "Hava Durumu" not in body and "Yorumlar" not in body


def test_clean_article_file_keeps_every_paragraph() -> None:
    text = (
        "Markets Rally On Rate Cut Hopes\n\nShares rose sharply on Monday.\n\n"
        "Analysts were surprised.\n\n"
        "Leading risers\n\nAcme Corp\n\nGlobex Ltd\n\nTrading volumes were the highest this year.\n"
    )
    parts = parse_dump(text)
    assert parts.title == "Markets Rally On Rate Cut Hopes"
    assert parts.paragraphs == (
        "Shares rose sharply on Monday.",
        "Analysts were surprised.",
        "Leading risers",
        "Acme Corp",
        "Globex Ltd",
        "Trading volumes were the highest this year.",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("By Jane Doe | 14 January 2026", dt.date(2026, 1, 14)),
        ("Published 3 March 2026", dt.date(2026, 3, 3)),
        ("22 September 2026 — 09:40 CET", dt.date(2026, 9, 22)),
        ("26 Ekim 2026", dt.date(2026, 10, 26)),
        ("Updated 1:39 am EST, Wednesday, November 20, 2019", dt.date(2019, 11, 20)),
        ("2026-02-28T10:00:00Z", dt.date(2026, 2, 28)),
        ("12 de marzo de 2026", dt.date(2026, 3, 12)),
        ("no date here", None),
    ],
)
def test_find_date(text: str, expected: dt.date | None) -> None:
    assert find_date(text) == expected


def test_find_author() -> None:
    assert find_author("By Jane Doe | 14 January 2026") == "Jane Doe"
    assert find_author("by the way, this is a sentence about nothing") == ""


# --- HTML, feeds, Markdown -----------------------------------------------------------------


def test_html_is_sanitised_and_keeps_structure(tmp_path: Path) -> None:
    report = run_ingest([FIXTURES / "hostile.html"], tmp_path, date=DAY)
    (brief,) = report.created
    text = brief.read_text(encoding="utf-8").lower()
    for bad in (
        "<script",
        "alert(",
        "onclick",
        "onload",
        "onmouseover",
        "javascript:",
        "<iframe",
        "<style",
    ):
        assert bad not in text
    meta = _front_matter(brief)
    assert meta["title"] == "Council Approves New Cycle Lanes For The City Centre"
    assert meta["author"] == "Sam Rivers"
    assert meta["date"] == dt.date(2026, 3, 3)
    assert meta["source"]["name"] == "City Ledger"
    assert meta["source"]["url"] == "https://ledger.example.com/news/cycle-lanes"
    body = _body(brief)
    assert "## What the plan costs" in body
    assert "- Eight kilometres of new protected lanes" in body
    assert "# Council Approves" not in body  # the title is not repeated in the body


def test_feed_gives_one_brief_per_entry(tmp_path: Path) -> None:
    feed = FIXTURES / "feed.xml"
    report = run_ingest([feed], tmp_path, date=DAY)
    assert report.ok and len(report.created) == 2
    metas = sorted((_front_matter(p) for p in report.created), key=lambda m: str(m["date"]))
    assert [m["title"] for m in metas] == [
        "New Bridge Opens Over The Alder River",
        "Valley School Wins National Science Prize",
    ]
    assert all(m["source"]["file"] == str(feed) for m in metas)
    assert metas[0]["author"] == "Lena Fischer"
    assert metas[0]["source"]["url"] == "https://courier.example.org/2026/05/bridge"
    for path in report.created:
        assert "alert" not in path.read_text(encoding="utf-8") and "onclick" not in path.read_text(
            encoding="utf-8"
        )


def test_markdown_note_is_completed_not_rewritten(tmp_path: Path) -> None:
    note = FIXTURES / "note_with_front_matter.md"
    report = run_ingest([note], tmp_path, date=DAY)
    (brief,) = report.created
    meta = _front_matter(brief)
    assert (
        meta["summary"]
        == "The council will borrow half the cost of the harbour wall over twenty years."
    )
    assert meta["tags"] == ["harbour", "budget"]
    assert meta["draft"] is True
    assert meta["date"] == dt.date(2026, 1, 20)
    original_body = note.read_text(encoding="utf-8").split("\n---\n", 1)[1].strip()
    assert _body(brief).strip() == original_body
    assert brief.name == "2026-01-20-notes-on-the-harbour-budget.md"


def test_markdown_without_front_matter_takes_title_from_heading(tmp_path: Path) -> None:
    report = run_ingest([FIXTURES / "note_plain.md"], tmp_path, date=DAY)
    (brief,) = report.created
    meta = _front_matter(brief)
    assert meta["title"] == "Orchard Festival Returns After Three Years"
    assert meta["date"] == DAY
    assert meta["summary"]
    assert not _body(brief).lstrip().startswith("#")


def test_invalid_front_matter_is_reported_with_a_line(tmp_path: Path) -> None:
    bad = tmp_path / "in" / "bad.md"
    bad.parent.mkdir()
    bad.write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")
    report = run_ingest([bad], tmp_path / "out")
    assert not report.ok and report.failed == (bad,)
    (d,) = report.diagnostics
    assert d.code == "BG-IN008" and d.pos.line >= 2


# --- the brief text ------------------------------------------------------------------------


def test_brief_front_matter_is_complete_and_ordered(tmp_path: Path) -> None:
    dump = tmp_path / "in" / "harbour.txt"
    dump.parent.mkdir()
    shutil.copy(FIXTURES / "harbour_dump.txt", dump)
    report = run_ingest([dump], tmp_path / "out", date=DAY)
    (brief,) = report.created
    assert brief.name == "2026-01-14-port-ellery-votes-to-rebuild-its-storm-damaged-harbour-wall.md"
    meta = _front_matter(brief)
    keys = list(meta)
    assert keys[:2] == ["title", "date"] and keys[-2:] == ["source", "ingest_hash"]
    assert meta["author"] == "Jane Doe" and meta["section"] == "Coastal Affairs"
    assert meta["source"] == {"file": str(dump), "retrieved": DAY}
    assert isinstance(meta["summary"], str) and meta["summary"]
    assert not is_edited(brief.read_text(encoding="utf-8"))


def test_article_to_brief_text_is_deterministic() -> None:
    article = Article(
        title="A: Title With # Marks", source_file="in/a.txt", date=DAY, paragraphs=("One.", "Two.")
    )
    first = article_to_brief_text(article, retrieved=DAY)
    assert first == article_to_brief_text(article, retrieved=DAY)
    assert first.endswith("---\n\nOne.\n\nTwo.\n")
    assert f"ingest_hash: {content_hash(first)}\n" in first


def test_slugs_are_ascii_unique_and_stay_inside_the_out_dir(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.md").write_text(
        "# İstanbul Holds Its First Night Marathon\n\nThe race starts at nine.\n", encoding="utf-8"
    )
    (src / "b.md").write_text(
        "# İstanbul Holds Its First Night Marathon\n\nAnother text.\n", encoding="utf-8"
    )
    (src / "c.md").write_text("# ../../../etc/passwd\n\nSneaky.\n", encoding="utf-8")
    (src / "d.md").write_text("# " + "Very Long Title " * 20 + "\n\nText.\n", encoding="utf-8")
    out = tmp_path / "out"
    report = run_ingest([src], out, date=DAY)
    names = sorted(p.name for p in report.created)
    assert "2026-11-20-istanbul-holds-its-first-night-marathon.md" in names
    assert "2026-11-20-istanbul-holds-its-first-night-marathon-2.md" in names
    assert all(p.resolve().parent == out.resolve() for p in report.created)
    assert all(p.name.isascii() and len(p.stem) <= 11 + 80 + 2 for p in report.created)
    assert sorted(p.name for p in out.iterdir()) == names


# --- idempotency and edits -----------------------------------------------------------------


def _inputs(tmp_path: Path) -> Path:
    """A folder holding one of each input kind."""
    src = tmp_path / "articles"
    src.mkdir()
    for name in (
        "harbour_dump.txt",
        "istanbul_dump.txt",
        "hostile.html",
        "feed.xml",
        "note_plain.md",
    ):
        shutil.copy(FIXTURES / name, src / name)
    return src


def test_rerun_changes_nothing(tmp_path: Path) -> None:
    src, out = _inputs(tmp_path), tmp_path / "briefs"
    first = run_ingest([src], out)
    assert len(first.created) == 6 and first.ok
    snapshot = {p.name: p.read_bytes() for p in out.iterdir()}
    second = run_ingest([src], out)
    assert second.created == () and second.updated == () and len(second.unchanged) == 6
    assert {p.name: p.read_bytes() for p in out.iterdir()} == snapshot


def test_edited_brief_is_skipped_unless_forced(tmp_path: Path) -> None:
    src, out = _inputs(tmp_path), tmp_path / "briefs"
    first = run_ingest([src], out, date=DAY)
    target = sorted(first.created)[0]
    edited = target.read_text(encoding="utf-8") + "\nA note a person added.\n"
    target.write_text(edited, encoding="utf-8")
    second = run_ingest([src], out, date=DAY)
    assert [p for p, _ in second.skipped] == [target]
    assert "edited" in second.skipped[0][1]
    assert "BG-IN009" in _codes(second) and second.ok  # a warning, not a failure
    assert target.read_text(encoding="utf-8") == edited
    third = run_ingest([src], out, date=DAY, force=True)
    assert third.updated == (target,)
    assert "A note a person added." not in target.read_text(encoding="utf-8")


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    src, out = _inputs(tmp_path), tmp_path / "briefs"
    report = run_ingest([src], out, dry_run=True)
    assert len(report.created) == 6 and not out.exists()


def test_progress_is_reported_per_input(tmp_path: Path) -> None:
    src = _inputs(tmp_path)
    calls: list[tuple[int, int, str]] = []
    run_ingest([src], tmp_path / "briefs", on_progress=lambda i, n, p: calls.append((i, n, p.name)))
    assert [(i, n) for i, n, _ in calls] == [(i, 5) for i in range(1, 6)]


def test_interrupted_write_leaves_no_half_brief(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, out = _inputs(tmp_path), tmp_path / "briefs"

    def boom(a: object, b: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    report = run_ingest([src], out)
    assert not report.ok and "BG-IN010" in _codes(report)
    assert list(out.iterdir()) == []  # neither briefs nor temporary files


def test_outputs_in_an_input_folder_are_not_ingested(tmp_path: Path) -> None:
    src = _inputs(tmp_path)
    out = src / "briefs"
    run_ingest([src], out)
    again = run_ingest([src], out)
    assert len(again.unchanged) == 6 and again.created == ()


# --- bad inputs ----------------------------------------------------------------------------


def test_each_bad_input_has_a_defined_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "empty.txt").write_bytes(b"")
    (src / "blank.txt").write_bytes(b"  \n\n ")
    (src / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (src / "huge.txt").write_bytes(b"word " * 2000)
    (src / "nothing.html").write_text(
        "<html><body><nav><a href='/'>Home</a></nav></body></html>", encoding="utf-8"
    )
    (src / "broken.xml").write_text("<rss><channel><title>x</title>", encoding="utf-8")
    shutil.copy(FIXTURES / "harbour_dump.txt", src / "good.txt")
    monkeypatch.setattr(ingest, "MAX_BYTES", 8000)
    report = run_ingest([src, tmp_path / "missing.txt"], tmp_path / "out")
    assert not report.ok
    assert len(report.created) == 1 and report.created[0].name.endswith("harbour-wall.md")
    by_file = {Path(d.pos.path).name: d.code for d in report.diagnostics}
    assert by_file == {
        "empty.txt": "BG-IN002",
        "blank.txt": "BG-IN002",
        "binary.txt": "BG-IN004",
        "huge.txt": "BG-IN003",
        "nothing.html": "BG-IN006",
        "broken.xml": by_file["broken.xml"],
        "missing.txt": "BG-IN001",
    }
    assert by_file["broken.xml"] in {"BG-IN006", "BG-IN007"}
    assert len(report.failed) == 7
    assert all(d.format().startswith(f"{d.pos.path}: error: ") for d in report.diagnostics)


def test_legacy_encodings_are_detected(tmp_path: Path) -> None:
    paragraph = (
        "Le conseil municipal a approuvé mercredi un réseau de pistes cyclables protégées, "
        "après un débat qui a duré plus de quatre heures devant une salle comble."
    )
    text = f"Pistes cyclables : le conseil dit oui\n\n{paragraph}\n\n{paragraph}\n"
    folder = tmp_path / "in"
    folder.mkdir()
    for encoding in ("cp1252", "utf-16", "utf-8-sig"):
        path = folder / f"{encoding}.txt"
        path.write_bytes(text.encode(encoding))
        (article,), problems = read_input(path)
        assert not problems
        assert article.title == "Pistes cyclables : le conseil dit oui"
        assert article.paragraphs[0] == paragraph
