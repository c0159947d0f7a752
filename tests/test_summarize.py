"""Extractive summary and key points: shape, budget, context rules and determinism."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefgen.nlp.sentences import word_count
from briefgen.summarize import split_sentences, summarize

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
