"""bench_fastpath's batch rounds: each runtime in turn, its timed run after a lead-in, with the
heap frozen only while they run; and the wait for PySpark's JVM to go quiet (nothing here
times a runtime)."""

from __future__ import annotations

import gc
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench_fastpath import children_cpu_seconds, interleaved, one_thread, settle
from servelib.transformers import threads


def test_rounds_take_turns_each_timed_run_after_a_lead_in():
    calls: list[str] = []
    frozen: list[int] = []

    def runtime(name: str):
        return lambda: (calls.append(name), frozen.append(gc.get_freeze_count()))

    out = interleaved({"a": runtime("a"), "b": runtime("b")}, rounds=3, lead_in=0.0)
    assert calls == ["a", "a", "b", "b"] * 3 and set(out) == {"a", "b"}  # one untimed run each
    assert all(n > 0 for n in frozen) and gc.get_freeze_count() == 0


def test_the_lead_in_runs_a_call_for_its_seconds():
    calls: list[float] = []
    interleaved({"a": lambda: (calls.append(time.perf_counter()), time.sleep(0.01))},
                rounds=1, lead_in=0.05)
    assert 4 <= len(calls) <= 12 and calls[-1] - calls[0] >= 0.05


def test_calls_on_their_own_clock_give_their_own_seconds():
    """PySpark's batch is timed in its child process: its seconds, not the round trip's."""
    seconds = iter([9.0, 1.0, 9.0, 2.0, 9.0, 3.0])  # per round: the lead-in's, the timed one's
    out = interleaved({"spark": lambda: next(seconds), "here": lambda: 7.0}, rounds=3,
                      own_clock=["spark"], lead_in=0.0)
    assert out["spark"] == 2.0 and out["here"] < 1.0


def test_one_thread_restores_the_setting():
    saved = threads.THREADS
    assert one_thread(lambda table: threads.THREADS, None) == 1
    assert threads.THREADS == saved


def test_the_cpu_of_processes_under_this_one_is_counted():
    """settle() waits on it after each PySpark batch: a spinning child must show up in it."""
    before = children_cpu_seconds()
    spin = "import time\nend = time.time() + 0.6\nwhile time.time() < end: pass"
    child = subprocess.Popen([sys.executable, "-c", spin])
    try:
        time.sleep(0.4)
        assert children_cpu_seconds() > before + 0.05
    finally:
        child.wait(timeout=10)


def test_settle_returns_when_nothing_under_this_process_works():
    """In a fresh process (this one may have test servers under it)."""
    code = ("import time\nfrom benchmarks.bench_fastpath import settle\n"
            "t0 = time.perf_counter()\nsettle(step=0.05, limit=3.0)\n"
            "print(time.perf_counter() - t0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=Path(__file__).resolve().parents[2], check=True)
    assert float(out.stdout.split()[-1]) < 1.0
