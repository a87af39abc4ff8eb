"""score_instance latency on clean and dirty rows: is falling back from the row kernel a cliff?

For each named parity fixture (spark-4.3), the clean rows are the fixture's input rows that score;
dirty rows are copies with one input column changed the way real traffic changes it (null, an int
or a bool or a NumPy scalar for a double, an unseen category, a list for a vector), kept when the
batch path scores them. Prints, per fixture, score_instance p50/p99 in microseconds on the clean
stream, the dirty stream, a mixed stream (5% dirty) and an "odd" stream (a Decimal for a double:
rare input a kernel leaves to its stage's batch path, so the cost of a fallback), and the share of
clean and dirty rows the row kernels take end to end (no stage falls back to its batch path).

    PYTHONPATH=$PWD python benchmarks/bench_rows.py [--rounds 3000] [--clock cpu] [--json OUT]
        [fixture ...]

Bounded: at most ``--rounds`` calls per stream and ``--seconds`` per fixture.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

import servelib
from servelib.errors import InvalidInput
from servelib.testing.parity import input_types, read_rows

FIXTURES = Path(__file__).parents[1] / "tests/parity/fixtures/spark-4.3"
DEFAULT = ("demo_lr_pipeline", "tree_gbt_onehot_pipeline", "string_indexer_one_hot_pipeline",
           "imputer_strategies_multi", "vector_assembler_keep_scalars", "bucketizer_multi_keep",
           "string_indexer_multi_keep", "one_hot_no_drop_keep", "lr_binomial",
           "vector_indexer_keep", "poly_expansion_degree3_pipeline", "interaction_vector")


def _variants(value, kind: str) -> list:
    if kind == "string":
        return [None, "unseen-category"]
    if kind == "vector":
        return [value.toArray().tolist() if hasattr(value, "toArray") else None]
    if isinstance(value, float) and math.isfinite(value):
        return [None, int(value), np.float64(value), float("nan"), value == 0.0]
    return [None]


def _odd(value, kind: str) -> list:
    """Rare forms a kernel leaves to its stage's batch path (the fallback's cost)."""
    if kind == "number" and isinstance(value, float) and math.isfinite(value):
        return [Decimal(repr(value))]
    return []


def _dirty(model, rows: list[dict], kinds: dict, variants=_variants) -> list[dict]:
    out = []
    for row in rows:
        for col in model.input_columns():
            if col not in kinds:
                continue
            for value in variants(row.get(col), kinds[col]):
                changed = {**row, col: value}
                try:
                    model.score_instance(changed)
                except InvalidInput:
                    continue
                out.append(changed)
    return out


def _kind(spark_type) -> str:
    if isinstance(spark_type, dict):
        return "vector"
    return "string" if spark_type == "string" else "number"


CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.thread_time_ns}
clock = CLOCKS["wall"]


def _latencies(model, stream: list[dict], rounds: int, deadline: float) -> np.ndarray:
    times = []
    for i in range(rounds):
        row = stream[i % len(stream)]
        t0 = clock()
        model.score_instance(row)
        times.append(clock() - t0)
        if time.monotonic() > deadline:
            break
    return np.array(times) / 1000.0


def _kernel_share(model, rows: list[dict]) -> float:
    kernel = model._kernel
    if kernel is None or not rows:
        return 0.0
    taken = 0
    for row in rows:
        try:
            taken += bool(kernel(dict(row)))
        except InvalidInput:
            taken += 1  # decided (skipped or refused) by the kernel itself
    return taken / len(rows)


def bench(name: str, rounds: int, seconds: float) -> dict:
    path = FIXTURES / name
    schema = json.loads((path / "schema.json").read_text())
    model = servelib.load(str(path / "model")).with_input_types(input_types(schema))
    kinds = {f["name"]: _kind(f["type"]) for f in schema["fields"]}
    clean = []
    for row in read_rows(path / "input.jsonl"):
        try:
            model.score_instance(row)
        except InvalidInput:
            continue
        clean.append(row)
    dirty = _dirty(model, clean, kinds)
    odd = _dirty(model, clean, kinds, _odd)
    rng = random.Random(0)
    mixed = [rng.choice(dirty) if dirty and rng.random() < 0.05 else rng.choice(clean)
             for _ in range(1000)]
    deadline = time.monotonic() + seconds
    result = {"fixture": name, "dirty rows": len(dirty),
              "kernel share clean": _kernel_share(model, clean),
              "kernel share dirty": _kernel_share(model, dirty)}
    for label, stream in (("clean", clean), ("dirty", dirty), ("mixed", mixed), ("odd", odd)):
        if not stream:
            continue
        _latencies(model, stream, min(rounds, 200), deadline + seconds)  # warm up
        lat = _latencies(model, stream, rounds, deadline + seconds)
        result[label] = (float(np.percentile(lat, 50)), float(np.percentile(lat, 99)))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fixtures", nargs="*", default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="cpu: this thread's CPU time, blind to preemption on a loaded VM")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    print(f"{'fixture':34} {'clean p50/p99':>15} {'dirty p50/p99':>15} {'mixed p50/p99':>15}"
          f" {'odd p50/p99':>15} {'kernel clean/dirty':>19}")
    results = []
    for name in args.fixtures:
        r = bench(name, args.rounds, args.seconds)
        results.append(r)
        cells = [f"{r[k][0]:6.1f}/{r[k][1]:6.1f}" if k in r else f"{'-':>13}"
                 for k in ("clean", "dirty", "mixed", "odd")]
        share = f"{r['kernel share clean']:.0%}/{r['kernel share dirty']:.0%}"
        print(f"{name:34} {cells[0]:>15} {cells[1]:>15} {cells[2]:>15} {cells[3]:>15} {share:>19}"
              f"  ({r['dirty rows']} dirty rows)")
    if args.json:
        args.json.write_text(json.dumps({"clock": args.clock, "rounds": args.rounds,
                                         "fixtures": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
