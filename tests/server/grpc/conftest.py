"""An in-process gRPC server over a temporary repository (demo LR pipeline + GBT pipeline),
running on its own event loop in a thread; tests talk to it with real gRPC clients."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("grpc")

FIXTURES = Path(__file__).resolve().parents[2] / "parity" / "fixtures" / "spark-4.3"
FRAUD_ROW = {"amount": 980.0, "age": 19.0, "city": "berlin"}
GBT_ROW = {"x0": 0.371, "x1": 6.02, "x2": 3.0, "color": "blue"}
ADMIN_TOKEN = "s3cret"


def make_repository(root: Path) -> Path:
    for name, case in (("fraud", "demo_lr_pipeline"), ("gbt", "tree_gbt_onehot_pipeline")):
        shutil.copytree(FIXTURES / case / "model", root / name / "1")
    return root


@dataclass
class Running:
    address: str
    port: int
    dataplane: Any
    loop: asyncio.AbstractEventLoop
    server: Any

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repository(tmp_path_factory.mktemp("repo"))


@pytest.fixture(scope="module")
def running(repository: Path) -> Iterator[Running]:
    from servelib.server.dataplane import build_dataplane
    from servelib.server.grpc import GrpcConfig, start_grpc_server

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> tuple[Any, Any]:
        plane = build_dataplane(str(repository), admin_token=ADMIN_TOKEN, max_batch=64)
        await plane.start()
        server = await start_grpc_server(plane, GrpcConfig(port=0, max_message_bytes=1 << 20))
        await server.serving()
        return plane, server

    plane, server = asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    r = Running(f"127.0.0.1:{server.port}", server.port, plane, loop, server)
    try:
        yield r
    finally:
        r.run(server.server.stop(0))
        r.run(plane.close())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
