"""Prediction logging at 10%: how many requests it logged, and what it costs at p99, side by side
with logging off, in one run.

    PYTHONPATH=. python benchmarks/bench_logging.py [--rate 500] [--seconds 10] [--json OUT]

Two `servelib serve` processes on loopback serve the demo repository one after the other, the
second with ``--prediction-log DIR --log-sample-rate 0.1``; `servelib bench`'s open-loop engine
offers the same rate to each. The logged count is checked against Binomial(n, 0.1): within 4
standard deviations.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from servelib.bench import loadgen, payloads, report  # noqa: E402
from tests.server.serving import serve  # noqa: E402

ROW = {"amount": 980.0, "age": 19.0, "city": "berlin"}


def run(repo: Path, rate: float, seconds: float, *args: str) -> dict:
    with serve(repo, "--no-http", "--preload", "demo", *args) as served:
        plan = loadgen.Plan(served.address, payloads.PREDICT,
                            payloads.predict_payloads("demo", None, [ROW], 1), rate, seconds,
                            warmup=1.0, metadata=(("x-model-id", "demo"),))
        return report.merge(loadgen.run_processes(plan, 1), 1000.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run([sys.executable, str(ROOT / "scripts/make_demo_repository.py"),
                        str(tmp / "repo")], check=True, capture_output=True)
        off = run(tmp / "repo", args.rate, args.seconds)
        on = run(tmp / "repo", args.rate, args.seconds, "--prediction-log", str(tmp / "logs"),
                 "--log-sample-rate", "0.1")
        import pyarrow.dataset as ds

        logged = ds.dataset(str(tmp / "logs"), format="parquet", partitioning="hive").count_rows()
    sent = on["requests"] + int(args.rate * 1.0)  # the warm-up's requests are logged too
    sd = math.sqrt(sent * 0.1 * 0.9)
    print(f"{'logging':<10} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, s in (("off", off), ("10%", on)):
        c = s["corrected_ms"]
        print(f"{name:<10} {s['requests']:>9} {c['p50']:>8.3f} {c['p99']:>8.3f} {c['max']:>8.3f}")
    print(f"logged {logged} of ~{sent} requests: expected {0.1 * sent:.0f} +- {4 * sd:.0f} "
          f"(4 sd) -> {'within' if abs(logged - 0.1 * sent) <= 4 * sd else 'OUTSIDE'} bounds")
    res = {"rate": args.rate, "seconds": args.seconds, "off": report.public(off),
           "on": report.public(on), "logged": logged, "sent": sent, "expected": 0.1 * sent,
           "bound": 4 * sd}
    print(json.dumps(res))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
