"""One stemmer for summaries, tags and related briefs (issue 15): Snowball English."""

from __future__ import annotations

from briefgen.nlp import stem as stem_module
from briefgen.nlp import summarize
from briefgen.nlp.stem import stem
from briefgen.pipeline.related import features as related


def test_snowball_rules_and_possessives() -> None:
    assert stem("missiles") == stem("missile") == "missil"
    assert stem("crisis") != stem("cris")  # the old suffix stripper's "crisi" rule is gone
    assert stem("running") == "run"
    assert stem("Turkey’s") == stem("turkey")


def test_every_text_feature_uses_the_same_stemmer() -> None:
    assert related._stem is stem_module.stem
    assert summarize.stem is stem_module.stem
    assert not hasattr(summarize, "_stem")
