"""servelib.client (x-model-id, round_robin), `servelib predict` and `servelib lb-config`."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("grpc")

from servelib.cli import main  # noqa: E402
from servelib.client import Client, _target  # noqa: E402
from servelib.lb import NginxConfig, nginx_config  # noqa: E402
from tests.server.grpc.conftest import FRAUD_ROW, make_repository  # noqa: E402


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two gRPC servers, each with its own DataPlane, on one event loop in a thread."""
    from servelib.server.dataplane import build_dataplane
    from servelib.server.grpc import GrpcConfig, start_grpc_server

    repo = make_repository(tmp_path_factory.mktemp("repo"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> tuple:
        plane = build_dataplane(str(repo))
        await plane.start()
        server = await start_grpc_server(plane, GrpcConfig(port=0))
        await server.serving()
        return plane, server

    started = [asyncio.run_coroutine_threadsafe(start(), loop).result(30) for _ in range(2)]
    try:
        yield [f"127.0.0.1:{server.port}" for _, server in started]
    finally:
        for plane, server in started:
            asyncio.run_coroutine_threadsafe(server.server.stop(0), loop).result(10)
            asyncio.run_coroutine_threadsafe(plane.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_targets() -> None:
    assert _target("127.0.0.1:1") == ("127.0.0.1:1", [])
    target, options = _target("127.0.0.1:1, localhost:2")
    assert target == "ipv4:127.0.0.1:1,127.0.0.1:2"
    assert options == [("grpc.lb_policy_name", "round_robin")]
    with pytest.raises(ValueError):
        _target([])


def test_round_robin_spreads_calls(two_servers: list[str]) -> None:
    with Client(two_servers) as client:
        for _ in range(6):
            assert client.predict("fraud", [FRAUD_ROW])[0].error is None
    for address in two_servers:  # each instance loaded the model: both got calls
        with Client(address) as one:
            states = {m["name"]: m["state"] for m in one.list_models()}
        assert states["fraud"] == "AVAILABLE"


def test_predict_command(two_servers: list[str], tmp_path: Path, capsys) -> None:
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([FRAUD_ROW, {"amount": 1.0}]))
    assert main(["predict", "fraud", "--address", two_servers[0], "--input", str(rows),
                 "--outputs", "prediction"]) == 0
    good, bad = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert good["outputs"] == {"prediction": 1.0} and good["version"] == "1"
    assert bad["error"]["code"] == "INVALID_ARGUMENT"
    assert main(["predict", "nope", "--address", two_servers[0], "--input", str(rows)]) == 2
    assert "NOT_FOUND" in capsys.readouterr().err


def test_lb_config_command(tmp_path: Path) -> None:
    out = tmp_path / "nginx.conf"
    assert main(["lb-config", "nginx", "--instances", "127.0.0.1:9001,127.0.0.1:9002",
                 "--listen", "127.0.0.1:9000", "-o", str(out)]) == 0
    text = out.read_text()
    for directive in ("hash $http_x_model_id consistent;", "server 127.0.0.1:9001",
                      "server 127.0.0.1:9002", "listen 127.0.0.1:9000 http2;",
                      "grpc_pass grpc://servelib_grpc;", "grpc_next_upstream error timeout;"):
        assert directive in text
    with pytest.raises(ValueError, match="host:port"):
        nginx_config(NginxConfig(instances=["nope"]))


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        pytest.skip("nginx is not installed")
    (tmp_path / "temp").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_config(NginxConfig(
        instances=["127.0.0.1:9001"], pid=str(tmp_path / "pid"),
        error_log=str(tmp_path / "err.log"), temp_dir=str(tmp_path / "temp"))))
    done = subprocess.run([binary, "-t", "-p", str(tmp_path), "-c", str(conf)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
