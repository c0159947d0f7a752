"""Extractive summary and key points: shape, budget, context rules and determinism."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefgen.nlp.sentences import word_count
from briefgen.nlp.summarize import split_sentences, summarize

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "nlp"
ARTICLES = sorted(p.name for p in FIXTURES.glob("*.txt"))


def article(name: str) -> tuple[str, list[str]]:
    """Title and paragraphs of a fixture article."""
    title, _, body = (FIXTURES / name).read_text(encoding="utf-8").strip().partition("\n")
    return title, [p.strip() for p in body.split("\n\n") if p.strip()]


def sentences_of(paragraphs: list[str]) -> list[str]:
    """Every sentence of an article."""
    return [s for p in paragraphs for s in split_sentences(p)]


@pytest.mark.parametrize("name", ARTICLES)
def test_summary_is_extractive_short_and_in_order(name: str) -> None:
    title, paragraphs = article(name)
    summary, points = summarize(title, paragraphs)
    sents = sentences_of(paragraphs)
    picked = split_sentences(summary)
    assert 1 <= len(picked) <= 3
    assert all(s in sents for s in picked)
    assert [sents.index(s) for s in picked] == sorted(sents.index(s) for s in picked)
    assert word_count(summary) <= 60
    assert 3 <= len(points) <= 5
    assert not set(points) & set(picked)
    assert len(set(points)) == len(points)


@pytest.mark.parametrize("name", ARTICLES)
def test_summary_is_deterministic(name: str) -> None:
    title, paragraphs = article(name)
    assert summarize(title, paragraphs) == summarize(title, list(paragraphs))


def test_summary_keeps_the_lede() -> None:
    title, paragraphs = article("harbour_strike.txt")
    summary, _ = summarize(title, paragraphs)
    assert summary.startswith("Thousands of dock workers in Rotterdam walked off the job")


def test_sentences_that_need_context_are_left_out() -> None:
    title, paragraphs = article("harbour_strike.txt")
    summary, points = summarize(title, paragraphs, max_words=0)
    for sentence in split_sentences(summary):
        assert not sentence.startswith(("However", "She ", "He ", "Van der Berg said"))
        assert not sentence.startswith("Okafor said")  # a bare surname needs the sentence before
    assert not any(p.startswith(("She added", "Okafor said")) for p in points)


def test_key_points_drop_link_words() -> None:
    title, paragraphs = article("harbour_strike.txt")
    _, points = summarize(title, paragraphs)
    assert "Operators say automation is the only way to keep the port competitive." in points
    assert all(word_count(p) <= 30 for p in points)


def test_word_cap_and_sentence_cap() -> None:
    title, paragraphs = article("chip_export.txt")
    capped, _ = summarize(title, paragraphs, max_words=40)
    assert word_count(capped) <= 40 or len(split_sentences(capped)) == 1
    one, _ = summarize(title, paragraphs, max_sentences=1, max_words=0)
    assert len(split_sentences(one)) == 1
    uncapped, _ = summarize(title, paragraphs, max_words=0)
    assert len(split_sentences(uncapped)) == 3


def test_quote_fragments_are_not_summary_sentences() -> None:
    paragraphs = [
        "The city council approved a new budget for schools and parks on Tuesday evening.",
        "“We listened to parents for months. This budget finally answers them,” the mayor said.",
        "The budget raises school spending by four percent and adds two new parks downtown.",
    ]
    summary, points = summarize("Council approves budget", paragraphs, max_words=0)
    assert "“We listened to parents for months." not in summary
    assert all(p.count("“") == p.count("”") for p in points)


def test_short_and_empty_input() -> None:
    assert summarize("", []) == ("", ())
    assert summarize("", ["", "  "]) == ("", ())
    summary, points = summarize("One", ["Only one sentence here."])
    assert summary == "Only one sentence here."
    assert points == ("Only one sentence here.",)


def test_a_long_single_sentence_is_still_a_summary() -> None:
    long = " ".join(["word"] * 80) + "."
    summary, _ = summarize("", [long])
    assert summary == long  # never cut a sentence, even over the word budget


def test_markdown_is_summarised_as_text() -> None:
    paragraphs = [
        "## A Subhead",
        "The [city council](https://example.com) approved a **new budget** for schools on Tuesday.",
        "- The budget raises school spending by four percent and adds two new parks downtown.",
    ]
    summary, _ = summarize("Budget", paragraphs, max_words=0)
    assert summary == (
        "The city council approved a new budget for schools on Tuesday. "
        "The budget raises school spending by four percent and adds two new parks downtown."
    )


SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def test_summary_sentences_end_in_their_own_punctuation() -> None:
    paragraphs = [
        "The regional water board raised its prices for households by six percent on Monday.",
        "Analysts at the board expect the rise to cover the cost of new pipes in the north",
        "Farmers said the change would hurt them most because irrigation costs were rising.",
    ]
    summary, points = summarize("Water prices rise", paragraphs, max_words=0)
    assert "new pipes in the north" not in summary
    assert all(p.endswith((".", "!", "?", "”", '"')) for p in points)


def test_dangling_attributions_are_neither_summary_nor_key_point() -> None:
    paragraphs = [
        "The port of Rotterdam reopened on Friday after a three-day strike by crane operators.",
        "Shipping lines had diverted more than forty vessels to Antwerp and Hamburg meanwhile.",
        "Whether the agreement will hold through the winter remains unclear, the newspaper wrote.",
        "The union said its members would vote on the final offer within the next two weeks.",
        "The newspaper also claimed that port managers had offered a bonus to end the dispute.",
    ]
    summary, points = summarize("Port reopens", paragraphs, max_words=0)
    for text in (summary, *points):
        assert "the newspaper wrote" not in text
        assert not text.startswith("The newspaper")


def test_no_summary_goes_over_the_word_budget_when_shorter_sentences_exist() -> None:
    long = "The committee " + " ".join(["reviewed the plans"] * 25) + " on Monday."
    paragraphs = [
        long,
        "The city council approved a new budget for schools and parks on Tuesday evening.",
        "The budget raises school spending by four percent and adds two new parks downtown.",
    ]
    summary, _ = summarize("Budget", paragraphs, max_words=60)
    assert word_count(summary) <= 60
    assert summary


def test_key_points_spread_over_the_article_and_name_people_in_full() -> None:
    paragraphs = [
        "Thousands of nurses in Leeds walked out on Monday in a dispute over night-shift pay.",
        "The health trust said it had offered a rise of three percent for the coming year.",
        "Union organiser Maria Lopez said members wanted a rise that matched living costs.",
        "Hospital managers said planned operations would be moved to other sites this week.",
        "Patients with urgent needs would still be treated in the emergency department today.",
        "According to Lopez, the walkout could last a week if the trust did not improve its offer.",
        "Talks between the union and the trust are due to resume at a neutral venue on Thursday.",
        "The government said the settlement of nurses' pay was a matter for local trusts alone.",
        "Opposition politicians called for ministers to intervene before the dispute spread.",
    ]
    summary, points = summarize("Nurses strike in Leeds", paragraphs)
    sents = sentences_of(paragraphs)
    assert 3 <= len(points) <= 5
    assert "According to Lopez" not in " ".join((summary, *points))
    assert "According to Maria Lopez, the walkout" in " ".join((summary, *points))
    positions = sorted(
        next(i for i, s in enumerate(sents) if s.endswith(p[-30:])) / len(sents) for p in points
    )
    assert positions[0] < 1 / 3 and positions[-1] >= 2 / 3  # not all from one end


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared seeds not present")
def test_seed_brief_summary_and_key_points() -> None:
    from briefgen.ingest import read_input

    for path in sorted(SEEDS.glob("*.txt")):
        articles, _ = read_input(path)
        if "S-400" not in articles[0].title:
            continue
        summary, points = summarize(articles[0].title, articles[0].paragraphs)
        assert summary.endswith(".")
        assert any("return them to Moscow" in p for p in points)
        assert not any(p.rstrip(".").endswith(("wrote", "said")) for p in points)
        assert all(p.endswith(".") for p in points)


def test_a_long_sentence_is_not_cut_at_a_dash_into_a_fragment() -> None:
    paragraphs = [
        "Libya has withdrawn its assets from American banks after twenty years, the bank said.",
        "The move came after the ban on trade was lifted to reward the country for its pledges.",
        "The ban on trade and economic activity with the country - imposed by the then president "
        "in 1986 after a series of attacks that the government blamed on it - was lifted last "
        "year after long talks between the two governments and their lawyers.",
        "Bankers from the two countries had been working on how to unfreeze the frozen assets.",
    ]
    _, points = summarize("Libya withdraws assets", paragraphs, max_sentences=1)
    assert "The ban on trade and economic activity with the country." not in points
    from briefgen.nlp.summarize import _as_point

    assert _as_point(paragraphs[2]) != "The ban on trade and economic activity with the country."


def test_full_names_never_push_a_summary_over_its_word_budget() -> None:
    paragraphs = [
        "Lopez has to win a pay rise of five percent for the nurses of Leeds by the spring.",
        "Nurses cheered the union organiser Maria Lopez at the hospital gates on Monday.",
    ]
    for budget in range(17, 40):
        summary, _ = summarize("Nurses", paragraphs, max_words=budget)
        assert word_count(summary) <= budget or len(split_sentences(summary)) == 1


def test_a_very_long_text_is_summarised_in_bounded_time() -> None:
    import time

    paragraphs = [
        f"Report number {i} said the harbour board met the union about pay on Monday evening."
        for i in range(3000)
    ]
    start = time.perf_counter()
    summary, _ = summarize("Long", paragraphs)
    assert summary and time.perf_counter() - start < 10


def test_markdown_paragraphs_are_read_through_the_renderers_parse() -> None:
    """Ingest's Markdown is read by the same markdown-it parse as the page: an escaped bracket
    is a bracket, link text stays, a heading is no sentence, code is not prose."""
    paragraphs = [
        "## Harbour news",
        r"The council approved the \[revised\] harbour budget on Monday after a long debate.",
        "Officials from the [port authority](https://example.org) said ferries will run hourly.",
        "    rm -rf / is what the old deploy script ran every night",
    ]
    summary, _ = summarize("Harbour budget approved", paragraphs)
    assert "[revised]" in summary and "port authority said" in summary
    assert "Harbour news" not in summary and "rm -rf" not in summary and "](" not in summary


def test_build_auto_summary_is_the_same_summariser() -> None:
    """validate.auto_summary (briefs without ``summary:``) picks what ingest's summariser picks
    from the same prose, at most 60 words of whole sentences; key points are not computed."""
    from briefgen.nlp.summarize import summarize_text
    from briefgen.pipeline.validate import AUTO_SUMMARY_PROSE, auto_summary
    from briefgen.source.markdown import body_facts

    title, paragraphs = article(ARTICLES[0])
    body = "\n\n".join(paragraphs)
    facts = body_facts(body, prose_words=AUTO_SUMMARY_PROSE)
    auto = auto_summary(body, title=title)
    assert auto == summarize_text(title, facts.paragraphs, key_points=False, keep_lede=True)[0]
    assert summarize_text(title, facts.paragraphs, key_points=False)[1] == ()
    assert auto and word_count(auto) <= 60 and auto.rstrip("”\"'’)")[-1] in ".!?"
    assert set(split_sentences(auto)) <= set(sentences_of(list(facts.paragraphs)))


def test_auto_summary_cuts_a_lone_overlong_sentence_with_an_ellipsis() -> None:
    from briefgen.pipeline.validate import auto_summary

    body = "The " + " ".join(f"word{k}" for k in range(120)) + " ended here."
    summary = auto_summary(body)
    assert summary.endswith("…") and len(summary.split()) == 60


def test_an_unattributed_quote_or_first_person_sentence_is_not_a_summary_sentence() -> None:
    """'"We are the best club in the region."' names no speaker: read alone in a summary or a
    bullet it is nobody's claim. A quote that names its speaker stays usable."""
    unattributed = [
        '"We are the best harbour club in the region and this cup final win proved it."',
        "If we keep winning cup finals like this the harbour club will grow every season.",
    ]
    paragraphs = [
        "The Harbour club won the regional cup final on Saturday, beating River Town 3-1.",
        '"The harbour club played the cup final with real belief," said coach Ana Silva.',
        *unattributed,
        "The harbour club will now play in the national cup, which starts in March.",
        "River Town finished the cup final with ten players after a late red card.",
        "Ticket sales for the cup final broke the club record set two seasons ago.",
    ]
    summary, points = summarize("Harbour club wins cup final", paragraphs)
    for sentence in unattributed:
        assert sentence not in summary and sentence not in points
    assert "said coach Ana Silva" in summary + " ".join(points)


def test_one_article_is_parsed_once_for_its_three_readers() -> None:
    """Summary, entities and tags read the same paragraphs: the markdown-it parse is cached."""
    from briefgen.source.markdown import _plain_text, plain_paragraphs

    blocks = ["A first paragraph of the cached article.", "And a second one."]
    plain_paragraphs(blocks)
    hits = _plain_text.cache_info().hits
    assert plain_paragraphs(blocks) == plain_paragraphs(blocks) == blocks
    assert _plain_text.cache_info().hits == hits + 2


def test_few_points_are_topped_up_with_attributed_quotes() -> None:
    from briefgen.nlp.summarize import with_quotes

    summary = "Rovers signed striker Tom Hale on Monday after a long chase."
    quotes = [
        ("Ann Kerr", "Rovers signed striker Tom Hale on Monday after a long chase."),  # repeat
        ("Ann Kerr", "We have wanted a player like him for two seasons."),
        ("Ann Kerr", "He will start on Saturday against City."),
        ("Tom Hale", "I am delighted to join a club with such ambition."),
        ("Tom Hale", "It was all agreed in a morning"),  # no full stop: not a whole sentence
    ]
    points = with_quotes(summary, ["Hale scored 20 league goals for City last season."], quotes)
    # One quote per speaker first, in order; the repeat of the summary is skipped.
    assert points == (
        "Hale scored 20 league goals for City last season.",
        "Ann Kerr: “We have wanted a player like him for two seasons.”",
        "Tom Hale: “I am delighted to join a club with such ambition.”",
    )
    three = ("One point here.", "Another point here.", "A third point here.")
    assert with_quotes(summary, three, quotes) == three


def test_auto_summary_opens_with_the_lede_when_it_stands_alone() -> None:
    """A brief a person wrote opens with its point: the build's automatic summary keeps that
    opening sentence rather than later ones that lean on it ("The group's proposal…"), as in
    the sample digest's shipping brief, which has no ``summary:``."""
    from briefgen.pipeline.validate import auto_summary
    from briefgen.source.frontmatter import read

    sample = (Path(__file__).parent.parent / "content" / "briefs"
              / "2026-11-24-pacific-shipping-emissions.md")
    front = read(sample.read_text(encoding="utf-8"))
    assert "summary" not in front.data
    summary = auto_summary(front.body, title=front.data["title"])
    assert summary.startswith("Delegates from several Pacific island states"), summary
    assert word_count(summary) <= 60
