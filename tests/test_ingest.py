"""Tests for ``briefgen.ingest``: the readers, the brief text and ``run_ingest``."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import briefgen.ingest as ingest
from briefgen.ingest import IngestReport, article_to_brief_text, read_input, run_ingest
from briefgen.ingest.article import Article
from briefgen.ingest.writer import content_hash, is_edited

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
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
    report = run_ingest([feed], tmp_path, date=DAY, root=FIXTURES)
    assert report.ok and len(report.created) == 2
    metas = sorted((_front_matter(p) for p in report.created), key=lambda m: str(m["date"]))
    assert [m["title"] for m in metas] == [
        "New Bridge Opens Over The Alder River",
        "Valley School Wins National Science Prize",
    ]
    assert all(m["source"]["file"] == "feed.xml" for m in metas)  # relative to the root
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


def test_dump_text_is_escaped_as_markdown(tmp_path: Path) -> None:
    dump = tmp_path / "x.txt"
    dump.write_text(
        "Council Debates Script Tags\n\n"
        "The clerk read out <script>alert(1)</script> from the complaint, to general laughter.\n\n"
        "# The speaker then asked for [order] and *calm* in the chamber before the vote.\n",
        encoding="utf-8",
    )
    (article,), problems = read_input(dump)
    assert not problems
    body = article.body_markdown
    assert re.search(r"(?<!\\)<", body) is None and "\\<script>" in body
    assert body.splitlines()[-1].startswith(
        "\\# The speaker then asked for \\[order\\] and \\*calm\\*"
    )


def test_markdown_with_a_bad_date_warns_and_still_gives_a_brief(tmp_path: Path) -> None:
    note = tmp_path / "in" / "n.md"
    note.parent.mkdir()
    note.write_text("---\ntitle: A Note\ndate: next tuesday\n---\n\nSome text.\n", encoding="utf-8")
    report = run_ingest([note], tmp_path / "out", date=DAY)
    assert report.ok and len(report.created) == 1
    (d,) = report.diagnostics
    assert (d.code, d.severity, d.pos.line) == ("BG-IN008", "warning", 3)
    assert _front_matter(report.created[0])["date"] == DAY


def test_same_input_spelt_differently_reuses_its_brief(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(FIXTURES / "harbour_dump.txt", src / "h.txt")
    first = run_ingest([src / "h.txt"], tmp_path / "out")
    again = run_ingest([tmp_path / "in" / ".." / "in" / "h.txt"], tmp_path / "out")
    assert len(first.created) == 1 and again.created == ()
    # One spelling of source.file whatever the path given: the brief is not even rewritten.
    assert again.unchanged == first.created and again.updated == ()


def test_person_written_brief_with_the_same_name_is_not_touched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    mine = out / "2026-01-14-port-ellery-votes-to-rebuild-its-storm-damaged-harbour-wall.md"
    mine.write_text("---\ntitle: Mine\ndate: 2026-01-14\n---\n\nHand written.\n", encoding="utf-8")
    report = run_ingest([FIXTURES / "harbour_dump.txt"], out)
    (created,) = report.created
    assert created.name.endswith("-harbour-wall-2.md")
    assert mine.read_text(encoding="utf-8").endswith("Hand written.\n")


def test_html_keeps_safe_links_as_markdown(tmp_path: Path) -> None:
    source = Path(__file__).parent / "fixtures" / "ingest" / "links-and-script.html"
    report = run_ingest([source], tmp_path)
    assert report.ok and len(report.created) == 1
    text = Path(report.created[0]).read_text(encoding="utf-8")
    assert "[port authority](https://example.org/authority)" in text
    assert "javascript:" not in text and "<script" not in text and "alert(1)" not in text
    assert "Click here for the full report" in text
    assert "Privacy" not in text


def test_hostile_feed_entries_are_sanitised(tmp_path: Path) -> None:
    feed = tmp_path / "in" / "hostile.xml"
    feed.parent.mkdir()
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>Port &lt;script&gt;alert(1)&lt;/script&gt; reopens</title>"
        "<link>javascript:alert(1)</link><pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate>"
        "<description><![CDATA[<p>The harbour reopened on Monday after three weeks of repairs"
        " to its breakwater, the port authority said.</p><script>alert(2)</script>"
        '<img src=x onerror="alert(3)"><p>See <a href="javascript:alert(4)">this</a> and '
        '<a href="https://example.org/r">the report</a> on the repairs and their cost.</p>'
        "<iframe src=\"https://evil.example\"></iframe>]]></description></item>"
        "</channel></rss>", encoding="utf-8")
    report = run_ingest([feed], tmp_path / "out")
    assert len(report.created) == 1
    text = Path(report.created[0]).read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    for bad in ("<script", "alert(2)", "onerror", "javascript:", "<iframe", "alert(4)"):
        assert bad not in body, bad
    assert "harbour reopened" in body and "the report on the repairs" in body
    brief = yaml.safe_load(front)
    # The title is plain text (the theme escapes it); a javascript: link is no source URL.
    assert brief["title"] == "Port <script>alert(1)</script> reopens"
    assert not brief.get("source", {}).get("url", "").startswith("javascript")


def _digest(tmp_path: Path) -> Path:
    """A digest as ``init`` leaves it: config, the notes in content/articles, no briefs yet."""
    root = tmp_path / "digest"
    (root / "content/articles").mkdir(parents=True)
    (root / "content/briefs").mkdir()
    (root / "briefgen.yaml").write_text("title: T\n", encoding="utf-8")
    (root / "content/articles/README.md").write_text(
        "# Articles\n\nDrop raw articles here, then run `briefgen ingest`; put them in folders.\n",
        encoding="utf-8",
    )
    return root


def test_notes_hidden_and_other_files_are_not_articles(tmp_path: Path) -> None:
    """init's content/articles/README.md became a brief (on the front page, as a related
    brief) and came back on every ingest; now it and other non-articles are left out."""
    root = _digest(tmp_path)
    articles = root / "content/articles"
    shutil.copy(FIXTURES / "harbour_dump.txt", articles / "harbour.txt")
    (articles / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (articles / "readme.txt").write_text("Notes for the desk.\n", encoding="utf-8")
    (articles / "scan.pdf").write_bytes(b"%PDF-1.4")
    (articles / ".git").mkdir()
    (articles / ".git/notes.txt").write_text("a note\n", encoding="utf-8")
    report = run_ingest([articles], root / "content/briefs", root=root)
    assert report.ok and len(report.created) == 1
    assert sorted(p.name for p in report.not_articles) == [
        ".DS_Store", ".git", "README.md", "readme.txt", "scan.pdf"]
    assert [p.name for p in (root / "content/briefs").iterdir()] == [report.created[0].name]

    from click.testing import CliRunner

    from briefgen.cli import main

    result = CliRunner().invoke(main, ["ingest", "-C", str(root)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "not articles" in line]
    assert lines == ["skipped 5 files that are not articles: .DS_Store, .git/, README.md, "
                     "readme.txt, scan.pdf (ingest reads .txt, .html, feeds and .md; never "
                     "README or hidden files)"]
    assert "0 created" in result.output


def test_a_file_named_on_the_command_line_is_still_sniffed(tmp_path: Path) -> None:
    src = tmp_path / "article-without-suffix"
    shutil.copy(FIXTURES / "harbour_dump.txt", src)
    report = run_ingest([src], tmp_path / "out", date=DAY)
    assert report.ok and len(report.created) == 1 and report.not_articles == ()
    readme = tmp_path / "README.md"
    readme.write_text("# Notes\n\nNot news.\n", encoding="utf-8")
    report = run_ingest([readme], tmp_path / "out", date=DAY)
    assert report.created == () and report.not_articles == (readme,)


def test_cli_and_serve_write_one_source_file_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  ) -> None:
    """serve's auto-ingest wrote an absolute source.file and the CLI a relative one, so the
    next CLI ingest made a duplicate brief (...-2.md)."""
    from click.testing import CliRunner

    from briefgen.cli import main
    from briefgen.serve.live import LiveSite
    from briefgen.serve.server import Hub

    root = _digest(tmp_path)
    dropped = root / "content/articles/harbour.txt"
    shutil.copy(FIXTURES / "harbour_dump.txt", dropped)
    site = LiveSite(root, Hub(), echo=lambda text: None)
    site.handle([str(dropped)])  # what the watcher does with a file dropped while serving
    (written,) = (root / "content/briefs").iterdir()
    assert _front_matter(written)["source"]["file"] == "content/articles/harbour.txt"
    for cwd, args in ((root, ["ingest"]), (tmp_path, ["ingest", "-C", str(root)])):
        monkeypatch.chdir(cwd)
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "0 created" in result.output and "1 unchanged" in result.output
    assert list((root / "content/briefs").iterdir()) == [written]


def test_brief_from_an_absolute_source_file_is_found_again(tmp_path: Path) -> None:
    """Briefs older versions wrote from serve (absolute source.file) are reused, not doubled."""
    root = _digest(tmp_path)
    dropped = root / "content/articles/harbour.txt"
    shutil.copy(FIXTURES / "harbour_dump.txt", dropped)
    old = run_ingest([dropped], root / "content/briefs", root=tmp_path / "elsewhere")
    (written,) = old.created
    assert _front_matter(written)["source"]["file"] == str(dropped)
    again = run_ingest([root / "content/articles"], root / "content/briefs", root=root)
    assert again.created == () and again.updated == (written,)
    assert _front_matter(written)["source"]["file"] == "content/articles/harbour.txt"


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_briefs_are_written_with_the_usual_file_mode(tmp_path: Path, mask: int, mode: int) -> None:
    """Ingested briefs were 0600 (mkstemp's mode) while ``briefgen new`` writes 0644."""
    old = os.umask(mask)
    try:
        report = run_ingest([FIXTURES / "harbour_dump.txt"], tmp_path / "out", date=DAY)
    finally:
        os.umask(old)
    (brief,) = report.created
    assert brief.stat().st_mode & 0o777 == mode
    brief.chmod(0o640)  # a mode the person chose survives an update
    brief.write_text(brief.read_text(encoding="utf-8").replace("Port", "Porte", 1))
    forced = run_ingest([FIXTURES / "harbour_dump.txt"], tmp_path / "out", date=DAY, force=True)
    assert forced.updated == (brief,) and brief.stat().st_mode & 0o777 == 0o640


def test_one_headline_on_two_days_gives_two_slugs_and_a_build(tmp_path: Path) -> None:
    """Real news repeats headlines: two different stories with one title, ingested on
    different days, used to get one slug and fail the build with BG-LD001."""
    from briefgen.build import build
    from briefgen.config import load_config

    root = _digest(tmp_path)
    text = (FIXTURES / "harbour_dump.txt").read_text(encoding="utf-8")
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text(text, encoding="utf-8")
    second.write_text(text.replace("14 January 2026", "15 January 2026")
                      .replace("harbour", "marina"), encoding="utf-8")
    out = root / "content/briefs"
    one = run_ingest([first], out, date=dt.date(2026, 1, 14), root=root)
    two = run_ingest([second], out, date=dt.date(2026, 1, 15), root=root)
    (a,), (b,) = one.created, two.created
    assert a.name.startswith("2026-01-14-") and b.name.startswith("2026-01-15-")
    assert b.stem.endswith("-2") and not a.stem.endswith("-2")
    # Each input keeps its own brief when ingested again.
    again = run_ingest([first, second], out, date=dt.date(2026, 1, 14), root=root)
    assert again.created == ()
    build(load_config(root))
    assert len(list((root / "site/briefs").glob("*.html"))) == 2
