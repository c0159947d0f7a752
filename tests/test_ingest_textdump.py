"""Tests for reading page dumps: headline, section, byline, date and the body paragraphs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from briefgen.ingest.dates import find_author, find_date
from briefgen.ingest.textdump import parse_dump

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_2cacad33ece27a83.txt"


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


def test_clean_file_drops_only_a_foreign_headline() -> None:
    text = (
        "Library Extends Its Opening Hours\n\n"
        "The town library will open until nine in the evening from next month, the council said."
        "\n\n"
        "Football Club Signs Striker From Rival Team In Record Deal\n\n"
        "Readers had asked for longer opening hours in a survey of library users last spring.\n\n"
        "New hours\n\n"
        "The library will open at eight on weekdays and at ten on Saturdays.\n"
    )
    parts = parse_dump(text)
    assert parts.title == "Library Extends Its Opening Hours"
    assert "Football Club Signs Striker From Rival Team In Record Deal" not in parts.paragraphs
    assert "New hours" in parts.paragraphs
    assert len(parts.paragraphs) == 4


def test_comments_after_the_article_are_left_out() -> None:
    paragraph = (
        "The harbour wall will be rebuilt in concrete, the council of Port Ellery said on Tuesday."
    )
    text = (
        "• Home\n• News\n\nHarbour Wall To Be Rebuilt\n\n"
        + "\n\n".join(f"{paragraph} Detail number {n} was added." for n in range(5))
        + "\n\n12 Comments\n\n"
        + "\n\n".join(
            f"I think the council should have done this years ago, it is a disgrace {n}."
            for n in range(20)
        )
        + "\n"
    )
    parts = parse_dump(text)
    assert len(parts.paragraphs) == 5
    assert not any("disgrace" in p for p in parts.paragraphs)


def test_dump_keeps_a_closing_line_and_the_list_it_introduces() -> None:
    story = [
        "Couples who have been together for a long time often want to try something new on "
        "their evenings together, but do not know where to start or what they might enjoy.",
        "New couples want to get to know each other better and faster than small talk allows, "
        "and a game gives them a reason to ask the questions they would not dare to ask.",
        "Friends who meet for one night only can also use it to break the ice at a party.",
    ]
    dump = "\n\n".join(
        [
            "Home | Games | Blog | Contact",
            "Card game for couples",
            *story,
            "This game will help you!",
            "The new pack brings:",
            "• Hundreds of new tasks that make an evening at home more interesting\n"
            "• Dozens of tricky questions that help you know each other better\n"
            "• Challenges that last a whole week, even after the game is over",
            "• Facebook\n• Twitter",
            "© 2019 Example Games. All rights reserved",
        ]
    )
    body = "\n".join(parse_dump(dump).paragraphs)
    assert "This game will help you!" in body
    assert "The new pack brings:" in body
    assert "- Challenges that last a whole week, even after the game is over" in body
    assert "Twitter" not in body and "All rights reserved" not in body


def _menu(n: int) -> str:
    return "\n".join(f"• Section {k}" for k in range(n))


def test_scores_between_paragraphs_belong_to_the_report() -> None:
    """A results round-up: score lines and box scores sit between paragraphs. They used to
    cost the body window like menu entries, so only the last block of the report was kept."""
    report = (
        "Local Roundup: Viera stays unbeaten\n\n"
        + _menu(8)
        + "\n\nGIRLS BASKETBALL\n\nPalm Bay d. Rockledge 70-44\n\n"
        "Rockledge 14 11 6 15 — 44\n\nPalm Bay 18 22 13 17 — 70\n\n"
        "Palm Bay (1-0): Tolivert scored 25 points and Davis added 17 points in the win.\n\n"
        "Heritage 12 9 20 12 — 53\n\nTitusville 2 3 0 4 — 9\n\n"
        "Heritage (1-0): Armani Sheffield had 19 points and 3 steals for the visitors.\n\n"
        "Melbourne 17 16 20 16 — 69\n\nSpace Coast 10 15 14 15 — 54\n\n"
        "Space Coast (0-1): Kairi Thomas-Brooks led the team with 18 points on the night.\n\n"
        + _menu(8)
    )
    parts = parse_dump(report)
    body = "\n".join(parts.paragraphs)
    assert "Tolivert scored 25 points" in body
    assert "Rockledge 14 11 6 15 — 44" in body
    assert "Heritage 12 9 20 12 — 53" in body
    assert "Space Coast 10 15 14 15 — 54" in body
    assert "Section" not in body


def test_data_lines_are_numbers_not_headlines_or_file_names() -> None:
    from briefgen.ingest.lines import is_data

    assert is_data("Rockledge 14 11 6 15 — 44")
    assert is_data("1 Kyle Busch 5040 5 1 17 27")
    assert not is_data("Emirates orders 30 Boeing jets in a deal worth billions")
    assert not is_data("apple-iphone-11-pro-colors-091019.jpg")
    assert not is_data("12:51 p.m.")
    assert not is_data("Published 2:16 AM EST Nov 20, 2019")


@pytest.mark.parametrize(
    "heading", ["About the author", "Sobre Carlos Lima", "Über den Autor", "Über Moritz Weber"]
)
def test_an_author_bio_heading_ends_the_article_in_any_language(heading: str) -> None:
    """ "Sobre ..." / "Über ..." bios were read as more article (only English "About" was)."""
    article = "\n\n".join(
        f"The harbour board met on day {k} and agreed to widen the channel for larger ships."
        for k in range(6)
    )
    bio = (
        "Carlos Lima is a father of two and a teacher who writes about reading and music "
        "for young children at home and at school."
    )
    parts = parse_dump(f"Harbour channel to be widened\n\n{article}\n\n{heading}\n\n{bio}\n")
    body = "\n".join(parts.paragraphs)
    assert "widen the channel" in body
    assert "father of two" not in body and heading not in body
