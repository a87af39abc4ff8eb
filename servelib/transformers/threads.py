"""Threads for big batches: ``transform`` scores a big table as row ranges in parallel, and the tree
engine walks a big batch's rows in parallel (NumPy, Arrow and the compiled kernels release the
GIL for their loops).

``SERVELIB_THREADS`` in the environment sets how many threads one batch is split between: by
default the CPUs this process may run on, at most 4; ``1`` turns splitting off (a prefork server
with a worker per core may want that). Only batches of at least ``SPLIT_ROWS`` rows are split.
A range scored in a thread of the pool is never split again: a table cut in two for
``transform`` walks its trees on the thread that scores that range, so nesting does not
oversubscribe the CPUs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from itertools import pairwise
from typing import TypeVar

T = TypeVar("T")

SPLIT_ROWS = 20_000  # fewer rows: one range (a thread's start-up costs more than it saves)
_MAX_DEFAULT = 4


def _threads() -> int:
    value = os.environ.get("SERVELIB_THREADS", "")
    if value:
        try:
            count = int(value)
        except ValueError:
            count = 0
        if count < 1:
            raise ValueError(f"SERVELIB_THREADS must be a positive integer, got {value!r}")
        return count
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(_MAX_DEFAULT, cpus or 1))


THREADS = _threads()
_local = threading.local()  # ``inside``: this thread is scoring a range already
_POOL: list[ThreadPoolExecutor] = []


def ranges(n: int, min_rows: int | None = None) -> list[tuple[int, int]]:
    """``[0, n)`` as the row ranges one batch of ``n`` rows is scored in: one, or ``THREADS``
    of (nearly) equal length from ``min_rows`` (default ``SPLIT_ROWS``) rows, unless this
    thread scores a range already."""
    least = SPLIT_ROWS if min_rows is None else min_rows
    count = THREADS if n >= max(least, 2) and not getattr(_local, "inside", False) else 1
    count = min(count, n) or 1
    bounds = [n * i // count for i in range(count + 1)]
    return list(pairwise(bounds))


def map_ranges(score: Callable[[int, int], T], parts: list[tuple[int, int]]) -> list[T]:
    """``score(start, stop)`` of every range, in order: the first on this thread, the others in
    the pool. Every range finishes before this returns; the first range's exception (in range
    order) is raised."""
    if len(parts) == 1:
        return [score(*parts[0])]
    futures: list[Future] = [_pool().submit(_inside, score, a, b) for a, b in parts[1:]]
    try:
        first = _inside(score, *parts[0])
    finally:
        wait(futures)  # even on an error: the caller may score again what the pool still scores
    return [first, *(future.result() for future in futures)]


def _inside(score: Callable[[int, int], T], start: int, stop: int) -> T:
    outer = getattr(_local, "inside", False)
    _local.inside = True
    try:
        return score(start, stop)
    finally:
        _local.inside = outer


def _pool() -> ThreadPoolExecutor:
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max(1, THREADS - 1), thread_name_prefix="servelib"))
    return _POOL[0]


# A forked child (a prefork server) inherits the pool object but not its threads: start anew.
os.register_at_fork(after_in_child=_POOL.clear)
