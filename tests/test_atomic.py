"""store/atomic.py: the one atomic writer."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from briefgen.store.atomic import write_atomic


def test_new_file_gets_the_usual_mode_and_the_bytes(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "sub" / "a.md", "héllo\n")
    finally:
        os.umask(old)
    path = tmp_path / "sub" / "a.md"
    assert path.read_bytes() == "héllo\n".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["a.md"]  # no temporary left


def test_replacing_keeps_the_mode_of_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("old")
    path.chmod(0o600)
    write_atomic(path, b"new", durable=False)
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_symlink_is_replaced_never_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    link = tmp_path / "digest" / "a.md"
    link.parent.mkdir()
    link.symlink_to(outside)
    write_atomic(link, "brief")
    assert outside.read_text() == "keep me"
    assert not link.is_symlink() and link.read_text() == "brief"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(path, "bad \udc80 surrogate")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]
