"""The prediction service under an open-loop load, next to a bare gRPC echo server, in one run.

    python benchmarks/bench_service.py [--rate 1000] [--seconds 10] [--quick]

Everything listens on 127.0.0.1 and every phase is bounded in requests and seconds. The load
generator is this process (grpc.aio, pre-serialized requests sent as bytes, so the client costs
the same for every row of the table); it schedules call i at t0 + i/rate and measures latency
from that intended send time, so a stalled server cannot hide its queueing (no coordinated
omission). Rows:

  echo        a bare grpc.aio server returning the request bytes (the floor)
  Predict     servelib.v1 Predict, the GBT pipeline fixture, one row per request
  ModelInfer  OIP ModelInfer, the same row as tensors in raw_input_contents (as tritonclient sends)
  nginx       Predict through nginx (servelib lb-config) in front of the same instance

Then the highest offered rate with p99 < 5 ms for --workers 1 and 2, and the time from
`servelib serve` to health SERVING with 20 preloaded models. Figures go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import signal
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

import numpy as np  # noqa: E402

GBT_ROW = {"x0": 0.371, "x1": 6.02, "x2": 3.0, "color": "blue"}
PREDICT = "/servelib.v1.PredictionService/Predict"
INFER = "/inference.GRPCInferenceService/ModelInfer"
ECHO = "/bench.Echo/Echo"


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


def wait_serving(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    wait_port(port, proc, timeout)
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.02)
    raise RuntimeError("server never reported SERVING")


@contextmanager
def process(cmd: list[str]) -> Iterator[subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def serve_cmd(repo: Path, port: int, workers: int = 1, preload: str = "gbt") -> list[str]:
    return [sys.executable, "-m", "servelib", "serve", "--repository", str(repo), "--grpc-port",
            str(port), "--no-http", "--workers", str(workers), "--preload", preload]


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


# ---- open-loop load ------------------------------------------------------------------------
WARMUP = 200  # calls per channel before the measurement


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


async def measured(pids: list[int], port: int, method: str, payload: bytes, rate: float,
                   seconds: float, channels: int = 1) -> dict[str, float]:
    before = cpu_seconds(pids)
    r = await open_loop(port, method, payload, rate, seconds, channels)
    calls = r["n"] + WARMUP * channels
    r["cpu_us"] = (cpu_seconds(pids) - before) / calls * 1e6
    return r

async def open_loop(port: int, method: str, payload: bytes, rate: float, seconds: float,
                    channels: int = 1, model: str = "gbt") -> dict[str, float]:
    import grpc

    options = [("grpc.use_local_subchannel_pool", 1)]  # one TCP connection per channel
    chans = [grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=options)
             for _ in range(channels)]
    calls = [c.unary_unary(method) for c in chans]
    metadata = (("x-model-id", model),)
    for call in calls:  # connect and warm up outside the measurement
        for _ in range(WARMUP):
            await call(payload, metadata=metadata, timeout=10)
    n = int(rate * seconds)
    latencies = np.full(n, np.nan)
    errors = 0

    async def one(i: int, intended: float) -> None:
        nonlocal errors
        try:
            await calls[i % channels](payload, metadata=metadata, timeout=10)
            latencies[i] = time.perf_counter() - intended
        except grpc.RpcError:
            errors += 1

    tasks = []
    t0 = time.perf_counter() + 0.05
    for i in range(n):
        intended = t0 + i / rate
        delay = intended - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(i, intended)))
    await asyncio.wait(tasks, timeout=15)  # every call has a 10 s deadline anyway
    for c in chans:
        await c.close()
    done = latencies[~np.isnan(latencies)] * 1e3
    return {"p50": float(np.percentile(done, 50)), "p99": float(np.percentile(done, 99)),
            "p999": float(np.percentile(done, 99.9)), "errors": errors + n - len(done), "n": n}


async def max_rate(port: int, payload: bytes, seconds: float, channels: int,
                   rates: list[int]) -> tuple[int, list[tuple[int, float]]]:
    """Highest rate in ``rates`` (ascending) whose p99 stays under 5 ms, and what each gave."""
    best, seen = 0, []
    for rate in rates:
        r = await open_loop(port, PREDICT, payload, rate, seconds, channels)
        seen.append((rate, r["p99"]))
        if r["p99"] >= 5.0 or r["errors"]:
            break
        best = rate
    return best, seen


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
    port = free_port()
    start = time.perf_counter()
    with process(serve_cmd(repo, port, preload=",".join(models))) as proc:
        wait_serving(port, proc, timeout=300)
        return time.perf_counter() - start


async def main() -> None:
    """One event loop for every phase: grpc.aio does not take to a new loop per phase."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="offered requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="per row of the table")
    parser.add_argument("--quick", action="store_true", help="2 s per row, fewer rates")
    args = parser.parse_args()
    seconds = 2.0 if args.quick else args.seconds
    rates = [500, 1000, 1500, 2000, 2500, 3000, 4000] if not args.quick else [1000, 2000]
    print(f"# bench_service: {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{args.rate:.0f} req/s for {seconds:.0f} s per row")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        repo = build_repository(tmp / "repo", copies=20)
        predict, infer = predict_bytes(), infer_bytes()
        rows: list[tuple[str, dict[str, float]]] = []
        echo_port = free_port()
        with process([sys.executable, __file__, "--echo-server", str(echo_port)]) as proc:
            wait_port(echo_port, proc)
            rows.append(("echo (bare grpc.aio)",
                         await measured([proc.pid], echo_port, ECHO, predict, args.rate, seconds)))
        port = free_port()
        with process(serve_cmd(repo, port)) as proc:
            wait_serving(port, proc)
            pids = [proc.pid]
            rows.append(("servelib Predict",
                         await measured(pids, port, PREDICT, predict, args.rate, seconds)))
            rows.append(("OIP ModelInfer",
                         await measured(pids, port, INFER, infer, args.rate, seconds)))
            with nginx(port, tmp) as (nginx_port, nginx_pid):
                rows.append(("Predict via nginx", await measured(
                    [*pids, nginx_pid], nginx_port, PREDICT, predict, args.rate, seconds)))
            best1, seen1 = await max_rate(port, predict, min(seconds, 3.0), 2, rates)
        port = free_port()
        with process(serve_cmd(repo, port, workers=2)) as proc:
            wait_serving(port, proc)
            await asyncio.sleep(3)  # the second worker preloads too
            best2, seen2 = await max_rate(port, predict, min(seconds, 3.0), 4, rates)
        models = [f"m{i:02d}" for i in range(20)]
        ready = ready_time(repo, models)

    print(f"\n| at {args.rate:.0f} req/s offered, open loop | p50 ms | p99 ms | p99.9 ms | errors "
          "| server CPU us/request |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['p50']:.3f} | {r['p99']:.3f} | {r['p999']:.3f} | {r['errors']} "
              f"| {r['cpu_us']:.0f} |")
    echo, pred, oip, via = (r for _, r in rows)
    print(f"\nPredict / echo: p50 {pred['p50'] / echo['p50']:.2f}x, "
          f"p99 {pred['p99'] / echo['p99']:.2f}x   (targets 1.5x, 2x)")
    print(f"ModelInfer / Predict: p50 {oip['p50'] / pred['p50']:.2f}x, "
          f"p99 {oip['p99'] / pred['p99']:.2f}x   (target 1.2x)")
    print(f"nginx - direct: p50 +{via['p50'] - pred['p50']:.3f} ms   (target +0.3 ms)")
    print(f"server CPU per request: Predict {pred['cpu_us'] / echo['cpu_us']:.2f}x echo, "
          f"ModelInfer {oip['cpu_us'] / pred['cpu_us']:.2f}x Predict, nginx adds "
          f"{via['cpu_us'] - pred['cpu_us']:.0f} us")
    for workers, best, seen in ((1, best1, seen1), (2, best2, seen2)):
        steps = ", ".join(f"{r}/s: {p:.2f}" for r, p in seen)
        print(f"--workers {workers}: highest rate with p99 < 5 ms: {best} req/s  (p99 ms at {steps})")
    print(f"serve -> SERVING with 20 preloaded models: {ready:.2f} s")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--echo-server":
        echo_server(int(sys.argv[2]))
    else:
        asyncio.run(main())
