"""Forked workers: same results as a loop, in order, with the worker's own exceptions."""

from __future__ import annotations

import errno
import os

import pytest

from briefgen.parallel import MIN_ITEMS, fork_map


def test_fork_map_keeps_order_and_matches_a_loop() -> None:
    items = list(range(MIN_ITEMS * 3 + 7))
    pids: set[int] = set()

    def square(n: int) -> tuple[int, int]:
        return n * n, os.getpid()

    results = fork_map(square, items, 2)
    assert [r[0] for r in results] == [n * n for n in items]
    pids = {r[1] for r in results}
    assert len(pids) == 2 and os.getpid() not in pids  # really ran in two children


def test_fork_map_raises_the_workers_exception() -> None:
    def fail(n: int) -> int:
        if n == MIN_ITEMS + 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return n

    with pytest.raises(OSError) as info:
        fork_map(fail, list(range(MIN_ITEMS * 2)), 2)
    assert info.value.errno == errno.ENOSPC
    assert any("in a worker process" in note for note in info.value.__notes__)


def test_fork_map_runs_small_jobs_in_this_process() -> None:
    assert fork_map(lambda n: os.getpid(), [1, 2, 3], 2) == [os.getpid()] * 3
