"""servelib behind a REAL nginx: models sharded over 3 instances by ``x-model-id``; one instance
SIGKILLed during a bounded load moves its models to the survivors, which load them lazily.

nginx comes from Debian (scripts/test.sh installs it); everything listens on loopback ports
picked here.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from servelib.client import Client, RemoteError
from servelib.lb import NginxConfig, nginx_config
from tests.server.grpc.conftest import FIXTURES, FRAUD_ROW, GBT_ROW
from tests.server.serving import serve

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed "
                                "(scripts/test.sh installs it: apt-get install nginx-light)")
MODELS = 21
THREADS = 6  # even ones without retries
REQUESTS = 900  # bounded load, shared by the threads


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def model_row(i: int) -> tuple[str, dict]:
    return f"m{i:02d}", (FRAUD_ROW if i % 3 else GBT_ROW)


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    for i in range(MODELS):
        case = "demo_lr_pipeline" if i % 3 else "tree_gbt_onehot_pipeline"
        shutil.copytree(FIXTURES / case / "model", root / model_row(i)[0] / "1")
    return root


def start_nginx(tmp: Path, instances: list[str]) -> tuple[subprocess.Popen, str]:
    listen = f"127.0.0.1:{free_port()}"
    (tmp / "temp").mkdir()
    conf = tmp / "nginx.conf"
    conf.write_text(nginx_config(NginxConfig(
        instances=instances, listen=listen, pid=str(tmp / "nginx.pid"),
        error_log=str(tmp / "error.log"), temp_dir=str(tmp / "temp"))))
    proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"],
                            stderr=subprocess.PIPE, text=True)
    host, port = listen.split(":")
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            return proc, listen
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {proc.stderr.read()}") from None
            time.sleep(0.05)


def loaded(address: str) -> set[str]:
    with Client(address) as c:
        return {m["name"] for m in c.list_models() if m["state"] == "AVAILABLE"}


def test_sharding_and_failover_behind_nginx(repository: Path, tmp_path: Path) -> None:
    with ExitStack() as stack:
        instances = [stack.enter_context(serve(repository, "--no-http")) for _ in range(3)]
        nginx, listen = start_nginx(tmp_path, [s.address for s in instances])
        stack.callback(lambda: (nginx.send_signal(signal.SIGQUIT), nginx.wait(10)))

        # 1. every model's requests land on one instance
        with Client(listen, timeout=30) as client:
            for _ in range(2):
                for i in range(MODELS):
                    name, row = model_row(i)
                    assert client.predict(name, [row])[0].error is None
        homes = [loaded(s.address) for s in instances]
        assert sum(len(h) for h in homes) == MODELS
        assert set().union(*homes) == {model_row(i)[0] for i in range(MODELS)}
        assert sum(bool(h) for h in homes) >= 2, f"hashing sent every model to one place: {homes}"

        # 2. SIGKILL the busiest instance during a bounded load
        victim = max(range(3), key=lambda k: len(homes[k]))
        done, failures, lock = [0], [], threading.Lock()
        killed_at = [float("inf")]

        def worker(offset: int) -> None:
            # odd threads use the client's default retries, even ones count raw failures
            with Client(listen, timeout=30, retries=2 if offset % 2 else 0) as client:
                for n in range(offset, REQUESTS, THREADS):
                    name, row = model_row(n % MODELS)
                    try:
                        assert client.predict(name, [row])[0].error is None
                    except RemoteError as exc:
                        with lock:
                            failures.append((time.monotonic() - killed_at[0],
                                             f"thread {offset} {name}: {exc}"))
                    with lock:
                        done[0] += 1

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
        for t in threads:
            t.start()
        while done[0] < REQUESTS // 3:
            time.sleep(0.01)
        killed_at[0] = time.monotonic()
        instances[victim].proc.send_signal(signal.SIGKILL)
        for t in threads:
            t.join(120)
        survivors = [s for k, s in enumerate(instances) if k != victim]
        moved = set().union(*(loaded(s.address) for s in survivors))
        print(f"\nnginx failover: {REQUESTS} requests, {len(failures)} failed, all within "
              f"{max((t for t, _ in failures), default=0) * 1000:.0f} ms of the SIGKILL: "
              f"{[f for _, f in failures]}")

    assert done[0] == REQUESTS
    # Only calls nginx had already forwarded to the victim fail (gRPC request bodies go upstream
    # unbuffered, so nginx cannot re-send them): one per client thread at most, all right at the
    # kill; once nginx sees the instance gone it routes its models to the survivors. A client
    # with retries (the default) sends such a call again and sees no failure at all.
    assert len(failures) <= THREADS // 2, failures
    assert all(0 <= t < 1.0 for t, _ in failures), failures
    assert not [f for _, f in failures if int(f.split()[1]) % 2], failures
    assert moved == {model_row(i)[0] for i in range(MODELS)}, "survivors did not take over"
