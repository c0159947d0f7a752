"""Tests for the related-brief ranking on hand-built briefs whose answer is known."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path

import pytest

from briefgen.pipeline.related import Related, RelatedWeights, RelDoc, rank_related

DAY = dt.date(2025, 3, 1)
LABELS = {
    "places/turkey": "Turkey", "other/s-400": "S-400", "organizations/nato": "NATO",
    "places/russia": "Russia", "organizations/fifa": "FIFA", "places/england": "England",
}


def doc(slug: str, title: str, body: str, *, entities: tuple[str, ...] = (),
        tags: tuple[str, ...] = (), date: dt.date = DAY, summary: str = "") -> RelDoc:
    """A brief for the ranker with labels taken from LABELS."""
    return RelDoc(id=slug, title=title, summary=summary, body=body, tags=tags,
                  entities=entities, entity_labels={e: LABELS.get(e, e) for e in entities},
                  date=date)


def corpus() -> list[RelDoc]:
    """Three Turkey / S-400 briefs and two football briefs."""
    return [
        doc("turkey-s400-delivery", "Turkey takes delivery of Russian S-400 missiles",
            "Ankara received the first S-400 air defence battery from Russia, defying NATO "
            "allies who warn the missile system is incompatible with alliance defences.",
            entities=("places/turkey", "other/s-400", "places/russia", "organizations/nato"),
            tags=("defence", "turkey"), date=dt.date(2025, 3, 1)),
        doc("us-sanctions-turkey", "US weighs sanctions on Turkey over S-400 purchase",
            "Washington is considering sanctions after Turkey bought the Russian S-400 missile "
            "system; NATO officials say the air defence deal strains the alliance.",
            entities=("places/turkey", "other/s-400", "organizations/nato"),
            tags=("defence", "sanctions"), date=dt.date(2025, 3, 6)),
        doc("turkey-f35-exclusion", "Turkey removed from F-35 programme after S-400 deal",
            "Turkey was formally removed from the F-35 fighter programme because of the S-400 "
            "missile system bought from Russia, a blow to NATO defence cooperation.",
            entities=("places/turkey", "other/s-400", "places/russia", "organizations/nato"),
            tags=("defence",), date=dt.date(2025, 3, 10)),
        doc("england-cup-win", "England beat Italy to reach the cup final",
            "England footballers scored twice in the second half at Wembley; the striker "
            "praised the goalkeeper after the semi-final victory and the crowd celebrated.",
            entities=("places/england", "organizations/fifa"), tags=("football",),
            date=dt.date(2025, 3, 2)),
        doc("cup-final-preview", "Cup final preview: England face Spain at Wembley",
            "The striker is fit for the final at Wembley; England footballers trained before "
            "facing Spain, and the goalkeeper expects a tight match in front of the crowd.",
            entities=("places/england", "organizations/fifa"), tags=("football",),
            date=dt.date(2025, 3, 5)),
    ]


def ids(rel: tuple[Related, ...]) -> list[str]:
    """The ids of a ranking, in order."""
    return [r.id for r in rel]


TURKEY = {"turkey-s400-delivery", "us-sanctions-turkey", "turkey-f35-exclusion"}
FOOTBALL = {"england-cup-win", "cup-final-preview"}


def test_each_turkey_brief_ranks_the_other_turkey_briefs_first() -> None:
    ranked = rank_related(corpus(), k=4)
    for slug in TURKEY:
        assert set(ids(ranked[slug])[:2]) == TURKEY - {slug}
    for slug in FOOTBALL:
        assert ids(ranked[slug])[0] == (FOOTBALL - {slug}).pop()


def test_reasons_name_shared_entities_before_tags() -> None:
    ranked = rank_related(corpus(), k=4)
    pair = next(r for r in ranked["turkey-s400-delivery"] if r.id == "turkey-f35-exclusion")
    assert set(pair.shared[:4]) == {"Turkey", "S-400", "Russia", "NATO"}
    assert pair.shared[4:] == ("defence",)
    sanctions = next(r for r in ranked["turkey-s400-delivery"] if r.id == "us-sanctions-turkey")
    assert "Russia" not in sanctions.shared  # not an entity of the sanctions brief


def test_never_itself_scores_rounded_and_sorted() -> None:
    for slug, rel in rank_related(corpus(), k=5).items():
        assert slug not in ids(rel)
        scores = [r.score for r in rel]
        assert scores == sorted(scores, reverse=True)
        assert all(round(s, 4) == s and 0 < s <= 1 for s in scores)


def test_rarer_shared_entity_outweighs_common_one() -> None:
    filler = "council meeting agenda minutes"
    docs = [
        doc("a", "Harbour plan", filler, entities=("places/rare", "organizations/common")),
        doc("b", "Harbour plan", filler, entities=("places/rare",)),
        doc("c", "Harbour plan", filler, entities=("organizations/common",)),
        *(doc(f"x{i}", f"Other story {i}", f"unrelated words number{i}",
              entities=("organizations/common",)) for i in range(4)),
    ]
    ranked = rank_related(docs, k=2)
    assert ids(ranked["a"]) == ["b", "c"]
    assert ranked["a"][0].score > ranked["a"][1].score


def test_reasons_list_rarest_entity_first() -> None:
    docs = [
        doc("a", "One", "alpha beta", entities=("organizations/common", "places/rare")),
        doc("b", "Two", "alpha gamma", entities=("organizations/common", "places/rare")),
        *(doc(f"x{i}", "Three", "delta", entities=("organizations/common",)) for i in range(3)),
    ]
    assert rank_related(docs, k=1)["a"][0].shared == ("places/rare", "organizations/common")


def test_time_decay_breaks_near_tie_toward_closer_date() -> None:
    body = "reservoir levels fell again during the drought, water companies said"
    docs = [
        doc("a", "Drought deepens", body, date=dt.date(2025, 6, 1)),
        doc("b-far", "Drought deepens", body, date=dt.date(2024, 6, 1)),
        doc("c-near", "Drought deepens", body, date=dt.date(2025, 5, 28)),
    ]
    assert ids(rank_related(docs, k=2)["a"]) == ["c-near", "b-far"]
    # Without decay the two are tied and the id decides.
    assert ids(rank_related(docs, k=2, half_life_days=0)["a"]) == ["b-far", "c-near"]
    no_time = RelatedWeights(time=0.0)
    assert ids(rank_related(docs, k=2, weights=no_time)["a"]) == ["b-far", "c-near"]


def test_deterministic_and_independent_of_input_order() -> None:
    docs = corpus()
    first = rank_related(docs, k=3)
    assert rank_related(docs, k=3) == first
    shuffled = docs[:]
    random.Random(7).shuffle(shuffled)
    assert rank_related(shuffled, k=3) == first
    assert list(first) == sorted(d.id for d in docs)


def test_k_is_respected() -> None:
    docs = corpus()
    assert all(len(rel) <= 1 for rel in rank_related(docs, k=1).values())
    assert all(len(rel) <= 4 for rel in rank_related(docs, k=50).values())
    assert all(rel == () for rel in rank_related(docs, k=0).values())


def test_empty_and_single_inputs() -> None:
    assert rank_related([]) == {}
    assert rank_related(corpus()[:1]) == {"turkey-s400-delivery": ()}


def test_unrelated_brief_gets_no_links() -> None:
    docs = [*corpus(), doc("lonely", "Zyxw qwerty", "plonk frobnicate wibble")]
    ranked = rank_related(docs, k=5)
    assert ranked["lonely"] == ()
    assert all("lonely" not in ids(rel) for rel in ranked.values())


def test_shared_words_explain_a_link_when_nothing_else_is_shared() -> None:
    docs = [
        doc("a", "Glacier retreat", "The glacier retreat in the Alps accelerated this summer."),
        doc("b", "Alpine glaciers", "Glaciers in the Alps are in retreat, scientists report."),
        doc("c", "Bond markets", "Bond yields rose as investors sold government debt."),
    ]
    shared = rank_related(docs, k=1)["a"][0].shared
    assert rank_related(docs, k=1)["a"][0].id == "b"
    assert set(shared) <= {"glacier", "glaciers", "retreat", "alps"}
    assert "alps" in shared and len(shared) >= 2


def test_unicode_words_and_typographic_apostrophes_match() -> None:
    docs = [
        doc("a", "Erdoğan’s visit", "Erdoğan’s visit to Köln drew crowds"),
        doc("b", "Köln welcomes Erdoğan", "Crowds in Köln greeted Erdoğan"),
        doc("c", "Rain", "Heavy rain flooded roads"),
    ]
    rel = rank_related(docs, k=2)["a"]
    assert ids(rel) == ["b"]
    assert {"erdoğan", "köln"} <= set(rel[0].shared)


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="unique"):
        rank_related([corpus()[0], corpus()[0]])


def test_neighbour_graph_keeps_topics_apart_on_a_larger_corpus() -> None:
    rng = random.Random(3)
    topics = {
        "space": "rocket orbit launch satellite astronaut lunar mission payload booster module",
        "farm": "harvest wheat tractor cattle barley irrigation soil fertiliser dairy orchard",
        "court": "judge verdict appeal jury lawyer testimony sentence prosecutor trial ruling",
    }
    common = ["today", "officials", "week", "region", "report", "plans", "early", "local"]
    docs = []
    for n in range(90):
        name, words = list(topics.items())[n % 3]
        body = " ".join(rng.choice(words.split()) if rng.random() < 0.4 else rng.choice(common)
                        for _ in range(60))
        docs.append(doc(f"{name}-{n:02d}", f"{name} story {n}", body))
    ranked = rank_related(docs, k=5)
    for slug, rel in ranked.items():
        assert len(rel) == 5
        assert all(r.id.split("-")[0] == slug.split("-")[0] for r in rel)
    assert rank_related(list(reversed(docs)), k=5) == ranked


def topic_corpus(n: int, seed: int = 5) -> list[RelDoc]:
    """n briefs over ten topics, each with its own words and entity, plus shared filler."""
    rng = random.Random(seed)
    topics = [[f"t{t}w{w}" for w in range(25)] for t in range(10)]
    filler = [f"common{w}" for w in range(200)]
    docs = []
    for i in range(n):
        t = i % 10
        body = " ".join(rng.choice(topics[t]) if rng.random() < 0.3 else rng.choice(filler)
                        for _ in range(120))
        docs.append(doc(f"b{i:04d}", f"story {i}", body, entities=(f"people/p{t}",),
                        tags=(f"topic-{t}",), date=DAY + dt.timedelta(days=i % 60)))
    return docs


def test_pruned_postings_find_what_the_full_product_finds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from briefgen.pipeline.related import candidates as related
    # Shrink the index so pruning really drops postings and query features at this size.
    monkeypatch.setattr(related, "_POSTINGS", 24)
    monkeypatch.setattr(related, "_QUERY_TERMS", 12)
    monkeypatch.setattr(related, "_RESCORED", 20)
    docs = topic_corpus(300)
    exact = rank_related(docs, k=5)
    dropped = []
    keep = related._strongest_holders

    def spy(mat: object, limit: int) -> object:
        kept = keep(mat, limit)
        dropped.append(mat.nnz - kept.nnz)  # type: ignore[attr-defined]
        return kept

    monkeypatch.setattr(related, "_strongest_holders", spy)
    pruned = rank_related(docs, k=5, exact_up_to=0)
    assert dropped and dropped[0] > 1000  # the pruned path ran and really pruned ...
    for slug, rel in pruned.items():
        assert len(rel) == 5 and slug not in {r.id for r in rel}
        assert all(int(r.id[1:]) % 10 == int(slug[1:]) % 10 for r in rel)  # same topic
        assert [r.score for r in rel] == sorted((r.score for r in rel), reverse=True)
    overlap = sum(len({r.id for r in exact[s]} & {r.id for r in pruned[s]}) for s in exact)
    assert overlap / (5 * len(exact)) > 0.85  # ... and mostly agrees with the exact one
    assert rank_related(list(reversed(docs)), k=5, exact_up_to=0) == pruned


def test_pruned_postings_leave_an_unrelated_brief_without_links() -> None:
    docs = [*topic_corpus(80), doc("loner", "Zebra quilts", "zebra quilt xylophone " * 20)]
    ranked = rank_related(docs, k=5, exact_up_to=0)
    assert ranked["loner"] == ()
    assert all("loner" not in {r.id for r in rel} for rel in ranked.values())


def test_strongest_holders_and_largest_per_row_break_ties_by_index() -> None:
    import numpy as np
    import scipy.sparse as sp

    from briefgen.pipeline.related.candidates import _largest_per_row, _strongest_holders
    mat = sp.csr_matrix(np.array([[0.5, 0.0, 0.2], [0.5, 0.1, 0.0], [0.9, 0.1, 0.0],
                                  [0.0, 0.0, 0.0]], dtype=np.float32))
    kept = _strongest_holders(mat, 2).toarray()
    # Column 0 ties at 0.5: the lower row stays.
    assert kept[:, 0].tolist() == pytest.approx([0.5, 0.0, 0.9, 0.0])
    assert kept[:, 1].tolist() == pytest.approx([0.0, 0.1, 0.1, 0.0])
    assert kept[:, 2].tolist() == pytest.approx([0.2, 0.0, 0.0, 0.0])
    picked = _largest_per_row(sp.csr_matrix(mat), 2)
    assert [sorted(r) for r in picked.tolist()] == [[0, 2], [0, 1], [0, 1], [-1, -1]]


def test_text_vector_depends_on_the_brief_alone() -> None:
    """Background term weights: a brief's vector is the same alone as in any corpus."""
    from briefgen.pipeline.related.features import text_matrix as _text_matrix

    docs = corpus()
    alone = _text_matrix(docs[:1], 2.0).matrix
    among = _text_matrix(docs, 2.0).matrix
    assert alone.nnz > 0
    assert sorted(alone[0].data.tolist()) == pytest.approx(sorted(among[0].data.tolist()))


def test_background_rarity_weighs_rare_words_more() -> None:
    """Common words weigh (almost) nothing, rare ones more, unknown words most."""
    from briefgen.pipeline.related.features import _rarity

    common, rare, unknown = _rarity(["the", "missile", "qzxvbnq"]).tolist()
    assert common < 4.0 < rare < unknown


def test_background_table_is_wordfreqs() -> None:
    """The table read straight from wordfreq's data file agrees with wordfreq's own API."""
    import math

    import wordfreq

    from briefgen.pipeline.related.features import _background

    table = _background()
    freq = wordfreq.get_frequency_dict("en", wordlist="large")
    assert len(table) == len(freq)
    for word in ("the", "missile", "chelsea", "goalkeeper", "ceasefire"):
        assert table[word] == round(-100 * math.log10(freq[word]))


def test_pystemmer_gives_the_pure_python_stems() -> None:
    """PyStemmer (C, used by snowballstemmer when installed) stems as the pure-Python code."""
    stemmer = pytest.importorskip("Stemmer")
    from snowballstemmer.english_stemmer import EnglishStemmer

    words = ["generously", "running", "ponies", "relational", "conditional", "hopefulness",
             "arguing", "elections", "electoral", "missiles", "defence", "chelsea's",
             "organisation", "organization", "skies", "dying", "agreed", "goalkeeper"]
    fast = stemmer.Stemmer("english")
    slow = EnglishStemmer()
    assert [fast.stemWord(w) for w in words] == [slow.stemWord(w) for w in words]


# --- incremental ranking: equal to a cold ranking after every step ---------------------

def _news(n: int, seed: int) -> list[RelDoc]:
    """News-like briefs: Zipf-weighted common words, topic words, a few labels."""
    rng = random.Random(seed)
    common = [f"word{w}" for w in range(400)] + ["the", "minister", "said", "market", "team"]
    topics = [[f"topic{t}term{w}" for w in range(30)] for t in range(12)]
    zipf = [1.0 / (r + 1) for r in range(len(common))]
    docs = []
    for i in range(n):
        t = rng.randrange(12)
        size = rng.randrange(40, 120)
        words = [rng.choice(topics[t]) if rng.random() < 0.25 else
                 rng.choices(common, weights=zipf)[0] for _ in range(size)]
        ents = tuple(sorted({f"people/p{t}-{rng.randrange(4)}"} |
                            ({"organizations/un"} if rng.random() < 0.3 else set())))
        docs.append(RelDoc(
            id=f"n{i:04d}", title=" ".join(words[:6]), summary="", body=" ".join(words[6:]),
            tags=(f"t{t}",) if rng.random() < 0.7 else (), entities=ents,
            entity_labels={e: e.split("/")[1].upper() for e in ents},
            date=DAY + dt.timedelta(days=rng.randrange(90))))
    return docs


def _edit(docs: list[RelDoc], rng: random.Random, step: int) -> list[RelDoc]:
    """One random change: a body edit, a new brief, a removal or a label change."""
    docs = list(docs)
    kind = rng.choice(["body", "body", "add", "remove", "tags", "entity", "date", "dup"])
    i = rng.randrange(len(docs))
    d = docs[i]
    if kind == "body":
        docs[i] = dataclasses.replace(d, body=d.body + f" freshword{step} word3 topic1term2")
    elif kind == "add":
        new = dataclasses.replace(d, id=f"x{step:04d}", body=d.body + " addedword")
        docs.append(new)
    elif kind == "remove" and len(docs) > 70:
        docs.pop(i)
    elif kind == "tags":
        docs[i] = dataclasses.replace(d, tags=(*d.tags, f"t{rng.randrange(12)}", "rare-tag"))
    elif kind == "entity":
        ents = (*d.entities, "organizations/un")
        docs[i] = dataclasses.replace(d, entities=ents, entity_labels={
            **d.entity_labels, "organizations/un": f"UN{step % 2}"})
    elif kind == "date":
        docs[i] = dataclasses.replace(d, date=d.date + dt.timedelta(days=rng.randrange(-40, 40)))
    elif kind == "dup":
        docs.append(dataclasses.replace(d, id=f"dup{step:04d}"))  # an exact tie
    return docs


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_ranking_equals_cold_ranking(seed: int) -> None:
    from briefgen.pipeline.related import rank_state

    rng = random.Random(seed)
    docs = _news(160, seed)
    first = rank_state(docs)
    state, ranked = first.state, first.ranked
    assert state is not None
    incremental = 0
    for step in range(25):
        docs = _edit(docs, rng, step)
        done = rank_state(docs, previous=state)
        cold = rank_state(docs)
        assert done.ranked == cold.ranked, f"step {step}"
        if done.incremental:
            incremental += 1
            assert done.changed is not None
            moved = {s for s in cold.ranked if ranked.get(s) != cold.ranked[s]}
            assert moved <= done.changed  # every brief whose links changed is named
        state, ranked = done.state, done.ranked
    assert incremental >= 8  # label changes touch many briefs: those steps may rank cold


def test_state_survives_a_round_trip_and_corrupt_files_give_none(tmp_path: Path) -> None:
    from briefgen.pipeline.related import load_state, rank_state, save_state

    docs = _news(90, 7)
    done = rank_state(docs)
    assert done.state is not None
    path = tmp_path / "related.state"
    save_state(done.state, path)
    loaded = load_state(path)
    assert loaded is not None
    edited = _edit(docs, random.Random(1), 0)
    again = rank_state(edited, previous=loaded)
    assert again.ranked == rank_state(edited).ranked
    raw = path.read_bytes()
    rng = random.Random(11)
    for trial in range(300):  # random damage never raises, and never yields a wrong state
        data = bytearray(raw)
        how = trial % 4
        if how == 0:
            for _ in range(rng.randrange(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif how == 1:
            data = data[:rng.randrange(len(data))]
        elif how == 2:
            at = rng.randrange(len(data))
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 30)))
        else:
            data = bytearray(rng.randbytes(rng.randrange(1, 200)))
        path.write_bytes(bytes(data))
        state = load_state(path)
        if state is not None:  # damage that still holds together: must not crash a ranking
            rank_state(edited, previous=state)
    path.write_bytes(b"\x80\x03cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.")
    assert load_state(path) is None  # a pickle is not a state
    assert load_state(tmp_path / "missing") is None
    (tmp_path / "dir").mkdir()
    assert load_state(tmp_path / "dir") is None


def test_blobs_check_names_dtypes_and_sizes(tmp_path: Path) -> None:
    import msgpack
    import numpy as np

    from briefgen.store.blobs import read_blobs, write_blobs

    path = tmp_path / "b.bin"
    write_blobs(path, "t1", {"a": np.arange(6, dtype=np.int32).reshape(2, 3)}, {"s": ["x"]})
    got = read_blobs(path, "t1", {"a": ("<i4", 2)}, ["s"])
    assert got is not None and got.arrays["a"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert got.texts["s"] == ["x"]
    assert read_blobs(path, "t2", {"a": ("<i4", 2)}, ["s"]) is None  # other format
    assert read_blobs(path, "t1", {"a": ("<f4", 2)}, ["s"]) is None  # other dtype
    assert read_blobs(path, "t1", {"a": ("<i4", 1)}, ["s"]) is None  # other shape
    assert read_blobs(path, "t1", {"a": ("<i4", 2), "b": ("<i4", 1)}, ["s"]) is None
    lying = {"format": "t1", "arrays": {"a": ["<i4", [1000, 1000], b"\0" * 8]}, "texts": {"s": []}}
    path.write_bytes(msgpack.packb(lying, use_bin_type=True))
    assert read_blobs(path, "t1", {"a": ("<i4", 2)}, ["s"]) is None  # bytes do not fit shape
    objects = {"format": "t1", "arrays": {"a": ["|O", [1], b"\0" * 8]}, "texts": {"s": []}}
    path.write_bytes(msgpack.packb(objects, use_bin_type=True))
    assert read_blobs(path, "t1", {"a": ("<i4", 1)}, ["s"]) is None


def _fields(docs: list[RelDoc]) -> list[tuple]:  # type: ignore[type-arg]
    return [(d.id, d.title, d.summary, d.body, d.tags, d.entities,
             tuple(sorted(d.entity_labels.items())), d.date.toordinal(),
             f"hash-{hash((d.title, d.body))}")
            for d in docs]


def test_build_keeps_the_state_only_when_committed(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from briefgen.pipeline import link
    from briefgen.pipeline.related import rank as related

    colds: list[int] = []
    cold = related._cold

    def spy(*args: object, **kw: object) -> object:
        colds.append(1)
        return cold(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(related, "_cold", spy)
    docs = _news(120, 4)
    first = link._rank_fields((_fields(docs), 5, 30.0, str(tmp_path)))
    assert (tmp_path / link._PENDING).is_file() and not (tmp_path / link.STATE_FILE).exists()
    edited = list(docs)
    edited[3] = dataclasses.replace(edited[3], body=edited[3].body + " one more sentence")
    link._rank_fields((_fields(edited), 5, 30.0, str(tmp_path)))
    assert len(colds) == 2  # not committed: the failed build's state is not used
    link.commit_ranking(tmp_path)
    assert (tmp_path / link.STATE_FILE).is_file() and not (tmp_path / link._PENDING).exists()
    again = link._rank_fields((_fields(edited), 5, 30.0, str(tmp_path)))
    assert len(colds) == 2  # incremental this time ...
    assert again == rank_related(edited)  # ... and equal to a cold ranking
    assert first == rank_related(docs)
    (tmp_path / link.STATE_FILE).write_bytes(b"garbage")
    assert link._rank_fields((_fields(edited), 5, 30.0, str(tmp_path))) == again
    link.commit_ranking(None)  # no cache folder: nothing to do


def test_fast_related_records_equal_constructed_ones() -> None:
    from briefgen.pipeline.related.rank import _related

    made = _related("a", 0.5, ("x", "y"))
    assert made == Related(id="a", score=0.5, shared=("x", "y"))
    assert hash(made) == hash(Related(id="a", score=0.5, shared=("x", "y")))
    with pytest.raises(AttributeError):
        made.score = 1.0  # type: ignore[misc]


def test_incremental_equals_cold_on_news_like_prose() -> None:
    """Prose drawn with real news word frequencies (as `synth.py --kind news`), above the
    size where the neighbourhood signal starts, edited one brief at a time."""
    import sys

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root / "benchmarks"))
    try:
        import bench_related
        try:
            docs = bench_related.news_briefs(240)
        except SystemExit:
            pytest.skip("the BBC corpus is not beside the repository")
    finally:
        sys.path.remove(str(root / "benchmarks"))
    from briefgen.pipeline.related import rank_state

    state = rank_state(docs).state
    rng = random.Random(5)
    for step in range(6):
        at = rng.randrange(len(docs))
        extra = " ".join(rng.choice(docs[rng.randrange(len(docs))].body.split()) for _ in range(12))
        docs[at] = dataclasses.replace(docs[at], body=docs[at].body + " " + extra + ".")
        done = rank_state(docs, previous=state)
        assert done.incremental
        assert done.ranked == rank_state(docs).ranked, f"step {step}"
        state = done.state


def test_candidate_ties_at_the_cut_go_to_the_lower_index() -> None:
    import numpy as np

    from briefgen.pipeline.related.candidates import _top_keys, unkey as _unkey

    rng = np.random.default_rng(3)
    vals = np.round(rng.random((40, 900)), 1).astype(np.float32)  # many exact ties
    for first in (0, 17):
        idx, got = _unkey(-np.sort(-_top_keys(vals, first, 12), axis=1))
        for r in range(40):
            want = sorted(range(900), key=lambda c: (-vals[r, c], c))[:12]
            assert idx[r].tolist() == [c + first for c in want]
            assert got[r].tolist() == vals[r, want].tolist()


def test_a_planted_state_that_does_not_hold_together_is_refused(tmp_path: Path) -> None:
    import numpy as np

    from briefgen.pipeline.related import load_state, rank_state, save_state

    docs = _news(80, 9)
    state = rank_state(docs).state
    assert state is not None
    path = tmp_path / "s.bin"
    n = len(state.ids)
    lies = {
        "cand": lambda s: s.cand.__setitem__((0, 0), n + 5),
        "indices": lambda s: s.indices.__setitem__(3, 10**8),
        "indptr": lambda s: s.indptr.__setitem__(2, 10**9),
        "top": lambda s: s.top.__setitem__((1, 0), -7),
        "why_count": lambda s: s.why_count.__setitem__((0, 0), 99),
        "spell": lambda s: s.spell.__setitem__(0, 10**7),
        "ids": lambda s: s.ids.reverse(),
        "near": lambda s: s.near.__setitem__((0, 0), np.nan),
    }
    for name, lie in lies.items():
        planted = rank_state(docs).state
        assert planted is not None
        lie(planted)
        save_state(planted, path)
        assert load_state(path) is None, name
    # Consistent but wrong values (a forged candidate list) never raise either.
    forged = rank_state(docs).state
    assert forged is not None
    forged.cand[:, :] = 0
    save_state(forged, path)
    loaded = load_state(path)
    edited = _edit(docs, random.Random(2), 1)
    rank_state(edited, previous=loaded)
