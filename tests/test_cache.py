"""The build cache: warm builds equal cold builds; no-change builds do nothing."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from pathlib import Path
from typing import Any

from conftest import REPO

from briefgen.build import build, build_site
from briefgen.config import load_config
from briefgen.store.cache import BuildCache


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _sample(tmp_path: Path) -> Path:
    root = tmp_path / "s"
    shutil.copytree(REPO / "content", root / "content")
    return root


def test_warm_build_equals_cold_build(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    config = load_config(root)
    cache = BuildCache()
    cold = build_site(config, cache)
    assert cache.pages.misses > 0 and cache.pages.hits == 0
    warm = build_site(config, cache)
    assert cache.pages.hits == cache.pages.misses  # second build: every page from the cache
    assert warm.outputs == cold.outputs
    assert build_site(config).outputs == cold.outputs


def test_no_change_rebuild_skips_and_edit_rebuilds(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    config = load_config(root)
    first = build(config)
    assert not first.up_to_date and (root / ".briefgen" / "state.json").is_file()
    second = build(config)
    assert second.up_to_date and second.brief_count == first.brief_count
    brief = root / "content/briefs/2026-11-16-turkey-s400-deescalation.md"
    brief.write_text(brief.read_text().replace("press briefing", "news conference"))
    third = build(config)
    assert not third.up_to_date
    assert "news conference" in (root / "site/briefs/turkey-s400-deescalation.html").read_text()
    fresh = tmp_path / "fresh"
    shutil.copytree(root / "content", fresh / "content")
    build(load_config(fresh), use_cache=False)
    assert _tree(fresh / "site") == _tree(root / "site")
    assert not (fresh / ".briefgen").exists()


def test_template_edit_invalidates_pages(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    build(load_config(root))
    theme = root / "themes/default/templates"
    theme.mkdir(parents=True)
    (theme / "404.html").write_text("{% extends 'default/404.html' %}"
                                    "{% block title %}Lost{% endblock %}")
    result = build(load_config(root))
    assert not result.up_to_date
    assert "<title>Lost</title>" in (root / "site/404.html").read_text()


def test_template_edit_rerenders_only_its_pages(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    build(load_config(root))
    site = root / "site"
    pages = {p: p.stat().st_ino for p in (site / "tags/agriculture.html", site / "index.html",
                                          site / "briefs/turkey-s400-deescalation.html")}
    theme = root / "themes/default/templates"
    theme.mkdir(parents=True)
    (theme / "tag.html").write_text("{% extends 'default/tag.html' %}"
                                    "{% block title %}Tag {{ page.name }}{% endblock %}")
    build(load_config(root))
    tag, index, brief_page = pages
    assert tag.stat().st_ino != pages[tag] and "<title>Tag " in tag.read_text()
    assert index.stat().st_ino == pages[index]  # index.html and brief.html were not edited
    assert brief_page.stat().st_ino == pages[brief_page]
    (theme / "base.html").write_text((REPO / "themes/default/templates/base.html").read_text()
                                     .replace("Skip to content", "Skip to the brief"))
    build(load_config(root))
    for page in pages:  # every page extends base.html
        assert "Skip to the brief" in page.read_text()
    fresh = tmp_path / "fresh"
    shutil.copytree(root / "content", fresh / "content")
    shutil.copytree(root / "themes", fresh / "themes")
    build(load_config(fresh), use_cache=False)
    assert _tree(fresh / "site") == _tree(site)


def test_deleted_site_is_rebuilt(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    build(load_config(root))
    shutil.rmtree(root / "site")
    assert not build(load_config(root)).up_to_date
    assert (root / "site/index.html").is_file()


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    build(load_config(root))
    (root / ".briefgen/state.json").write_bytes(b"not json")
    (root / "site/index.html").unlink()
    assert not build(load_config(root)).up_to_date
    assert (root / "site/index.html").is_file()


def test_an_edit_rewrites_only_the_cache_shards_it_changed(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    config = load_config(root)
    build(config)
    cache = root / ".briefgen"
    shards = {p.name: p.stat().st_ino for p in cache.glob("b*-*.json")}
    assert len(shards) == 2 * 17  # briefs and bodies, one file per first hex digit (and "_")
    brief = root / "content/briefs/2026-11-16-turkey-s400-deescalation.md"
    brief.write_text(brief.read_text().replace("press briefing", "news conference"))
    build(config)
    rewritten = {n for n, ino in shards.items() if (cache / n).stat().st_ino != ino}
    # The new parse, body and feed entry, and the shards that dropped the old ones: at most six.
    assert 1 <= len(rewritten) <= 6, rewritten
    (cache / sorted(shards)[0]).write_bytes(b"broken")  # a damaged shard is simply rebuilt
    shutil.rmtree(root / "site")
    build(config)
    fresh = tmp_path / "fresh"
    shutil.copytree(root / "content", fresh / "content")
    build(load_config(fresh), use_cache=False)
    assert _tree(fresh / "site") == _tree(root / "site")


def test_unchanged_pages_are_linked_from_the_previous_site(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    config = load_config(root)
    build(config)
    site = root / "site"
    untouched = site / "tags/agriculture.html"  # does not show the brief edited below
    edited = site / "briefs/turkey-s400-deescalation.html"
    inodes = {untouched: untouched.stat().st_ino, edited: edited.stat().st_ino}
    brief = root / "content/briefs/2026-11-16-turkey-s400-deescalation.md"
    brief.write_text(brief.read_text().replace("press briefing", "news conference"))
    build(config)
    assert untouched.stat().st_ino == inodes[untouched]  # the same file, linked, not rewritten
    assert edited.stat().st_ino != inodes[edited]
    assert "news conference" in edited.read_text()
    fresh = tmp_path / "fresh"
    shutil.copytree(root / "content", fresh / "content")
    build(load_config(fresh), use_cache=False)
    assert _tree(fresh / "site") == _tree(site)


def test_a_replaced_site_folder_is_not_reused(tmp_path: Path) -> None:
    """If site/ is not the folder the cache describes, nothing is linked from it."""
    root = _sample(tmp_path)
    config = load_config(root)
    build(config)
    site = root / "site"
    before = _tree(site)
    shutil.rmtree(site)
    site.mkdir()
    (site / "tags").mkdir()
    (site / "tags/agriculture.html").write_text("stale")
    (site / "index.html").write_text("stale")
    brief = root / "content/briefs/2026-11-16-turkey-s400-deescalation.md"
    brief.write_text(brief.read_text() + "\n")  # a real build, not a no-change one
    build(config)
    after = _tree(site)
    assert after["tags/agriculture.html"] == before["tags/agriculture.html"]
    assert b"stale" not in after["index.html"]


def test_unchanged_brief_files_are_not_read_again(tmp_path: Path, monkeypatch: Any) -> None:
    from briefgen.pipeline import load

    root = _sample(tmp_path)
    config = load_config(root)
    cache = BuildCache()
    build_site(config, cache)
    reads: list[str] = []
    read = load.read_source

    def counting(path: Path, base: Path) -> Any:
        reads.append(path.name)
        return read(path, base)

    monkeypatch.setattr(load, "read_source", counting)
    brief = root / "content/briefs/2026-11-16-turkey-s400-deescalation.md"
    brief.write_text(brief.read_text().replace("press briefing", "news conference"))
    warm = build_site(config, cache)
    assert reads == [brief.name]  # only the edited file; the others by size and time
    assert warm.outputs == build_site(config).outputs


# -- a cache that is data, never code, and never trusted ------------------------------------

def _built(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    root = _sample(tmp_path)
    build(load_config(root))
    return root, _tree(root / "site")


def _corrupt(data: bytes, rng: random.Random) -> bytes:
    """One random damage: flipped bytes, a cut, an insertion, or a swapped JSON value."""
    choice = rng.randrange(6)
    if not data:
        return b"\xff"
    at = rng.randrange(len(data))
    if choice == 0:
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if choice == 1:
        return data[:at]
    if choice == 2:
        return data[:at] + rng.choice([b"9" * 5000, b"1e999999", b"-", b"\x00", b"[[[[",
                                       b'"\\ud800"', b"NaN", b"{}", b"null"]) + data[at:]
    if choice == 3:  # a value of the wrong type that still parses
        return re.sub(rb'(\d+)', lambda m: rng.choice([b'"x"', b"null", b"-1", b"1.5",
                                                       b"99999999999999999999999"]),
                      data, count=rng.randint(1, 5))
    if choice == 4:
        return re.sub(rb'"(\d{4}-\d\d-\d\d)"', b'"9999-99-99"', data)
    return data.replace(b'"', b"'", rng.randint(1, 3))


def test_random_corruptions_of_cache_files_are_rebuilt_never_raised(tmp_path: Path) -> None:
    """About 0.5% of random corruptions of a pickled shard once raised OverflowError and
    broke every later build until .briefgen/ was deleted."""
    root, good = _built(tmp_path)
    cache = root / ".briefgen"
    files = sorted(p for p in cache.iterdir() if p.suffix == ".json")
    originals = {p: p.read_bytes() for p in files}
    rng = random.Random(1234)
    for trial in range(200):
        victim = rng.choice(files)
        victim.write_bytes(_corrupt(originals[victim], rng))
        loaded = BuildCache.load(cache)  # never raises
        for memo in (loaded.briefs, loaded.bodies, loaded.related):
            assert isinstance(memo.entries, dict)
        for key, value in loaded.briefs.entries.items():
            assert isinstance(key, str) and isinstance(value, tuple) and len(value) == 2
        victim.write_bytes(originals[victim])
        if trial % 100 == 99:  # now and then a whole build on a damaged cache
            for path in rng.sample(files, 3):
                path.write_bytes(_corrupt(originals[path], rng))
            (root / "site" / "index.html").unlink()
            build(load_config(root))
            assert _tree(root / "site") == good
            originals = {p: p.read_bytes() for p in files if p.exists()}
            files = sorted(originals)


def test_type_confused_entries_are_dropped_not_used(tmp_path: Path) -> None:
    root, good = _built(tmp_path)
    cache = root / ".briefgen"
    for shard in cache.glob("briefs-*.json"):
        data = json.loads(shard.read_text())
        for value in data["entries"].values():
            if value[0] is not None:
                value[0][2] = ["not", "a", "title"]  # title must be a string
        shard.write_text(json.dumps(data))
    loaded = BuildCache.load(cache)
    assert loaded.briefs.entries == {}
    assert loaded.briefs.changed  # rewritten at the next save
    (root / "site" / "index.html").unlink()
    build(load_config(root))
    assert _tree(root / "site") == good


def test_codec_round_trip(tmp_path: Path) -> None:
    from briefgen.store import codec

    root = _sample(tmp_path)
    cache = BuildCache()
    build_site(load_config(root), cache)
    for name, decode in (("briefs", codec.decode_parsed), ("bodies", codec.decode_body),
                         ("related", codec.decode_ranked)):
        memo = getattr(cache, name)
        assert memo.entries
        for value in memo.entries.values():
            assert decode(json.loads(json.dumps(codec.encode(value)))) == value


# -- change detection -------------------------------------------------------------------------

def test_an_edit_with_the_same_size_and_time_is_seen(tmp_path: Path) -> None:
    """``cp -p``, ``rsync -a`` and ``tar`` restore the old modification time: size, mtime,
    ctime and inode are compared together."""
    root = _sample(tmp_path)
    config = load_config(root)
    build(config)
    brief = root / "content/briefs/2026-11-16-turkey-s400-deescalation.md"
    old = brief.read_text()
    assert "press briefing" in old
    info = brief.stat()
    new = old.replace("press briefing", "press_briefing")
    assert len(new.encode()) == info.st_size
    brief.write_text(new)
    os.utime(brief, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (brief.stat().st_size, brief.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)
    second = build(config)
    assert not second.up_to_date
    page = (root / "site/briefs/turkey-s400-deescalation.html").read_text()
    assert "press_briefing" in page
    # The same with a copy made elsewhere and put in place as cp -p does (a new inode).
    elsewhere = tmp_path / "copy.md"
    elsewhere.write_text(new.replace("press_briefing", "press-briefing"))
    os.utime(elsewhere, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(elsewhere, brief)
    build(config)
    assert "press-briefing" in (root / "site/briefs/turkey-s400-deescalation.html").read_text()
