"""The text pipeline next to PySpark, in one run: RegexTokenizer + StopWordsRemover +
HashingTF(512) + IDF + LogisticRegression, the committed text_lr_pipeline fixture.

    python benchmarks/bench_text.py [--quick] [--rows N] [--json OUT]

Prints (b) one-row latency: servelib score_instance p50/p99 over a bounded loop of varied
review-like rows (a few per cent dirty: empty, punctuation-only, non-ASCII, unseen words) vs
PySpark's 1-row DataFrame through transform() and collect(); (c) batch throughput: servelib
transform(Arrow table) vs PySpark transform() written to the "noop" sink on local[2].
Helpers and methodology are compare_pyspark.py's. Nothing here is a test; see BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow as pa  # noqa: E402

import servelib  # noqa: E402
from compare_pyspark import (  # noqa: E402
    Bench,
    bench_batch,
    bench_row,
    fixture_root,
    percentile,
    spark_session,
    timed_loop,
)

CASE = "text_lr_pipeline"
WORDS = ("great product works perfectly fast terrible broke after day awful love best purchase "
         "year waste money buy excellent quality support speed never again the and it is a of "
         "to this was not very really").split()
DIRTY = ["", "!!! ...", "ÜBER straße İstanbul", "unseen zzzqx words only", "   "]


def review(i: int) -> str:
    """Deterministic review-like text of 6-17 words; every 20th row dirty."""
    if i % 20 == 19:
        return DIRTY[(i // 20) % len(DIRTY)]
    n = 6 + i * 7 % 12
    words = [WORDS[(i * 31 + k * 17) % len(WORDS)] for k in range(n)]
    if i % 3 == 0:
        words[0] = words[0].capitalize()
    return " ".join(words) + ("!" if i % 2 else ".")


def text_table(n: int) -> pa.Table:
    return pa.table({"text": [review(i) for i in range(n)], "label": [0.0] * n})


def row_stream(model, rows: list[dict], calls: int, seconds: float) -> list[float]:
    """score_instance over a rotating stream of varied rows (the p99 sees the dirty ones)."""
    k = [0]

    def one():
        model.score_instance(rows[k[0] % len(rows)])
        k[0] += 1

    return timed_loop(one, calls, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--spark-calls", type=int, default=100)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.calls, args.seconds, args.spark_calls, args.rows, args.batch_repeats = (
            2000, 3.0, 20, 10_000, 1)

    root = fixture_root()
    model = servelib.load(str(root / CASE / "model"))
    rows = [{"text": review(i), "label": 0.0} for i in range(200)]
    for row in rows * 5:
        model.score_instance(row)
    gc.collect()
    stream = row_stream(model, rows, args.calls, args.seconds)
    clean = {"text": review(1), "label": 0.0}
    taken = sum(bool(model._kernel(dict(r))) for r in rows)

    spark = spark_session()
    try:
        bench = Bench(CASE, clean, "text string, label double", text_table)
        one = bench_row(spark, root, bench, args.calls, args.seconds, args.spark_calls)
        batch = bench_batch(spark, root, bench, args.rows, args.batch_repeats)
    finally:
        spark.stop()
    res = {"row_clean": one, "batch": batch, "rows_on_row_path": f"{taken}/{len(rows)}",
           "stream_p50_us": percentile(stream, 0.5) * 1e6,
           "stream_p99_us": percentile(stream, 0.99) * 1e6, "stream_calls": len(stream)}
    print(f"(b) one row through {CASE} ({res['rows_on_row_path']} stream rows on the row path)")
    print(f"  servelib score_instance, one clean row   p50 {one['servelib_p50_us']:8.1f} us  "
          f"p99 {one['servelib_p99_us']:8.1f} us")
    print(f"  servelib score_instance, varied stream   p50 {res['stream_p50_us']:8.1f} us  "
          f"p99 {res['stream_p99_us']:8.1f} us")
    print(f"  PySpark 1-row transform+collect          p50 {one['pyspark_p50_ms']:8.1f} ms  "
          f"p99 {one['pyspark_p99_ms']:8.1f} ms")
    print(f"(c) batch, {batch['rows']} rows: servelib {batch['servelib_rows_per_s']:,.0f} rows/s, "
          f"PySpark local[2] {batch['pyspark_rows_per_s']:,.0f} rows/s, "
          f"speedup {batch['speedup']:.1f}x")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
