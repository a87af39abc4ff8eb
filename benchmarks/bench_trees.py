"""The tree engine: compiled (numba) next to the NumPy fallback, in one run, on PySpark-saved trees.

    PYTHONPATH=. python benchmarks/bench_trees.py [--quick] [--json OUT]

For each fixture (tests/parity/fixtures/spark-4.3: RandomForest of 200 trees of depth 8,
GBTClassifier of 100 trees, GBTRegressor; each behind its pipeline's feature stages) and each
engine (``SERVELIB_TREE_ENGINE`` numba, numpy; models loaded after switching):

- ``score_instance(row)`` latency p50/p99 in microseconds, cycling over the fixture's input rows
  (the clean and the dirty ones) after a warm-up, for at most --calls calls or --seconds seconds;
- ``transform`` rows/s on an Arrow table of --rows rows (the input rows repeated), best of
  --repeat runs.

The fixtures' forests are small (depth 3 to 5); the shapes of the issue's production pipelines
are timed as synthetic stages alone (no feature stages): a RandomForest of 200 trees of depth 8
(about 50k nodes) and a GBT of 100 trees of depth 5, on 20 features.

Then, for the RandomForest pipeline, fresh processes time ``import servelib``, ``servelib.load``
and the first ``score_instance`` (wall clock, and the process's CPU time, which a loaded VM
inflates less): with an empty numba cache (NUMBA_CACHE_DIR a new directory: the first-ever run
compiles the kernels), again with that cache warm, and warm without scipy and pandas.

With an older servelib on PYTHONPATH (no tree engine module) the same figures are taken for its
one engine, labelled "before", so before/after come from the same script. Nothing here is a
test; the VM is shared: compare figures of one run, and read the load average printed with them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

import servelib
from servelib.testing.parity import read_rows, to_table
from servelib.transformers.tree.classifiers import (
    GBTClassificationModel,
    RandomForestClassificationModel,
)
from servelib.transformers.tree.flat import TreeNodes, build_forest
from servelib.vectors import DenseVector

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests/parity/fixtures/spark-4.3"
CASES = ("tree_rf_classifier_200", "tree_gbt_classifier_100", "tree_gbt_regressor")
FIRST = """
import sys, time; t0 = time.perf_counter(); c0 = time.process_time()
class Absent:  # the blocked packages import as if not installed
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, Absent())
import json, servelib; t1 = time.perf_counter()
model = servelib.load({model!r}); t2 = time.perf_counter()
model.score_instance({row!r}); t3 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, t3 - t2, t3 - t0, time.process_time() - c0]))
"""
# numba imports scipy (its BLAS check) and pyarrow imports pandas when they are installed; the
# last fresh-process run blocks both, as in an install of servelib's own dependencies only
OPTIONAL = ("scipy", "pandas")


def _random_tree(rng: np.random.Generator, depth: int, width: int) -> TreeNodes:
    """A pre-order tree of continuous splits that stops early now and then (Spark-like
    shapes: a depth-8 forest of 200 such trees has about 50k nodes)."""
    left: list[int] = []
    right: list[int] = []
    feature: list[int] = []
    values: list[list[float]] = []

    def grow(level: int) -> int:
        i = len(left)
        left.append(-1), right.append(-1), feature.append(-1), values.append([0.0])
        if level < depth and rng.random() < 0.92:
            feature[i], values[i] = int(rng.integers(width)), [float(rng.normal())]
            left[i] = grow(level + 1)
            right[i] = grow(level + 1)
        return i

    grow(0)
    n = len(left)
    return TreeNodes(np.array(left), np.array(right), np.array(feature), np.full(n, -1), values)


def _synthetic(kind: str, trees: int, depth: int, width: int):
    """A tree stage alone, on ``width`` features: RandomForest or GBT classifier."""
    rng = np.random.default_rng(trees * depth)
    forest = build_forest([_random_tree(rng, depth, width) for _ in range(trees)])
    if kind == "rf":
        p = rng.random(forest.num_nodes)
        return RandomForestClassificationModel(
            "rf", forest=forest, probability_col="probability",
            distribution=np.stack([p, 1 - p], axis=1))
    return GBTClassificationModel("gbt", forest=forest, probability_col="probability",
                                  weighted=rng.normal(size=forest.num_nodes) * 0.1, dot_lanes=8)


def _synthetic_data(width: int, rows: int) -> tuple[list[dict], pa.Table]:
    x = np.random.default_rng(7).normal(size=(rows, width))
    table = pa.table({"features": [{"type": 1, "size": None, "indices": None,
                                    "values": r.tolist()} for r in x[: min(rows, 20_000)]]})
    table = pa.concat_tables([table] * (rows // table.num_rows))
    return [{"features": DenseVector(r)} for r in x[:200]], table


def _engine_module():
    try:
        from servelib.transformers.tree import engine
    except ImportError:
        return None
    return engine


def _latency(model, rows: list[dict], calls: int, seconds: float) -> dict[str, float]:
    for row in rows * 3:  # warm-up: kernels bound, caches filled
        model.score_instance(row)
    times: list[int] = []
    deadline = time.perf_counter() + seconds
    gc.disable()
    try:
        while len(times) < calls and time.perf_counter() < deadline:
            for row in rows:
                start = time.perf_counter_ns()
                model.score_instance(row)
                times.append(time.perf_counter_ns() - start)
    finally:
        gc.enable()
    times.sort()
    return {"p50_us": times[len(times) // 2] / 1e3, "p99_us": times[int(len(times) * 0.99)] / 1e3,
            "calls": len(times)}


def _throughput(model, table: pa.Table, repeat: int) -> float:
    model.transform(table.slice(0, 1000))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        model.transform(table)
        best = min(best, time.perf_counter() - start)
    return table.num_rows / best


def _scoreable(model, rows: list[dict]) -> list[dict]:
    """The input rows the model scores (a fixture's rows Spark fails on are left out)."""
    good = []
    for row in rows:
        try:
            model.score_instance(row)
        except servelib.InvalidInput:
            continue
        good.append(row)
    return good


def _fresh_process(model_dir: Path, row: dict, cache: str, blocked: tuple[str, ...]
                   ) -> list[float]:
    # the servelib this script imported (an older checkout on PYTHONPATH for "before")
    env = {**os.environ, "NUMBA_CACHE_DIR": cache,
           "PYTHONPATH": str(Path(servelib.__file__).resolve().parents[1])}
    code = FIRST.format(model=str(model_dir), row=row, blocked=blocked)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=600, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and rows")
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.seconds, args.rows, args.repeat = 2000, 2.0, 20_000, 1
    engine = _engine_module()
    engines = ("numba", "numpy") if engine is not None else ("before",)
    print(f"load average {os.getloadavg()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    results: dict = {"load_average": os.getloadavg(), "cases": {}}
    for case in CASES:
        fixture = FIXTURES / case
        schema = json.loads((fixture / "schema.json").read_text())
        inputs = read_rows(fixture / "input.jsonl")
        table = to_table((inputs * (args.rows // len(inputs) + 1))[: args.rows], schema)
        for name in engines:
            if engine is not None:
                engine.ENGINE = name
            model = servelib.load(str(fixture / "model"))
            rows = _scoreable(model, inputs)
            lat = _latency(model, rows, args.calls, args.seconds)
            rate = _throughput(model, table, args.repeat)
            results["cases"].setdefault(case, {})[name] = {**lat, "transform_rows_per_s": rate}
            print(f"{case:26s} {name:6s} score_instance p50 {lat['p50_us']:8.1f} us  p99 "
                  f"{lat['p99_us']:8.1f} us  ({lat['calls']} calls over {len(rows)} rows)  "
                  f"transform {rate:10,.0f} rows/s ({table.num_rows} rows)", flush=True)
    for label, kind, trees, depth in (("synthetic RF 200 x depth 8", "rf", 200, 8),
                                      ("synthetic GBT 100 x depth 5", "gbt", 100, 5)):
        rows, table = _synthetic_data(20, args.rows)
        for name in engines:
            if engine is not None:
                engine.ENGINE = name
            model = _synthetic(kind, trees, depth, 20)
            lat = _latency(model, rows, args.calls, args.seconds)
            rate = _throughput(model, table, args.repeat)
            results["cases"].setdefault(label, {})[name] = {**lat, "transform_rows_per_s": rate,
                                                            "nodes": model.forest.num_nodes}
            print(f"{label:26s} {name:6s} score_instance p50 {lat['p50_us']:8.1f} us  p99 "
                  f"{lat['p99_us']:8.1f} us  ({model.forest.num_nodes} nodes, stage alone)  "
                  f"transform {rate:10,.0f} rows/s ({table.num_rows} rows)", flush=True)
    rf = FIXTURES / CASES[0]
    row = read_rows(rf / "input.jsonl")[0]
    runs = (("cold numba cache", ()), ("warm numba cache", ()),
            ("warm numba cache, no scipy/pandas", OPTIONAL))
    with tempfile.TemporaryDirectory() as cache:
        for label, blocked in runs:
            imp, load, first, total, cpu = _fresh_process(rf / "model", row, cache, blocked)
            results[label] = {"import_s": imp, "load_s": load, "first_score_s": first,
                              "total_s": total, "cpu_s": cpu}
            print(f"fresh process, {label}: import servelib {imp:.3f} s, load {load:.3f} s, "
                  f"first score_instance {first:.4f} s, total {total:.3f} s "
                  f"(CPU {cpu:.3f} s)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
