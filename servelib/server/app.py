"""One serving process: the DataPlane, the gRPC server and the HTTP app on one event loop.

SIGTERM (or SIGINT) drains: the DataPlane stops admitting requests, gRPC health turns
NOT_SERVING, both servers refuse new calls, in-flight ones get ``grace`` seconds to finish, and
the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("servelib.serve")


@dataclass(frozen=True)
class ServeConfig:
    repository: str
    host: str = "127.0.0.1"
    grpc_port: int = 8001
    http_port: int | None = 8000          # None: no HTTP server
    workers: int = 1
    preload: Sequence[str] = ()
    memory_budget: int | None = None
    admin_token: str | None = None
    poll_interval: float | None = None
    max_batch: int = 1024
    max_message_bytes: int = 16 * 1024 * 1024
    grace: float = 10.0                   # seconds in-flight requests get once draining starts
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_client_ca: str | None = None
    prediction_log: str | None = None     # Parquet root or redis:// URL (servelib/monitoring)
    log_sample_rate: float = 0.0


def listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    """A bound TCP socket; with ``reuse_port`` several processes share the port (the kernel
    spreads connections between them)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit it: without it uvicorn's header and body writes meet Nagle's
    # algorithm and the client's delayed ACK, ~40 ms per HTTP response (benchmarks/bench_service)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _uvicorn_server(app: Any, grace: float) -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:  # this process installs its own handlers
            yield

    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=int(grace) or 1,
                            lifespan="off", access_log=False)
    return Server(config)


async def serve(config: ServeConfig, *, reuse_port: bool = False) -> int:
    """Run until SIGTERM/SIGINT, then drain; returns the exit status."""
    from servelib.registry.registry import settle_heap
    from servelib.server.dataplane import build_dataplane
    from servelib.server.grpc import GrpcConfig, start_grpc_server

    stop = asyncio.Event()  # a SIGTERM during start-up drains right after it
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    dataplane = build_dataplane(
        config.repository, preload=config.preload, memory_budget=config.memory_budget,
        admin_token=config.admin_token, poll_interval=config.poll_interval,
        max_batch=config.max_batch, prediction_log=config.prediction_log,
        log_sample_rate=config.log_sample_rate)
    grpc_server = await start_grpc_server(dataplane, GrpcConfig(
        host=config.host, port=config.grpc_port, max_message_bytes=config.max_message_bytes,
        reuse_port=reuse_port, tls_cert=config.tls_cert, tls_key=config.tls_key,
        tls_client_ca=config.tls_client_ca))
    problems = await dataplane.start()  # preloads; health says NOT_SERVING until done
    for entry, problem in problems.items():
        print(f"servelib: preload {entry} failed: {problem}", file=sys.stderr, flush=True)
    settle_heap()  # before serving: no full collector pass over the preloaded heap mid-request
    await grpc_server.serving()
    http_task = http_server = None
    http_port = None
    if config.http_port is not None:
        from servelib.server.http import create_app

        sock = listening_socket(config.host, config.http_port, reuse_port)
        http_port = sock.getsockname()[1]
        http_server = _uvicorn_server(create_app(dataplane), config.grace)
        http_task = asyncio.create_task(http_server.serve(sockets=[sock]))
        # the socket listens only once uvicorn has started: "serving" below means both servers
        # accept connections (a client reading it met "connection refused" on HTTP before)
        while not http_server.started and not http_task.done():
            await asyncio.sleep(0.005)
        if not http_server.started:
            http_task.result()  # uvicorn's own error
            raise RuntimeError("the HTTP server stopped before it started")

    print(f"servelib: serving {config.repository} gRPC {config.host}:{grpc_server.port}"
          + (f" HTTP {config.host}:{http_port}" if http_port is not None else ""),
          file=sys.stderr, flush=True)
    await stop.wait()

    log.info("draining (grace %.1fs)", config.grace)
    dataplane.drain()
    if http_server is not None:
        http_server.should_exit = True
    await grpc_server.drain(config.grace)  # refuses new calls, waits for in-flight ones
    await dataplane.wait_idle(config.grace)
    if http_task is not None:
        await http_task
    await dataplane.close()
    return 0


def run(config: ServeConfig) -> int:
    """``servelib serve``: one process in place, or a supervisor over ``workers`` processes."""
    if config.workers > 1:
        from servelib.server.workers import supervise

        return supervise(config)
    return asyncio.run(serve(config))


__all__ = ["ServeConfig", "listening_socket", "run", "serve"]
