"""Faults: SIGKILL during a build or an ingest, a full disk, a read-only output folder.

A killed build must leave ``site/`` a complete build, the old one or the new one, as a user
sees it after ``briefgen.pipeline.write.recover`` (which every build runs first). A full or
read-only disk gives BG-WR003 and leaves ``site/`` as it was. A killed ingest leaves no half brief.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO

from briefgen.build import build
from briefgen.config import load_config
from briefgen.errors import BriefgenError
from briefgen.pipeline.load import SourceFile, parse_brief
from briefgen.pipeline.write import recover

pytestmark = pytest.mark.slow

KILLS = 20
CONFIG = "search: false\n"  # the search indexer is a separate program; kills target briefgen
TOPICS = ["harbour", "ferry", "storm", "budget", "election", "rail", "energy", "water"]
PEOPLE = ["Marta Ruiz", "Lena Ortiz", "Daniel Okafor", "Ada Lovelace", "Hulusi Akar"]


def _brief(number: int, version: str) -> str:
    topic = TOPICS[number % len(TOPICS)]
    person = PEOPLE[number % len(PEOPLE)]
    body = " ".join(f"{person} said the {topic} plan, version {version}, changes item {n}."
                    for n in range(30))
    return (f"---\ntitle: {topic.title()} update {number} ({version})\n"
            f"date: 2026-{1 + number % 12:02d}-{1 + number % 28:02d}\n"
            f"tags: [{topic}, v{version}]\nentities: {{people: [{person}]}}\n---\n\n"
            f"{body}\n\nSee [[brief-{(number + 1) % 200:03d}]].\n")


def _write_content(root: Path, version: str) -> None:
    briefs = root / "content" / "briefs"
    briefs.mkdir(parents=True, exist_ok=True)
    for number in range(200):
        (briefs / f"brief-{number:03d}.md").write_text(_brief(number, version))


def _tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes()
            for p in sorted(site.rglob("*")) if p.is_file()}


def _built_tree(tmp_path: Path, version: str) -> dict[str, bytes]:
    root = tmp_path / f"reference-{version}"
    root.mkdir()
    (root / "briefgen.yaml").write_text(CONFIG)
    _write_content(root, version)
    build(load_config(root), use_cache=False)
    return _tree(root / "site")


def _run(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "briefgen", *args], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_sigkill_during_build_leaves_old_or_new_site(tmp_path: Path) -> None:
    trees = {v: _built_tree(tmp_path, v) for v in ("a", "b")}
    assert trees["a"] != trees["b"]
    root = tmp_path / "live"
    root.mkdir()
    (root / "briefgen.yaml").write_text(CONFIG)
    _write_content(root, "a")
    build(load_config(root))
    started = time.monotonic()
    proc = _run(["build", "-C", str(root)])
    _write_content(root, "b")  # make the timed build a real one
    proc.wait(timeout=120)
    _write_content(root, "a")
    proc = _run(["build", "-C", str(root)])
    proc.wait(timeout=120)
    full = (time.monotonic() - started) / 2
    rng = random.Random(7)
    site = root / "site"
    seen = {"a": 0, "b": 0}
    right_after = {"complete": 0, "missing": 0, "leftovers": 0}
    version = "a"
    for _ in range(KILLS):
        version = "b" if version == "a" else "a"
        _write_content(root, version)
        proc = _run(["build", "-C", str(root)])
        time.sleep(rng.uniform(0.05, full * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        # What a user sees right after the kill, before anything repairs it.
        if site.is_dir() and _tree(site) in trees.values():
            right_after["complete"] += 1
        else:
            right_after["missing"] += 1
        if [p for p in root.iterdir() if p.name.startswith(".site.")]:
            right_after["leftovers"] += 1
        recover(site.absolute())
        now = _tree(site)
        matches = [name for name, tree in trees.items() if now == tree]
        assert matches, "site/ is neither the old nor the new build after a kill"
        seen[matches[0]] += 1
        assert [p.name for p in root.iterdir() if p.name.startswith(".site.")] == []
    # The next build still works and gives the current content's site.
    build(load_config(root))
    assert _tree(site) == trees[version]
    print(f"\nkills: {KILLS}, full build {full:.2f} s, site after recover: {seen}, "
          f"right after the kill: {right_after}")
    # renameat2(RENAME_EXCHANGE) means there is never a moment without a complete site/.
    assert right_after["missing"] == 0


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"mount is not permitted here: {done.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs: room for one small site, not for a second copy of a bigger one."""
    where = tmp_path / "disk"
    _mount_tmpfs(where, "3m")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _small_site(root: Path) -> None:
    root.mkdir(parents=True)
    (root / "briefgen.yaml").write_text(CONFIG)
    briefs = root / "content" / "briefs"
    briefs.mkdir(parents=True)
    (briefs / "a.md").write_text("---\ntitle: Small\ndate: 2026-11-20\n---\n\nShort.\n")


def test_full_disk_gives_clear_error_and_keeps_site(small_disk: Path, tmp_path: Path) -> None:
    root = small_disk / "root"
    _small_site(root)
    build(load_config(root))
    before = _tree(root / "site")
    # A body of ~900 KiB fits once, but not in the page, both feeds and the cache.
    words = " ".join(f"word{n}" for n in range(120_000))
    (root / "content/briefs/b.md").write_text(
        f"---\ntitle: Big\ndate: 2026-11-21\n---\n\n{words}\n")
    result = subprocess.run([sys.executable, "-m", "briefgen", "build", "-C", str(root)],
                            capture_output=True, text=True, cwd=REPO, check=False, timeout=120)
    assert result.returncode == 1
    assert "[BG-WR003]" in result.stderr and "No space left" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert _tree(root / "site") == before
    assert [p.name for p in root.iterdir() if p.name.startswith(".site.")] == []


def test_read_only_output_gives_clear_error_and_keeps_site(small_disk: Path) -> None:
    root = small_disk / "root"
    _small_site(root)
    build(load_config(root))
    before = _tree(root / "site")
    (root / "content/briefs/b.md").write_text("---\ntitle: New\ndate: 2026-11-21\n---\n\nX.\n")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        with pytest.raises(BriefgenError) as info:
            build(load_config(root), use_cache=False)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    (problem,) = info.value.diagnostics
    assert problem.code == "BG-WR003" and "Read-only" in problem.message
    assert _tree(root / "site") == before


def test_enospc_while_writing_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same without a mount: the disk fills up on the tenth file."""
    root = tmp_path / "root"
    _small_site(root)
    build(load_config(root))
    before = _tree(root / "site")
    (root / "content/briefs/b.md").write_text("---\ntitle: New\ndate: 2026-11-21\n---\n\nX.\n")
    real = Path.write_bytes
    calls = {"n": 0}

    def fill_up(self: Path, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] >= 10:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", fill_up)
    with pytest.raises(BriefgenError) as info:
        build(load_config(root), use_cache=False)
    monkeypatch.undo()
    assert [d.code for d in info.value.diagnostics] == ["BG-WR003"]
    assert "No space left" in info.value.diagnostics[0].message
    assert _tree(root / "site") == before
    assert [p.name for p in root.iterdir() if p.name.startswith(".site.")] == []


def _article(number: int) -> str:
    topic = TOPICS[number % len(TOPICS)]
    person = PEOPLE[number % len(PEOPLE)]
    paragraphs = [f"{topic.title()} Talks Stall In Round {number}", ""]
    for n in range(12):
        paragraphs.append(f"{person} said on Monday that the {topic} talks in round {number} "
                          f"had reached point {n}, and officials expect a decision soon.")
        paragraphs.append("")
    return "\n".join(paragraphs)


def _ingest(root: Path) -> subprocess.Popen[bytes]:
    return _run(["ingest", "-C", str(root), "--force", "--date", "2026-11-20"])


def test_sigkill_during_ingest_leaves_no_half_brief(tmp_path: Path) -> None:
    root = tmp_path / "root"
    articles = root / "content" / "articles"
    articles.mkdir(parents=True)
    total = 300
    for number in range(total):
        (articles / f"article-{number:03d}.txt").write_text(_article(number))
    out = root / "content" / "briefs"
    # Calibrate: when does the first brief appear, and when is the ingest done?
    started = time.monotonic()
    proc = _ingest(root)
    first = None
    while proc.poll() is None:
        if first is None and out.is_dir() and any(out.glob("*.md")):
            first = time.monotonic() - started
        time.sleep(0.01)
    full = time.monotonic() - started
    assert proc.returncode == 0 and len(list(out.glob("*.md"))) == total
    first = first if first is not None else full * 0.5
    rng = random.Random(11)
    counts = []
    mid_run = 0
    runs = 6
    for attempt in range(runs):
        fresh = attempt % 2 == 0
        if fresh:
            shutil.rmtree(out, ignore_errors=True)  # half the runs start from nothing
        proc = _ingest(root)
        # Kill while briefs are being written: between the first one and the last.
        time.sleep(first + rng.uniform(0.1, 0.7) * (full - first))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        written = sorted(out.glob("*.md")) if out.is_dir() else []
        counts.append(len(written))
        if fresh and 0 < len(written) < total:
            mid_run += 1
        for path in written:
            brief, problems = parse_brief(SourceFile(path=path.name, data=path.read_bytes()))
            errors = [p.format() for p in problems if p.severity == "error"]
            assert brief is not None and errors == [], (path.name, errors)
    leftovers = sorted(p.name for p in out.glob(".*.tmp"))
    print(f"\ningest: first brief after {first:.2f} s, done after {full:.2f} s; briefs present "
          f"after each kill: {counts}; temporary files left: {len(leftovers)}")
    # The kills must land mid-run, or the test proves nothing about half-written briefs.
    assert mid_run >= 2, f"no kill landed mid-ingest: {counts}"


def test_full_disk_while_saving_the_cache_is_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import briefgen.store.cache

    root = tmp_path / "root"
    _small_site(root)

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    # Writing a cache file fails after its temporary file was opened, as a full disk does.
    monkeypatch.setattr(briefgen.store.cache, "_encode", no_space)
    result = build(load_config(root))
    warnings = [d.code for d in result.diagnostics if d.severity == "warning"]
    assert [c for c in warnings if c != "BG-EM001"] == ["BG-IO005"]  # EM001: no base_url
    assert (root / "site" / "index.html").is_file()
    assert list((root / ".briefgen").glob("*.tmp")) == []


def test_cli_warns_when_the_cache_cannot_be_written(tmp_path: Path) -> None:
    """A cache that cannot be written is a warning: the site itself was built."""
    root = tmp_path / "root"
    _small_site(root)
    (root / ".briefgen").write_text("a file where the cache folder should be")
    result = subprocess.run([sys.executable, "-m", "briefgen", "build", "-C", str(root)],
                            capture_output=True, text=True, cwd=REPO, check=False, timeout=120)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0 and "[BG-IO005]" in result.stderr, result.stderr
    assert (root / "site" / "index.html").is_file()


# -- two builds at once -------------------------------------------------------------------

def test_two_builds_at_once_never_break_the_site(tmp_path: Path) -> None:
    """The second build's clean-up once deleted the first one's staging folder: one failed
    with a misleading BG-WR003, or both said "Built" and left a site without index.html."""
    reference = _built_tree(tmp_path, "a")
    root = tmp_path / "live"
    root.mkdir()
    (root / "briefgen.yaml").write_text(CONFIG)
    _write_content(root, "a")
    outcomes = []
    for _ in range(3):
        shutil.rmtree(root / "site", ignore_errors=True)
        shutil.rmtree(root / ".briefgen", ignore_errors=True)
        procs = [subprocess.Popen([sys.executable, "-m", "briefgen", "build", "-C", str(root)],
                                  cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
        results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
        codes = sorted(code for code, _, _ in results)
        outcomes.append(codes)
        for code, out, err in results:
            assert "Traceback" not in err
            if code != 0:  # the loser stops at once and says why
                assert "another build is running (pid " in err and "BG-LK001" in err, err
                assert "BG-WR003" not in err
            else:
                assert "Built" in out
        assert 0 in codes
        assert _tree(root / "site") == reference
        assert [p.name for p in root.iterdir() if p.name.startswith(".site.")] == []
    print(f"\nexit codes of the two builds, per round: {outcomes}")


def test_second_build_waits_or_stops_while_the_lock_is_held(tmp_path: Path) -> None:
    from briefgen.store.lock import build_lock

    root = tmp_path / "root"
    _small_site(root)
    with build_lock(root, root / ".briefgen"):
        assert (root / ".briefgen" / "build.lock").read_text().strip() == str(os.getpid())
        run = subprocess.run([sys.executable, "-m", "briefgen", "build", "-C", str(root)],
                             capture_output=True, text=True, cwd=REPO, check=False, timeout=60)
        assert run.returncode != 0
        assert f"another build is running (pid {os.getpid()})" in run.stderr, run.stderr
        assert not (root / "site").exists()
        told: list[str] = []
        with pytest.raises(BriefgenError) as info, build_lock(
                root, root / ".briefgen", wait=0.3, notify=told.append):
            pass
        assert [d.code for d in info.value.diagnostics] == ["BG-LK001"]
        assert told and "waiting for another build" in told[0]
    assert not (root / ".briefgen" / "build.lock").exists()
    build(load_config(root))  # released: the next build runs
    assert (root / "site" / "index.html").is_file()


def test_stale_staging_folders_go_only_when_their_build_is_gone(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _small_site(root)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = root / f".site.staging-{dead.pid}"
        running = root / f".site.staging-{alive.pid}"
        for folder in (stale, running):
            folder.mkdir()
            (folder / "index.html").write_text("half")
        build(load_config(root))
        assert not stale.exists(), "a killed build's leftover was kept"
        assert running.is_dir(), "a running build's staging folder was deleted"
    finally:
        alive.kill()
        alive.wait()
    build(load_config(root), use_cache=False)
    assert not running.exists()


@pytest.mark.timeout(60)
def test_pagefind_dies_with_a_killed_build(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _small_site(root)
    (root / "briefgen.yaml").write_text("search: true\n")
    pid_file = tmp_path / "indexer.pid"
    fake = tmp_path / "pagefind"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 60\n")
    fake.chmod(0o755)
    env = {**os.environ, "PAGEFIND_BINARY_PATH": str(fake)}
    proc = subprocess.Popen([sys.executable, "-m", "briefgen", "build", "-C", str(root)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 40
    while not (pid_file.is_file() and pid_file.read_text().strip()):
        assert time.monotonic() < deadline, "the indexer never started"
        assert proc.poll() is None
        time.sleep(0.05)
    indexer = int(pid_file.read_text())
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 5
    while _alive(indexer):
        if time.monotonic() > deadline:
            os.kill(indexer, signal.SIGKILL)
            pytest.fail("the indexer kept running after its build was killed")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
