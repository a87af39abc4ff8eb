"""`servelib monitor`: live accuracy and drift from logged predictions and observed outcomes."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from servelib.errors import InvalidInput


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "monitor", help="live accuracy and drift from logged predictions and outcomes",
        description="Join the prediction log with observed outcomes and report, per model "
                    "version and time window, regression (R2, RMSE, RMSLE, MAE) or classification "
                    "(accuracy, log loss, ROC AUC, precision, recall) metrics and per-feature "
                    "drift (PSI).")
    p.add_argument("--predictions", required=True, metavar="LOGS",
                   help="the prediction log's Parquet root (or one of its folders)")
    p.add_argument("--outcomes", required=True, metavar="FILE",
                   help="observed labels: Parquet, JSON lines or CSV")
    p.add_argument("--key", default="prediction_id",
                   help="the outcomes' column holding the prediction id (default prediction_id)")
    p.add_argument("--label", required=True, metavar="COL", help="the outcomes' label column")
    p.add_argument("--window", default="1h", help="window length: 30m, 1h, 1d (default 1h)")
    p.add_argument("--task", choices=("regression", "classification"),
                   help="default: classification when the model outputs a probability")
    p.add_argument("--reference", metavar="FILE",
                   help="rows to measure drift against (the training data; Parquet, JSON lines "
                        "or CSV); default: each model version's first window")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--charts", metavar="DIR", help="write a PNG chart per metric into DIR")
    p.add_argument("--textfile", metavar="PATH",
                   help="write the latest values in Prometheus text format (textfile collector)")
    p.add_argument("--prometheus", type=int, metavar="PORT",
                   help="serve the latest values as Prometheus gauges on 127.0.0.1:PORT/metrics "
                        "until interrupted (or --serve-seconds)")
    p.add_argument("--serve-seconds", type=float, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from servelib.monitoring import live, report

    window = live.parse_window(args.window)
    joined = live.join(live.read_table(args.predictions, "predictions"),
                       live.read_table(args.outcomes, "outcomes"), args.key, args.label)
    if joined.num_rows == 0:
        raise InvalidInput("no logged prediction has an outcome: check --key and the files")
    reference = None
    if args.reference:
        reference = live.read_table(args.reference, "reference rows").to_pylist()
    reports = live.evaluate(joined, window, args.task, reference)
    if args.json:
        json.dump(report.as_json(reports), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        report.print_table(reports, sys.stdout)
    if args.charts:
        for path in report.charts(reports, args.charts):
            print(f"servelib: wrote {path}", file=sys.stderr)
    if args.textfile or args.prometheus is not None:
        registry = report.gauges(reports)
        if args.textfile:
            from prometheus_client import write_to_textfile

            write_to_textfile(args.textfile, registry)
        if args.prometheus is not None:
            _serve(registry, args.prometheus, args.serve_seconds)
    return 0


def _serve(registry: object, port: int, seconds: float | None) -> None:
    from prometheus_client import start_http_server

    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    print(f"servelib: serving the latest values on http://127.0.0.1:{port}/metrics", file=sys.stderr)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait(seconds)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        thread.join(5)
