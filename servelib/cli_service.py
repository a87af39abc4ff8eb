"""The service sub-commands of ``servelib``: serve, predict, lb-config.

    servelib serve --repository DIR [--grpc-port 8001] [--http-port 8000 | --no-http]
                   [--workers N] [--preload NAME ...] [--memory-budget 2G]
                   [--admin-token-file FILE] [--tls-cert F --tls-key F [--tls-client-ca F]]
    servelib predict MODEL [--address host:port[,host:port...]] [--input rows.json|-]
    servelib lb-config nginx --instances host:port,... [--listen 127.0.0.1:8080] [-o nginx.conf]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from servelib.errors import InvalidInput

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def byte_size(text: str) -> int:
    """``512M``, ``2G``, ``1048576`` -> bytes."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1:] if t[-1:] in _UNITS else ""
    try:
        return int(float(t[: len(t) - len(unit)]) * _UNITS[unit])
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 512M, 2G)") from None


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a share between 0 and 1, not {value}")
    return value


def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    from servelib.server.app import ServeConfig, run

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    if "://" not in args.repository and not Path(args.repository).is_dir():
        raise InvalidInput(f"repository {args.repository} is not a directory")
    token = None
    if args.admin_token_file:
        token = Path(args.admin_token_file).read_text().strip()
        if not token:
            raise InvalidInput(f"admin token file {args.admin_token_file} is empty")
    return run(ServeConfig(
        repository=args.repository, host=args.host, grpc_port=args.grpc_port,
        http_port=None if args.no_http else args.http_port, workers=args.workers,
        preload=[p for item in args.preload for p in item.split(",") if p],
        memory_budget=args.memory_budget, admin_token=token, poll_interval=args.poll_interval,
        max_batch=args.max_batch, max_message_bytes=args.max_message_bytes, grace=args.grace,
        tls_cert=args.tls_cert, tls_key=args.tls_key, tls_client_ca=args.tls_client_ca,
        prediction_log=args.prediction_log, log_sample_rate=args.log_sample_rate))


def read_rows(path: str) -> list[dict[str, Any]]:
    """A JSON object, a JSON array of objects, or JSON lines."""
    from servelib.jsonrows import from_json

    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
        rows = data if isinstance(data, list) else [data]
    except json.JSONDecodeError:
        try:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}: not JSON, a JSON array or JSON lines: {exc}") from exc
    if not all(isinstance(r, dict) for r in rows):
        raise InvalidInput(f"{path}: every instance must be a JSON object")
    return [{k: from_json(v) for k, v in r.items()} for r in rows]


def cmd_predict(args: argparse.Namespace) -> int:
    from servelib.jsonrows import to_json
    from servelib.client import Client, RemoteError

    rows = read_rows(args.input)
    try:
        with Client(args.address, timeout=args.timeout) as client:
            answers = client.predict(args.model, rows, version=args.version,
                                     outputs=args.outputs.split(",") if args.outputs else None)
    except RemoteError as exc:
        print(f"servelib: error: {exc}", file=sys.stderr)
        return 2
    for p in answers:
        line: dict[str, Any] = {"model": p.model, "version": p.version,
                                "prediction_id": p.prediction_id}
        if p.error is not None:
            line["error"] = p.error
        else:
            line["outputs"] = {k: to_json(v) for k, v in (p.outputs or {}).items()}
        print(json.dumps(line))
    return 0


def cmd_lb_config(args: argparse.Namespace) -> int:
    from servelib.lb import NginxConfig, nginx_config

    text = nginx_config(NginxConfig(
        instances=[a.strip() for a in args.instances.split(",") if a.strip()],
        listen=args.listen, worker_processes=args.worker_processes))
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def add_service_commands(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve a model repository over gRPC (and HTTP)")
    p.add_argument("--repository", required=True, help="<model>/<version>/ folders (path or URI)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--grpc-port", type=int, default=8001, help="default 8001; 0 picks one")
    p.add_argument("--http-port", type=int, default=8000, help="default 8000; 0 picks one")
    p.add_argument("--no-http", action="store_true", help="serve gRPC only")
    p.add_argument("--workers", type=int, default=1, help="processes sharing the ports")
    p.add_argument("--preload", action="append", default=[], metavar="NAME[:VERSION]",
                   help="models to load before reporting ready (repeat or comma-separate)")
    p.add_argument("--memory-budget", type=byte_size, default=None,
                   help="evict least recently used models above this size (e.g. 2G)")
    p.add_argument("--admin-token-file", default=None, help="file holding the admin bearer token")
    p.add_argument("--poll-interval", type=float, default=None,
                   help="seconds between repository scans for new versions/aliases")
    p.add_argument("--max-batch", type=int, default=1024, help="instances per request")
    p.add_argument("--max-message-bytes", type=byte_size, default=16 << 20,
                   help="largest gRPC message (default 16M)")
    p.add_argument("--grace", type=float, default=10.0,
                   help="seconds in-flight requests get after SIGTERM")
    p.add_argument("--tls-cert", default=None, help="PEM certificate (enables TLS)")
    p.add_argument("--tls-key", default=None, help="PEM private key")
    p.add_argument("--tls-client-ca", default=None, help="PEM CA: require client certs (mTLS)")
    p.add_argument("--prediction-log", default=None, metavar="TARGET",
                   help="log sampled predictions to a Parquet root (local path, s3://, ...) or "
                        "a Redis stream (redis://host:port/db)")
    p.add_argument("--log-sample-rate", type=_rate, default=0.0,
                   help="share of requests logged when a model's spec sets no "
                        "logging.sample_rate (default 0)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("predict", help="send instances to a server over gRPC, print JSON")
    p.add_argument("model")
    p.add_argument("--address", default="127.0.0.1:8001",
                   help="host:port, or several comma-separated (round robin)")
    p.add_argument("--input", "-i", default="-",
                   help="JSON object, array or JSON lines (default: stdin)")
    p.add_argument("--version", default=None, help="version or alias")
    p.add_argument("--outputs", default=None, help="comma-separated output columns")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("lb-config", help="write a load-balancer config sharding models")
    p.add_argument("kind", choices=["nginx"])
    p.add_argument("--instances", required=True, help="host:port,... of the gRPC listeners")
    p.add_argument("--listen", default="127.0.0.1:8080", help="where nginx listens")
    p.add_argument("--worker-processes", type=int, default=1)
    p.add_argument("--output", "-o", default=None, help="file (default: stdout)")
    p.set_defaults(func=cmd_lb_config)
