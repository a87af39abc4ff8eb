"""servelib next to PySpark, in one run, on the committed parity fixtures.

    python benchmarks/compare_pyspark.py [--quick] [--json OUT]     (or: tox -e bench)

Needs servelib and PySpark (with Java 17) in the same Python. Uses the fixtures saved by the
installed PySpark's line (tests/parity/fixtures/spark-<major.minor>/), and prints:

(a) load time: servelib.load vs pyspark.ml.PipelineModel.load on a warm JVM, for every fixture
    that is a saved PipelineModel (median of --load-repeats loads each);
(b) one-row latency on demo_lr_pipeline and tree_gbt_onehot_pipeline (Imputer, StringIndexer,
    OneHotEncoder, VectorAssembler, GBT of 100 trees of depth 5): servelib score_instance p50/p99
    over a bounded loop, and PySpark's per-row path (a 1-row DataFrame through transform() and
    collect());
(c) batch throughput on --rows rows of each: servelib transform(Arrow table) vs PySpark
    transform() written to Spark's "noop" sink on local[2]. The noop sink computes every output
    column; a bare count() would let Catalyst prune the stages' columns away and time nothing.

Every loop is bounded in calls and in seconds. Nothing here is a test; see BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

import servelib  # noqa: E402

DEMO = "demo_lr_pipeline"
CITIES = ["paris", "london", "berlin", "madrid", "rome", "tokyo", ""]
COLORS = ["red", "green", "blue", "yellow", "violet"]  # violet: unseen, StringIndexer "keep"


def percentile(sorted_samples: list[float], q: float) -> float:
    return sorted_samples[min(len(sorted_samples) - 1, int(len(sorted_samples) * q))]


def timed_loop(call: Callable[[], object], max_calls: int, max_seconds: float) -> list[float]:
    """Seconds per call, over at most ``max_calls`` calls or ``max_seconds`` seconds."""
    samples: list[float] = []
    deadline = time.perf_counter() + max_seconds
    while len(samples) < max_calls and time.perf_counter() < deadline:
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    return sorted(samples)


def median_time(call: Callable[[], object], repeats: int) -> float:
    return statistics.median(timed_loop(call, repeats, max_seconds=600.0))


def demo_table(n: int) -> pa.Table:
    """Deterministic demo-shaped rows (known and unseen cities)."""
    i = np.arange(n)
    amount = 5.0 + (i * 37 % 1013) * 0.97
    age = (18 + i * 13 % 53).astype("float64")
    city = [CITIES[k] for k in (i * 7 % len(CITIES))]
    return pa.table({"amount": amount, "age": age, "city": city})


def tree_table(n: int) -> pa.Table:
    """Deterministic rows for tree_gbt_onehot_pipeline: every 17th x1 is NaN (imputed), colours
    include an unseen one."""
    i = np.arange(n)
    x0 = np.round((i * 7919 % 6007) / 1001.0 - 3.0, 3)
    x1 = np.round((i * 104729 % 10007) / 1000.7, 2)
    x1[i % 17 == 0] = np.nan
    x2 = (i * 31 % 5).astype("float64")
    color = [COLORS[k] for k in (i * 3 % len(COLORS))]
    return pa.table({"x0": x0, "x1": x1, "x2": x2, "color": color})


@dataclass(frozen=True)
class Bench:
    """A fixture pipeline timed in (b) and (c), with a typical row and a table of such rows."""

    case: str
    row: dict
    schema: str  # the Spark schema of row and table
    table: Callable[[int], pa.Table]


BENCHES = (
    Bench(DEMO, {"amount": 12.5, "age": 34.0, "city": "paris"},
          "amount double, age double, city string", demo_table),
    Bench("tree_gbt_onehot_pipeline", {"x0": 0.371, "x1": 6.02, "x2": 3.0, "color": "blue"},
          "x0 double, x1 double, x2 double, color string", tree_table),
)


def fixture_root() -> Path:
    import pyspark

    version = ".".join(pyspark.__version__.split(".")[:2])
    root = ROOT / "tests/parity/fixtures" / f"spark-{version}"
    if not (root / DEMO / "model").is_dir():
        raise SystemExit(f"no {DEMO} fixture under {root}: run tests/parity/make_fixtures.py --only {DEMO}")
    return root


def is_pipeline(model_dir: Path) -> bool:
    meta = next((model_dir / "metadata").glob("part-*"))
    return json.loads(meta.read_text().splitlines()[0])["class"] == "org.apache.spark.ml.PipelineModel"


def spark_session(cores: int = 2, app: str = "servelib-bench"):
    """A local SparkSession on loopback with ``cores`` cores (also used by compare_onnx.py)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(cores))
        .config("spark.driver.memory", "2g")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# ---- (a) load ----------------------------------------------------------------------------------
def bench_load(root: Path, repeats: int, limit: int | None) -> list[dict]:
    from pyspark.ml import PipelineModel as SparkPipelineModel

    models = sorted(p for p in root.glob("*/model") if is_pipeline(p))
    if limit:
        models = models[:limit]
    for path in models:  # warm-up: servelib's imports, the JVM's class loading and JIT
        servelib.load(str(path))
        SparkPipelineModel.load(str(path))
    results = []
    for path in models:
        ours = median_time(lambda: servelib.load(str(path)), repeats)
        theirs = median_time(lambda: SparkPipelineModel.load(str(path)), repeats)
        stages = len(servelib.load(str(path)).stages)
        results.append({"case": path.parent.name, "stages": stages, "servelib_s": ours,
                        "pyspark_s": theirs, "speedup": theirs / ours})
    return results


# ---- (b) one row ---------------------------------------------------------------------------------
def bench_row(spark, root: Path, bench: Bench, calls: int, seconds: float, spark_calls: int
              ) -> dict:
    from pyspark.ml import PipelineModel as SparkPipelineModel

    path = str(root / bench.case / "model")
    model = servelib.load(path)
    row = bench.row
    for _ in range(1000):
        model.score_instance(row)
    gc.collect()
    ours = timed_loop(lambda: model.score_instance(row), calls, seconds)

    spark_model = SparkPipelineModel.load(path)
    values = tuple(row.values())

    def one_row():
        return spark_model.transform(spark.createDataFrame([values], bench.schema)).collect()

    for _ in range(5):
        one_row()
    theirs = timed_loop(one_row, spark_calls, seconds)
    return {
        "servelib_p50_us": percentile(ours, 0.5) * 1e6,
        "servelib_p99_us": percentile(ours, 0.99) * 1e6,
        "servelib_calls": len(ours),
        "pyspark_p50_ms": percentile(theirs, 0.5) * 1e3,
        "pyspark_p99_ms": percentile(theirs, 0.99) * 1e3,
        "pyspark_calls": len(theirs),
    }


# ---- (c) batch -------------------------------------------------------------------------------------
def bench_batch(spark, root: Path, bench: Bench, rows: int, repeats: int) -> dict:
    from pyspark.ml import PipelineModel as SparkPipelineModel

    path = str(root / bench.case / "model")
    table = bench.table(rows)
    model = servelib.load(path)
    model.transform(table.slice(0, 1000))
    ours = median_time(lambda: model.transform(table), repeats)

    spark_model = SparkPipelineModel.load(path)
    df = spark.createDataFrame(table.to_pandas()).cache()
    df.count()  # materialise the input so only the pipeline is timed

    def spark_batch():
        spark_model.transform(df).write.format("noop").mode("overwrite").save()

    spark_batch()
    theirs = median_time(spark_batch, repeats)
    return {"rows": rows, "servelib_s": ours, "pyspark_s": theirs,
            "servelib_rows_per_s": rows / ours, "pyspark_rows_per_s": rows / theirs,
            "speedup": theirs / ours}


# ---- report ----------------------------------------------------------------------------------------
def report(res: dict) -> None:
    env = res["env"]
    print(f"servelib {env['servelib']} vs PySpark {env['pyspark']} ({env['fixtures']}), "
          f"Python {env['python']}, {env['cpus']} CPUs, {env['machine']}, "
          f"load average at start {env['loadavg_at_start']}")
    loads = res["load"]
    if loads:
        print(f"\n(a) load time, median of {res['args']['load_repeats']} loads, warm JVM")
        print(f"  {'case':<40} {'stages':>6} {'servelib ms':>12} {'PySpark ms':>11} "
              f"{'speedup':>8}")
        for r in loads:
            print(f"  {r['case']:<40} {r['stages']:>6} {r['servelib_s'] * 1e3:>12.2f} "
                  f"{r['pyspark_s'] * 1e3:>11.1f} {r['speedup']:>7.0f}x")
        speedups = sorted(r["speedup"] for r in loads)
        print(f"  {len(loads)} pipelines: speedup min {speedups[0]:.0f}x, "
              f"median {statistics.median(speedups):.0f}x, max {speedups[-1]:.0f}x")
    for case, row in res["row"].items():
        print(f"\n(b) one row through {case}")
        print(f"  servelib score_instance          p50 {row['servelib_p50_us'] / 1e3:9.3f} ms   "
              f"p99 {row['servelib_p99_us'] / 1e3:9.3f} ms   ({row['servelib_calls']} calls)")
        print(f"  PySpark 1-row transform+collect  p50 {row['pyspark_p50_ms']:9.3f} ms   "
              f"p99 {row['pyspark_p99_ms']:9.3f} ms   ({row['pyspark_calls']} calls)")
        print(f"  speedup at p50: {row['pyspark_p50_ms'] * 1e3 / row['servelib_p50_us']:.0f}x")
    for case, b in res["batch"].items():
        print(f"\n(c) batch, {b['rows']} rows through {case}, "
              f"median of {res['args']['batch_repeats']}")
        print(f"  servelib transform(Arrow table)      {b['servelib_s'] * 1e3:9.1f} ms  "
              f"{b['servelib_rows_per_s']:12,.0f} rows/s")
        print(f"  PySpark transform -> noop, local[2]  {b['pyspark_s'] * 1e3:9.1f} ms  "
              f"{b['pyspark_rows_per_s']:12,.0f} rows/s")
        print(f"  speedup: {b['speedup']:.1f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller loops, for a smoke run")
    parser.add_argument("--load-repeats", type=int, default=5)
    parser.add_argument("--load-limit", type=int, default=None, help="at most this many pipelines")
    parser.add_argument("--no-load", action="store_true", help="skip (a), the load comparison")
    parser.add_argument("--calls", type=int, default=20000, help="score_instance calls (bounded)")
    parser.add_argument("--seconds", type=float, default=20.0, help="time bound per latency loop")
    parser.add_argument("--spark-calls", type=int, default=200, help="PySpark 1-row calls (bounded)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.load_repeats, args.load_limit, args.calls = 2, 3, 2000
        args.seconds, args.spark_calls, args.rows, args.batch_repeats = 3.0, 20, 10_000, 1

    import pyspark

    root = fixture_root()
    spark = spark_session()
    try:
        res = {
            "env": {"servelib": servelib.__version__, "pyspark": pyspark.__version__,
                    "fixtures": root.name, "python": platform.python_version(),
                    "cpus": os.cpu_count(), "machine": platform.machine(),
                    "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
            "args": vars(args) | {"json": None},
            "load": [] if args.no_load else bench_load(root, args.load_repeats, args.load_limit),
            "row": {b.case: bench_row(spark, root, b, args.calls, args.seconds, args.spark_calls)
                    for b in BENCHES},
            "batch": {b.case: bench_batch(spark, root, b, args.rows, args.batch_repeats)
                      for b in BENCHES},
        }
    finally:
        spark.stop()
    report(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
