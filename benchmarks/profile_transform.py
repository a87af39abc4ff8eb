"""Where ``transform`` spends a batch: wall time per stage, then cProfile's top functions.

    python benchmarks/profile_transform.py [--rows N] [--top K] [CASE ...]

No JVM: the production-shaped fixtures (tests/parity/cases/production.py) of the newest Spark
line committed, scored on N of that module's serving rows as an Arrow table. The per-stage split
mirrors ``OnlineTransformer.transform``: Arrow in (``Batch.from_table``; the columns are decoded
when a stage first reads them, so that cost lands in the first reader), each stage's ``run``,
then Arrow out (``arrow_column`` of every produced column, per column kind). Median of
--repeats runs. Nothing here is a test; the findings are in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyarrow as pa  # noqa: E402

import servelib  # noqa: E402
from benchmarks.bench_fastpath import CASES, arrow_schema  # noqa: E402
from servelib.transformers.base import arrow_column  # noqa: E402
from servelib.transformers.batch import Batch  # noqa: E402
from tests.parity.cases import production  # noqa: E402


def stage_times(model: servelib.PipelineModel, table: pa.Table) -> dict[str, float]:
    """Seconds per step of one transform (stage names with their position)."""
    times: dict[str, float] = defaultdict(float)
    t0 = time.perf_counter()
    batch = Batch.from_table(table)
    times["arrow in"] = time.perf_counter() - t0
    for i, stage in enumerate(model.stages):
        t0 = time.perf_counter()
        stage.run(batch)
        times[f"{i} {stage.name.split('(')[0]}"] = time.perf_counter() - t0
    outputs = batch.outputs()
    for key in model.output_columns():
        if key in outputs:
            t0 = time.perf_counter()
            arrow_column(outputs[key])
            kind = type(outputs[key]).__name__
            times[f"arrow out ({kind})"] += time.perf_counter() - t0
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", default=list(CASES))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)
    fixtures = sorted((ROOT / "tests/parity/fixtures").glob("spark-*"))[-1]
    table = pa.Table.from_pylist(production.serving_rows(args.rows, start=2_000_000),
                                 arrow_schema())
    for case in args.cases:
        model = servelib.load(str(fixtures / case / "model"))
        model.transform(table.slice(0, 1000))
        runs = [stage_times(model, table) for _ in range(args.repeats)]
        total = statistics.median(sum(r.values()) for r in runs)
        print(f"\n== {case} ({fixtures.name}), {args.rows} rows: {total * 1e3:.1f} ms "
              f"({args.rows / total:,.0f} rows/s), median of {args.repeats}")
        for step in runs[0]:
            t = statistics.median(r[step] for r in runs)
            print(f"  {step:<40} {t * 1e3:9.1f} ms {t / total:6.1%}")
        profile = cProfile.Profile()
        profile.runcall(model.transform, table)
        print(f"  cProfile, top {args.top} by own time (one transform, profiler overhead "
              f"included):")
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
