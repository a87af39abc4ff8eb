"""Real servers for integration tests, on loopback ports the test picks (redis-server from
Debian's package; scripts/test.sh installs it). Skips with the reason when the binary is absent
(a user's machine); in CI (CI=true) a missing binary is a failure instead."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need(binary: str) -> str:
    path = shutil.which(binary) or (f"/usr/sbin/{binary}" if os.path.exists(f"/usr/sbin/{binary}") else None)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{binary} is not installed (scripts/test.sh installs it)")
        pytest.skip(f"{binary} is not installed: apt-get install {binary} (scripts/test.sh does)")
    return path


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextlib.contextmanager
def redis_server(port: int | None = None) -> Iterator[tuple[subprocess.Popen, int]]:
    binary = need("redis-server")
    port = port or free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield proc, port
    finally:
        proc.kill()
        proc.wait(10)


CASSANDRA_HOME = Path(__file__).resolve().parents[2] / "shared" / "cassandra"


@contextlib.contextmanager
def cassandra_server(data_dir: Path) -> Iterator[tuple[str, int, Callable[[], None] | None]]:
    """(host, port, stop) of a Cassandra for tests: SERVELIB_TEST_CASSANDRA=host:port when set
    (stop is None: not ours to stop), else the real Cassandra 4.0 in ../shared/cassandra started
    on a free loopback port; skips with the reason when neither is there (a user's machine)."""
    given = os.environ.get("SERVELIB_TEST_CASSANDRA")
    if given:
        host, _, port = given.rpartition(":")
        yield host or "127.0.0.1", int(port), None
        return
    start = CASSANDRA_HOME / "start.sh"
    if not start.exists():
        pytest.skip(f"no Cassandra: set SERVELIB_TEST_CASSANDRA=host:port or provide {start}")
    need("java")
    port = free_port()
    while any(_busy(p) for p in (port + 1, port + 2)):
        port = free_port()
    proc = subprocess.run(["bash", str(start), str(port), str(data_dir)], capture_output=True,
                          text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"Cassandra did not start: {proc.stderr[-2000:]}")

    def stop() -> None:
        subprocess.run(["bash", str(CASSANDRA_HOME / "stop.sh"), str(data_dir)],
                       capture_output=True, timeout=120)

    try:
        yield "127.0.0.1", port, stop
    finally:
        stop()


def _busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
