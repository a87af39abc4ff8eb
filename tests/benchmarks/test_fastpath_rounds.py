"""bench_fastpath's batch rounds: every runtime warmed once, then each once per round in turn,
with the heap frozen only while they run (nothing here is timed)."""

from __future__ import annotations

import gc

from benchmarks.bench_fastpath import interleaved, one_thread
from servelib.transformers import threads


def test_rounds_take_turns_after_one_warm_up_each():
    calls: list[str] = []
    frozen: list[int] = []

    def runtime(name: str):
        return lambda: (calls.append(name), frozen.append(gc.get_freeze_count()))

    out = interleaved({"a": runtime("a"), "b": runtime("b")}, rounds=3)
    assert calls == ["a", "b"] * 4 and set(out) == {"a", "b"}
    assert frozen[0] == 0 and all(n > 0 for n in frozen[2:])  # warm-ups before the freeze
    assert gc.get_freeze_count() == 0


def test_calls_on_their_own_clock_give_their_own_seconds():
    """PySpark's batch is timed in its child process: its seconds, not the round trip's."""
    seconds = iter([9.0, 1.0, 2.0, 3.0])  # the warm-up's, then one per round
    out = interleaved({"spark": lambda: next(seconds), "here": lambda: 7.0}, rounds=3,
                      own_clock=["spark"])
    assert out["spark"] == 2.0 and out["here"] < 1.0


def test_one_thread_restores_the_setting():
    saved = threads.THREADS
    assert one_thread(lambda table: threads.THREADS, None) == 1
    assert threads.THREADS == saved
