"""`servelib bench`: load-test a servelib (or any OIP) deployment at a fixed offered rate.

    servelib bench 127.0.0.1:8001 --model fraud --rows rows.parquet --rate 1000 --seconds 10
    servelib bench 127.0.0.1:8080 --model fraud --rows rows.jsonl --protocol oip --sweep 500:5000:500
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench", help="open-loop gRPC load test at a fixed offered rate",
        description="Send requests built from real rows at a fixed offered rate (open loop; "
                    "latency from the intended send time) and report percentiles, errors by "
                    "status and whether the generator kept up.")
    p.add_argument("target", metavar="HOST:PORT", help="the server (or load balancer) to load")
    p.add_argument("--model", required=True, help="model name (also sent as x-model-id)")
    p.add_argument("--version", default=None, help="version or alias (default: the model's)")
    p.add_argument("--rows", required=True, metavar="FILE",
                   help="requests' rows: Parquet or JSON lines (sent in turn, round robin)")
    p.add_argument("--protocol", choices=("v1", "oip"), default="v1",
                   help="servelib.v1 Predict or OIP ModelInfer (default v1)")
    p.add_argument("--batch", type=int, default=1, help="rows per request (default 1)")
    p.add_argument("--rate", type=float, default=100.0, help="offered requests per second")
    p.add_argument("--seconds", type=float, default=10.0, help="measured duration (default 10)")
    p.add_argument("--warmup", type=float, default=1.0, help="unrecorded warm-up seconds")
    p.add_argument("--arrivals", choices=("constant", "poisson"), default="constant")
    p.add_argument("--processes", type=int, default=1,
                   help="client processes sharing the rate (default 1)")
    p.add_argument("--timeout", type=float, default=5.0, help="per-request deadline, seconds")
    p.add_argument("--max-requests", type=int, default=1_000_000,
                   help="stop after this many requests whatever the duration")
    p.add_argument("--sweep", metavar="START:STOP:STEP",
                   help="raise the rate step by step; report the highest with p99 under --slo-ms")
    p.add_argument("--slo-ms", type=float, default=5.0, help="p99 objective for --sweep")
    p.add_argument("--max-lag-ms", type=float, default=1.0,
                   help="the generator sending later than this at p99 marks a run "
                        "generator-bound (default 1 ms)")
    p.add_argument("--json", metavar="FILE", help="write the figures as JSON ('-' for stdout)")
    p.add_argument("--plots", metavar="DIR", help="write PNG plots into DIR")
    p.set_defaults(func=run, check=_check)


def _check(args: argparse.Namespace) -> str | None:
    if args.rate <= 0 or args.seconds <= 0 or args.batch < 1 or args.processes < 1:
        return "--rate, --seconds, --batch and --processes must be positive"
    if args.sweep:
        try:
            start, stop, step = (float(x) for x in args.sweep.split(":"))
        except ValueError:
            return f"--sweep must be START:STOP:STEP, not {args.sweep!r}"
        if not 0 < start <= stop or step <= 0:
            return "--sweep needs 0 < START <= STOP and STEP > 0"
    return None


def run(args: argparse.Namespace) -> int:
    from servelib.bench import loadgen, payloads, report

    rows = payloads.read_rows(args.rows)
    build = payloads.infer_payloads if args.protocol == "oip" else payloads.predict_payloads
    method = payloads.INFER if args.protocol == "oip" else payloads.PREDICT
    bodies = build(args.model, args.version, rows, args.batch)
    rates = [args.rate]
    if args.sweep:
        start, stop, step = (float(x) for x in args.sweep.split(":"))
        rates = [start + i * step for i in range(int((stop - start) / step) + 1)]
    results = []
    for rate in rates:
        plan = loadgen.Plan(args.target, method, bodies, rate, args.seconds, args.warmup,
                            args.arrivals, timeout=args.timeout,
                            metadata=(("x-model-id", args.model),), max_requests=args.max_requests)
        try:
            summary = report.merge(loadgen.run_processes(plan, args.processes), args.max_lag_ms)
        except ConnectionError as exc:
            from servelib.errors import ModelUnavailable

            raise ModelUnavailable(str(exc)) from exc
        results.append(summary)
        report.print_table([summary], sys.stdout)
        sys.stdout.flush()
    best = None
    if args.sweep:
        ok = [s for s in results if s["corrected_ms"]["p99"] <= args.slo_ms and not s["errors"]
              and not s["generator_bound"]]
        best = max((s["offered_rate"] for s in ok), default=None)
        print(f"highest rate with p99 <= {args.slo_ms:g} ms and no errors: "
              f"{'none' if best is None else f'{best:.0f} req/s'}")
    if args.plots:
        os.makedirs(args.plots, exist_ok=True)
        report.plot_spectrum(results[-1] if best is None else
                             next(s for s in results if s["offered_rate"] == best),
                             os.path.join(args.plots, "latency_spectrum.png"))
        if args.sweep:
            report.plot_sweep(results, args.slo_ms, os.path.join(args.plots, "latency_vs_rate.png"))
    if args.json:
        doc = {"target": args.target, "model": args.model, "protocol": args.protocol,
               "runs": [report.public(s) for s in results], "sweep_best_rate": best}
        if args.json == "-":
            json.dump(doc, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=2)
    return 0
