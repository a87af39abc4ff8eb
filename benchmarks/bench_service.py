"""The prediction service under an open-loop load, next to bare gRPC and HTTP echo servers, in
one run.

    python benchmarks/bench_service.py [--rate 1000] [--seconds 10] [--quick] [--json OUT]

Everything listens on 127.0.0.1 and every phase is bounded in requests and seconds. The load
generator is this process (benchmarks/harness/openloop.py: pre-serialized gRPC bytes, or a
pre-built HTTP/1.1 request on keep-alive connections, so the client costs the same for every row
of the table); it schedules call i at t0 + i/rate and measures latency from that intended send
time, so a stalled server cannot hide its queueing (no coordinated omission). Rows:

  echo          a bare grpc.aio server returning the request bytes (the floor)
  HTTP echo     a bare Starlette app on uvicorn returning the request body (the HTTP floor)
  Predict       servelib.v1 Predict, the GBT pipeline fixture, one row per request
  ModelInfer    OIP ModelInfer, the same row as tensors in raw_input_contents (as tritonclient
                sends them)
  HTTP predict  POST /v1/models/gbt:predict, the same row as JSON, same instance
  nginx         Predict through nginx (servelib lb-config) in front of the same instance

Then the highest offered rate with p99 < 5 ms for --workers 1 and 2, and the time from
`servelib serve` to ready (its "serving" line, after the preloads) with 20 preloaded models.
``--json`` writes every figure, with each row's latency spectrum, for benchmarks/run_all.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness.openloop import GrpcCaller, HttpCaller, open_loop  # noqa: E402
from tests.server.serving import serve, stop  # noqa: E402

GBT_ROW = {"x0": 0.371, "x1": 6.02, "x2": 3.0, "color": "blue"}
PREDICT = "/servelib.v1.PredictionService/Predict"
INFER = "/inference.GRPCInferenceService/ModelInfer"
ECHO = "/bench.Echo/Echo"
HTTP_PREDICT = "/v1/models/gbt:predict"
HTTP_ECHO = "/echo"
LABELS = {"echo": "echo (bare grpc.aio)", "http_echo": "HTTP echo (bare Starlette on uvicorn)",
          "predict": "servelib Predict (gRPC)", "infer": "OIP ModelInfer (gRPC)",
          "http_predict": "servelib HTTP predict (POST /v1/models/gbt:predict)",
          "nginx": "Predict via nginx"}


# ---- servers -------------------------------------------------------------------------------
def echo_server(port: int) -> None:
    """Run in a child process: the floor, a grpc.aio unary handler that returns its bytes."""
    import grpc

    async def echo(request: bytes, context: object) -> bytes:
        return request

    async def main() -> None:
        server = grpc.aio.server()
        handler = grpc.unary_unary_rpc_method_handler(echo)
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
            "bench.Echo", {"Echo": handler}),))
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        await server.wait_for_termination()

    asyncio.run(main())


def http_echo_server(port: int) -> None:
    """Run in a child process: the HTTP floor, with uvicorn's defaults as servelib runs it."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def echo(request: Request) -> Response:
        return Response(await request.body(), media_type="application/json")

    app = Starlette(routes=[Route(HTTP_ECHO, echo, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                lifespan="off")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{proc.args} did not start") from None
            time.sleep(0.02)


@contextmanager
def process(cmd: list[str]) -> Iterator[subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        yield proc
    finally:
        stop(proc)


@contextmanager
def nginx(upstream: int, tmp: Path) -> Iterator[tuple[int, int]]:
    from servelib.lb import NginxConfig, nginx_config

    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    (tmp / "ngx-temp").mkdir(exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(nginx_config(NginxConfig(
        [f"127.0.0.1:{upstream}"], listen=f"127.0.0.1:{port}", pid=str(tmp / "nginx.pid"),
        error_log=str(tmp / "nginx.err"), temp_dir=str(tmp / "ngx-temp"))))
    with process([binary, "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"]) as proc:
        wait_port(port, proc)
        yield port, proc.pid


# ---- requests ------------------------------------------------------------------------------
def predict_bytes() -> bytes:
    from servelib.server.grpc.gen import prediction_pb2 as pb
    from servelib.server.grpc.values import to_value

    request = pb.PredictRequest(model="gbt")
    instance = request.instances.add()
    for column, value in GBT_ROW.items():
        to_value(value, instance.features[column], column)
    return request.SerializeToString()


def infer_bytes() -> bytes:
    """What tritonclient sends: one [1] tensor per input, raw little-endian contents."""
    from servelib.server.grpc.gen import grpc_service_pb2 as pb

    request = pb.ModelInferRequest(model_name="gbt")
    for column, value in GBT_ROW.items():
        if isinstance(value, str):
            request.inputs.add(name=column, datatype="BYTES", shape=[1])
            request.raw_input_contents.append(struct.pack("<I", len(value)) + value.encode())
        else:
            request.inputs.add(name=column, datatype="FP64", shape=[1])
            request.raw_input_contents.append(struct.pack("<d", value))
    return request.SerializeToString()


# ---- measurements -------------------------------------------------------------------------
def http_body() -> bytes:
    return json.dumps({"instances": [GBT_ROW]}).encode()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes and their children (workers), from /proc.
    CPU per request is the figure a busy shared machine disturbs least."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in pids:
        children = Path(f"/proc/{pid}/task/{pid}/children")
        kids = [int(k) for k in children.read_text().split()] if children.exists() else []
        for p in (pid, *kids):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


async def measured(pids: list[int], caller: GrpcCaller | HttpCaller, rate: float,
                   seconds: float) -> dict:
    """The open loop's figures plus the servers' CPU per request (warm-up calls included)."""
    before = cpu_seconds(pids)
    r = await open_loop(caller, rate, seconds)
    r["cpu_us"] = (cpu_seconds(pids) - before) / (r["n"] + r["warmup"]) * 1e6
    return r


async def max_rate(port: int, payload: bytes, seconds: float, channels: int,
                   rates: list[int]) -> dict:
    """Highest rate in ``rates`` (ascending) whose p99 stays under 5 ms, and what each gave."""
    best, seen = 0, []
    for rate in rates:
        r = await open_loop(GrpcCaller(port, PREDICT, payload, channels), rate, seconds)
        seen.append([rate, r["p99"]])
        if not r["p99"] < 5.0 or r["errors"]:
            break
        best = rate
    return {"best": best, "steps": seen}


# ---- phases --------------------------------------------------------------------------------
def build_repository(root: Path, copies: int = 0) -> Path:
    sys.path.insert(0, str(ROOT / "scripts"))
    import make_demo_repository

    make_demo_repository.build(root)
    for i in range(copies):  # 20 models for the start-up figure: alternate LR and GBT
        source = root / ("gbt" if i % 2 else "demo") / "1"
        shutil.copytree(source, root / f"m{i:02d}" / "1")
    return root


def ready_time(repo: Path, models: list[str]) -> float:
    """Seconds from starting `servelib serve` to its "serving" line (printed after the
    preloads; the line is polled every 50 ms)."""
    start = time.perf_counter()
    with serve(repo, "--no-http", "--preload", ",".join(models), timeout=300):
        return time.perf_counter() - start


async def floors(args: argparse.Namespace, predict: bytes) -> dict[str, dict]:
    rows = {}
    port = free_port()
    with process([sys.executable, __file__, "--echo-server", str(port)]) as proc:
        wait_port(port, proc)
        rows["echo"] = await measured([proc.pid], GrpcCaller(port, ECHO, predict), args.rate,
                                      args.seconds)
    port = free_port()
    with process([sys.executable, __file__, "--http-echo-server", str(port)]) as proc:
        wait_port(port, proc)
        rows["http_echo"] = await measured([proc.pid], HttpCaller(port, HTTP_ECHO, http_body()),
                                           args.rate, args.seconds)
    return rows


async def main(args: argparse.Namespace) -> dict:
    """One event loop for every phase: grpc.aio does not take to a new loop per phase."""
    rates = [500, 1000, 1500, 2000, 2500, 3000, 4000] if not args.quick else [1000, 2000]
    sweep_seconds = min(args.seconds, 3.0)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        repo = build_repository(tmp / "repo", copies=20)
        predict, infer = predict_bytes(), infer_bytes()
        rows = await floors(args, predict)
        with serve(repo, "--http-port", "0", "--preload", "gbt") as served:
            port, pids = served.grpc_port, [served.proc.pid]
            rows["predict"] = await measured(pids, GrpcCaller(port, PREDICT, predict),
                                             args.rate, args.seconds)
            rows["infer"] = await measured(pids, GrpcCaller(port, INFER, infer), args.rate,
                                           args.seconds)
            rows["http_predict"] = await measured(
                pids, HttpCaller(served.http_port, HTTP_PREDICT, http_body()), args.rate,
                args.seconds)
            with nginx(port, tmp) as (nginx_port, nginx_pid):
                rows["nginx"] = await measured([*pids, nginx_pid],
                                               GrpcCaller(nginx_port, PREDICT, predict),
                                               args.rate, args.seconds)
            sweep = {"1": await max_rate(port, predict, sweep_seconds, 2, rates)}
        with serve(repo, "--no-http", "--preload", "gbt", workers=2) as served:
            sweep["2"] = await max_rate(served.grpc_port, predict, sweep_seconds, 4, rates)
        models = [f"m{i:02d}" for i in range(20)]
        ready = ready_time(repo, models)
    for key, r in rows.items():
        r["label"] = LABELS[key]
    return {"rate": args.rate, "seconds": args.seconds, "sweep_seconds": sweep_seconds,
            "rows": rows, "max_rate": sweep, "ready_s": ready, "ready_models": len(models)}


def report(res: dict) -> None:
    rows = res["rows"]
    print(f"\n| at {res['rate']:.0f} req/s offered, open loop | p50 ms | p99 ms | p99.9 ms "
          "| errors | server CPU us/request |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows.values():
        print(f"| {r['label']} | {r['p50']:.3f} | {r['p99']:.3f} | {r['p999']:.3f} "
              f"| {r['errors']} | {r['cpu_us']:.0f} |")
    echo, pred, oip, via = rows["echo"], rows["predict"], rows["infer"], rows["nginx"]
    http, http_echo = rows["http_predict"], rows["http_echo"]
    print(f"\nPredict / echo: p50 {pred['p50'] / echo['p50']:.2f}x, "
          f"p99 {pred['p99'] / echo['p99']:.2f}x   (targets 1.5x, 2x)")
    print(f"ModelInfer / Predict: p50 {oip['p50'] / pred['p50']:.2f}x, "
          f"p99 {oip['p99'] / pred['p99']:.2f}x   (target 1.2x)")
    print(f"nginx - direct: p50 {via['p50'] - pred['p50']:+.3f} ms   (target +0.3 ms)")
    print(f"HTTP predict / HTTP echo: p50 {http['p50'] / http_echo['p50']:.2f}x, p99 "
          f"{http['p99'] / http_echo['p99']:.2f}x; / gRPC echo: p50 "
          f"{http['p50'] / echo['p50']:.2f}x, p99 {http['p99'] / echo['p99']:.2f}x")
    print(f"server CPU per request: Predict {pred['cpu_us'] / echo['cpu_us']:.2f}x echo, "
          f"ModelInfer {oip['cpu_us'] / pred['cpu_us']:.2f}x Predict, nginx adds "
          f"{via['cpu_us'] - pred['cpu_us']:.0f} us")
    for workers, s in res["max_rate"].items():
        steps = ", ".join(f"{r}/s: {p:.2f}" for r, p in s["steps"])
        print(f"--workers {workers}: highest rate with p99 < 5 ms: {s['best']} req/s  "
              f"(p99 ms at {steps})")
    print(f"serve -> ready with {res['ready_models']} preloaded models: {res['ready_s']:.2f} s")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="offered requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="per row of the table")
    parser.add_argument("--quick", action="store_true", help="2 s per row, fewer rates")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 2.0
    print(f"# bench_service: {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{args.rate:.0f} req/s for {args.seconds:.0f} s per row", flush=True)
    res = asyncio.run(main(args))
    report(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--echo-server":
        echo_server(int(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--http-echo-server":
        http_echo_server(int(sys.argv[2]))
    else:
        cli()
