"""Spread independent per-item work over worker processes, in order, deterministically."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
C = TypeVar("C")

MIN_ITEMS = 300  # below this, starting processes costs more than it saves


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def map_chunks(
    func: Callable[[C, Sequence[T]], list[R]],
    context: C,
    items: Sequence[T],
    workers: int,
) -> list[R]:
    """``func(context, chunk)`` over contiguous chunks of ``items``; results in item order.

    Runs in forked worker processes when there are enough items, more than one worker and
    the platform forks; otherwise in this process. Output never depends on which way ran.
    """
    if workers <= 1 or len(items) < MIN_ITEMS or not _can_fork():
        return func(context, items)
    size = -(-len(items) // workers)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=len(chunks),
                             mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(func, context, chunk) for chunk in chunks]
        results: list[R] = []
        for future in futures:
            results.extend(future.result())
    return results


def _can_fork() -> bool:
    # fork is only safe from a single-threaded process; the dev server has threads.
    import threading

    return sys.platform.startswith("linux") and threading.active_count() == 1
