"""N serving processes on one gRPC port and one HTTP port (SO_REUSEPORT), under a supervisor.

Each worker is a fresh Python process (fork + exec, ``posix_spawn``) that reads its ServeConfig
as JSON on stdin, builds its own DataPlane and registry and listens with SO_REUSEPORT; the kernel
spreads connections between the workers' sockets. A bare fork of the supervisor would copy more
than gRPC's core (which the supervisor never starts): pyarrow's jemalloc runs a background
thread from import on, and forked workers were seen to hang silently at start-up (about one
start in seven under the test suite), so nothing is inherited but the environment. The
supervisor holds a bound, never-listening socket on each port, which resolves port 0 once for
all workers and keeps the port while a worker restarts. A worker that dies is started again;
SIGTERM/SIGINT is passed on to every worker, which drains, and the supervisor exits 0 once all
have exited.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import sys
import time
from dataclasses import replace

from servelib.server.app import ServeConfig, listening_socket, serve

log = logging.getLogger("servelib.workers")
RESTART_BACKOFF = 1.0  # seconds between restarts of a worker that died right after starting
MAX_QUICK_DEATHS = 5   # workers dying right after start this many times in a row: give up


WORKER_CODE = "from servelib.server.workers import worker_main; raise SystemExit(worker_main())"


def worker_main() -> int:
    """A worker process: its config arrives as JSON on stdin (the admin token stays off argv)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    config = ServeConfig(**json.loads(sys.stdin.read()))
    try:
        return asyncio.run(serve(config, reuse_port=True))
    except Exception:  # noqa: BLE001 - report, then let the supervisor decide
        log.exception("worker %d failed", os.getpid())
        return 1


def _start_worker(config: ServeConfig) -> int:
    read, write = os.pipe()
    try:
        pid = os.posix_spawn(sys.executable, [sys.executable, "-c", WORKER_CODE], os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, read, 0),
                                           (os.POSIX_SPAWN_CLOSE, write)])
    finally:
        os.close(read)
    with os.fdopen(write, "w") as pipe:
        json.dump(dataclasses.asdict(config), pipe)
    return pid


def supervise(config: ServeConfig) -> int:
    held = [listening_socket(config.host, config.grpc_port, reuse_port=True)]
    config = replace(config, grpc_port=held[0].getsockname()[1])
    if config.http_port is not None:
        held.append(listening_socket(config.host, config.http_port, reuse_port=True))
        config = replace(config, http_port=held[1].getsockname()[1])
    workers: dict[int, float] = {}  # pid -> start time
    stopping = False
    quick_deaths = 0
    failed = False

    def spawn() -> None:
        workers[_start_worker(config)] = time.monotonic()

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(workers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"servelib: supervisor {os.getpid()} starting {config.workers} workers on gRPC "
          f"{config.host}:{config.grpc_port}"
          + (f" HTTP {config.host}:{config.http_port}" if config.http_port is not None else ""),
          file=sys.stderr, flush=True)
    for _ in range(config.workers):
        spawn()
    while workers:
        pid, status = os.wait()
        started = workers.pop(pid, None)
        if started is None or stopping:
            continue
        log.warning("worker %d exited (%s); restarting", pid, _describe(status))
        quick_deaths = quick_deaths + 1 if time.monotonic() - started < RESTART_BACKOFF * 5 else 0
        if quick_deaths >= MAX_QUICK_DEATHS:  # a broken set-up, not a crash: stop restarting
            log.error("workers keep dying at start-up (%d in a row); stopping", quick_deaths)
            on_signal(signal.SIGTERM, None)
            failed = True
            continue
        if time.monotonic() - started < RESTART_BACKOFF:
            time.sleep(RESTART_BACKOFF)
        if not stopping:
            spawn()
    for sock in held:
        sock.close()
    return 1 if failed else 0


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
