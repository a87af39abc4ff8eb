"""``servelib serve`` as real processes: drain on SIGTERM, N workers on one port, restarts."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("grpc")

import grpc  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

from servelib.client import Client, RemoteError  # noqa: E402
from tests.server.grpc.conftest import FRAUD_ROW, GBT_ROW, make_repository  # noqa: E402
from tests.server.serving import serve  # noqa: E402


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repository(tmp_path_factory.mktemp("repo"))


def test_sigterm_drains_in_flight_requests_then_exits_0(repository: Path) -> None:
    with serve(repository, "--no-http", "--grace", "10") as served:
        with grpc.insecure_channel(served.address) as channel:
            watch = health_pb2_grpc.HealthStub(channel).Watch(
                health_pb2.HealthCheckRequest(service=""), timeout=30)
            assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
            answers: list = []
            client = Client(served.address, timeout=20)
            client.list_models()  # connected before the drain starts
            # gbt is not loaded yet: the first request loads it (~1 s), in flight at SIGTERM
            request = threading.Thread(target=lambda: answers.append(
                client.predict("gbt", [GBT_ROW] * 50)))
            request.start()
            poll(lambda: answers or _state(client, "gbt") == "LOADING", 60, "gbt to load")
            served.proc.send_signal(signal.SIGTERM)
            assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
            request.join(60)
            client.close()
        assert served.proc.wait(60) == 0
        assert len(answers) == 1 and all(p.error is None for p in answers[0])
        with Client(served.address, timeout=2) as client, pytest.raises(RemoteError) as err:
            client.predict("fraud", [FRAUD_ROW])
        assert err.value.code == "UNAVAILABLE"


def test_two_workers_share_the_port_and_a_killed_worker_comes_back(repository: Path) -> None:
    with serve(repository, "--no-http", workers=2) as served:
        first = served.workers()
        assert len(first) == 2
        # kill one worker while it may be loading: the supervisor starts another
        threading.Thread(target=_swallow(lambda: Client(served.address, timeout=10).predict(
            "gbt", [GBT_ROW])), daemon=True).start()
        os.kill(first[0], signal.SIGKILL)
        # the replacement has started once the supervisor logged the restart and the new
        # worker its "serving" line (a loaded machine may take many seconds: poll, bounded)
        poll(lambda: len(served.workers()) == 2 and first[0] not in served.workers()
             and _serving_lines(served) >= 3, 120, "the worker to be replaced")
        for _ in range(20):  # fresh connections land on either worker: both answer
            with Client(served.address, timeout=30) as client:
                assert client.predict("fraud", [FRAUD_ROW])[0].error is None
        children = served.workers()
        served.proc.send_signal(signal.SIGTERM)
        assert served.proc.wait(60) == 0
        for pid in children:
            assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
        assert any("restarting" in line for line in served.log)


def poll(done, timeout: float, what: str) -> None:
    """Wait until ``done()``, checking every 20 ms, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.02)


def _state(client: Client, model: str) -> str | None:
    return next((m["state"] for m in client.list_models() if m["name"] == model), None)


def _serving_lines(served) -> int:
    return sum("servelib: serving" in line for line in list(served.log))


def _swallow(fn):
    def run() -> None:
        try:
            fn()
        except RemoteError:
            pass
    return run


def test_supervisor_gives_up_on_workers_that_die_at_start(monkeypatch, tmp_path: Path) -> None:
    from servelib.server import workers
    from servelib.server.app import ServeConfig

    monkeypatch.setattr(workers, "WORKER_CODE", "raise SystemExit(1)")
    monkeypatch.setattr(workers, "RESTART_BACKOFF", 0.05)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        status = workers.supervise(ServeConfig(repository=str(tmp_path), grpc_port=0,
                                               http_port=None, workers=2))
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert status == 1


def test_grpc_and_http_in_one_process(repository: Path) -> None:
    import httpx

    with serve(repository, "--http-port", "0") as served:
        assert served.http_port is not None
        ready = httpx.get(f"http://127.0.0.1:{served.http_port}/v2/health/ready", timeout=10)
        assert ready.status_code == 200
        with Client(served.address) as client:
            assert client.predict("fraud", [FRAUD_ROW])[0].error is None
