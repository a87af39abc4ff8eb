"""N serving processes on one gRPC port and one HTTP port (SO_REUSEPORT), under a supervisor.

The supervisor forks the workers before any gRPC object exists (gRPC's core does not survive a
fork), each worker builds its own DataPlane and registry, and the kernel spreads connections
between the workers' listening sockets. The supervisor holds a bound, never-listening socket on
each port, which resolves port 0 once for all workers and keeps the port while a worker restarts.
A worker that dies is forked again; SIGTERM/SIGINT is passed on to every worker, which drains,
and the supervisor exits 0 once all have exited.
"""

from __future__ import annotations

import asyncio
import contextlib
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


def _worker(config: ServeConfig) -> int:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
    try:
        return asyncio.run(serve(config, reuse_port=True))
    except Exception:  # noqa: BLE001 - report, then let the supervisor decide
        log.exception("worker %d failed", os.getpid())
        return 1


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
        pid = os.fork()
        if pid == 0:
            for sock in held:
                sock.close()
            os._exit(_worker(config))
        workers[pid] = time.monotonic()

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
