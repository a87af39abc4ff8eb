"""Inline or in a thread? One-row DataPlane.predict latency and throughput, both ways, one run.

    PYTHONPATH=. python benchmarks/bench_dataplane_inline.py [--requests 3000] [--concurrency 16]

Each mode serves the same requests to the demo LR pipeline and the GBT pipeline (one row each):
sequentially (latency of one request alone) and with ``--concurrency`` requests in flight on
one event loop (throughput). Bounded: a fixed number of requests per mode.
"""

from __future__ import annotations

import argparse
import asyncio
import runpy
import statistics
import tempfile
import time
from pathlib import Path

from servelib.server.dataplane import PredictRequest, build_dataplane

ROOT = Path(__file__).resolve().parents[1]
ROWS = {"demo": {"amount": 980.0, "age": 19.0, "city": "berlin"},
        "gbt": {"x0": 1.0, "x1": 2.0, "x2": 1.0, "color": "red"}}


async def run(repo: Path, inline_rows: int, n: int, concurrency: int) -> dict[str, tuple]:
    plane = build_dataplane(str(repo), preload=list(ROWS))
    plane.inline_rows = inline_rows
    await plane.start()
    out = {}
    for model, row in ROWS.items():
        request = PredictRequest(model, [row])
        for _ in range(200):
            await plane.predict(request)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            await plane.predict(request)
            times.append(time.perf_counter() - t)
        times.sort()

        async def worker(count: int) -> None:
            for _ in range(count):
                await plane.predict(request)

        t = time.perf_counter()
        await asyncio.gather(*(worker(n // concurrency) for _ in range(concurrency)))
        rate = (n // concurrency * concurrency) / (time.perf_counter() - t)
        out[model] = (statistics.median(times) * 1e6, times[int(0.99 * len(times))] * 1e6, rate)
    await plane.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    build = runpy.run_path(str(ROOT / "scripts" / "make_demo_repository.py"))["build"]
    with tempfile.TemporaryDirectory() as tmp:
        repo = build(Path(tmp))
        for label, inline_rows in (("inline", 1), ("thread", 0), ("inline", 1), ("thread", 0)):
            result = asyncio.run(run(repo, inline_rows, args.requests, args.concurrency))
            for model, (p50, p99, rate) in result.items():
                print(f"{label:6} {model:5} p50 {p50:7.1f} us  p99 {p99:7.1f} us  "
                      f"{rate:8.0f} req/s at concurrency {args.concurrency}")


if __name__ == "__main__":
    main()
