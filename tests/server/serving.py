"""Start ``servelib serve`` as a real process for a test, and always stop it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PORTS = re.compile(r"gRPC [\d.]+:(\d+)(?: HTTP [\d.]+:(\d+))?")


@dataclass
class Served:
    proc: subprocess.Popen
    grpc_port: int
    http_port: int | None
    log: list[str] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def workers(self) -> list[int]:
        """Child pids (for a supervisor)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []


def _wait_for(predicate, timeout: float, what: str, log: list[str]) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}; its log: {''.join(log)}")
        time.sleep(0.05)


@contextmanager
def serve(repository: Path, *args: str, workers: int = 1, timeout: float = 120.0
          ) -> Iterator[Served]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "servelib", "serve", "--repository", str(repository),
           "--grpc-port", "0", "--workers", str(workers), *args]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env=env, start_new_session=True)
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(iter(proc.stderr.readline, "")),
                              daemon=True)
    reader.start()
    try:
        _wait_for(lambda: sum("servelib: serving" in line for line in log) >= workers
                  or proc.poll() is not None, timeout, "the server to start", log)
        if proc.poll() is not None:
            raise RuntimeError(f"servelib serve exited {proc.returncode}: {''.join(log)}")
        match = next(m for line in log if (m := _PORTS.search(line)))
        yield Served(proc, int(match.group(1)),
                     int(match.group(2)) if match.group(2) else None, log)
    finally:
        stop(proc)
        reader.join(5)


def stop(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM (a server drains), then SIGKILL to its whole session after ``grace`` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
