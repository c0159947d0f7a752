"""Forked workers: same results as a loop, in order, with the worker's own exceptions.

Each check runs in a fresh interpreter: ``fork_map`` only forks from a single-threaded
process, and other tests in the same pytest worker may have left threads behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from briefgen.pipeline.parallel import fork_map


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_fork_map_keeps_order_and_matches_a_loop() -> None:
    out = _run("""
        import os
        from briefgen.pipeline.parallel import MIN_ITEMS, fork_map
        items = list(range(MIN_ITEMS * 3 + 7))
        results = fork_map(lambda n: (n * n, os.getpid()), items, 2)
        assert [r[0] for r in results] == [n * n for n in items]
        pids = {r[1] for r in results}
        assert len(pids) == 2 and os.getpid() not in pids, pids  # really two children
        print("ok")
    """)
    assert out == "ok"


def test_fork_map_raises_the_workers_exception() -> None:
    out = _run("""
        import errno
        from briefgen.pipeline.parallel import MIN_ITEMS, fork_map
        def fail(n):
            if n == MIN_ITEMS + 1:
                raise OSError(errno.ENOSPC, "No space left on device")
            return n
        try:
            fork_map(fail, list(range(MIN_ITEMS * 2)), 2)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
            assert any("in a worker process" in note for note in exc.__notes__)
            print("raised")
    """)
    assert out == "raised"


def test_fork_map_runs_small_jobs_in_this_process() -> None:
    assert fork_map(lambda n: os.getpid(), [1, 2, 3], 2) == [os.getpid()] * 3


def test_helper_runs_once_in_a_child_forked_early() -> None:
    out = _run("""
        import os
        from briefgen.pipeline.parallel import start_helper
        parent = os.getpid()
        big = None
        helper = start_helper(lambda job: (sum(job), os.getpid(), big is None),
                              warm=lambda: None)
        big = list(range(10**6))  # made after the fork: the child never sees it
        total, pid, small = helper.submit(list(range(1000)))()
        assert total == 499500 and pid != parent and small, (total, pid, small)
        helper.close()
        print("ok")
    """)
    assert out == "ok"


def test_helper_closed_unused_or_failing_leaves_no_child() -> None:
    out = _run("""
        import multiprocessing
        from briefgen.pipeline.parallel import start_helper
        unused = start_helper(lambda job: job)
        unused.close()
        failing = start_helper(lambda job: 1 / job)
        wait = failing.submit(0)
        try:
            wait()
        except ZeroDivisionError as exc:
            assert any("in a worker process" in note for note in exc.__notes__)
        else:
            raise AssertionError("the helper's error was not raised in the parent")
        failing.close()
        busy = start_helper(lambda job: __import__("time").sleep(job))
        busy.submit(60)
        busy.close()  # a build that failed meanwhile: the child is stopped, not awaited
        assert multiprocessing.active_children() == []
        print("ok")
    """)
    assert out == "ok"
