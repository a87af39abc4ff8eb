"""The soak's operator: every few thousand requests one admin step, in turn: unload and load a
model, hot-deploy a new version of ``demo`` (and retire the one before the previous, as an
operator would), try to deploy a corrupt version (it must fail and leave the serving one),
an oversized message, garbage on a raw socket, HTTP admin calls with the right token."""

from __future__ import annotations

import asyncio
import json
import runpy
import shutil
from pathlib import Path
from typing import Protocol

from servelib.server.grpc.gen import prediction_pb2 as pb
from tests.server.soak_traffic import ADMIN_TOKEN, DEMO_ROW, V1, Wire, v1_request

ROOT = Path(__file__).resolve().parents[2]
ADMIN_OK = frozenset({"OK"})
STEPS = 6  # the operator's steps, taken in turn


class Recorder(Protocol):
    sent: int
    lost: list[str]

    def record(self, name: str, expect: frozenset[str], status: str) -> None: ...


def make_repository(workdir: Path) -> Path:
    """scripts/make_demo_repository.py's repository (demo, production -> 1; gbt) under
    ``workdir/repo``, and a pristine copy of demo/1 to deploy new versions from."""
    build = runpy.run_path(str(ROOT / "scripts" / "make_demo_repository.py"))["build"]
    repo = build(workdir / "repo")
    shutil.rmtree(workdir / "template", ignore_errors=True)
    shutil.copytree(repo / "demo" / "1", workdir / "template")
    return repo


def _status(body: bytes | None) -> pb.ModelStatus:
    return pb.ModelStatus.FromString(body or b"")


class Admin:
    def __init__(self, repo: Path, grpc_port: int) -> None:
        self.repo, self.grpc_port = repo, grpc_port
        self.template = repo.parent / "template"
        self.demo_versions = {"1"}     # shared with the traffic: versions that may answer demo
        self.serving = ["1"]           # deployed demo versions, oldest first
        self.next_version = 2
        self.deploys = 0
        self._turn = 0
        self._lock = asyncio.Lock()
        self._steps = [self._reload_gbt, self._deploy, self._deploy_corrupt, self._oversized,
                       self._socket_garbage, self._http_admin]
        assert len(self._steps) == STEPS

    async def cycle(self, wire: Wire, rec: Recorder) -> None:
        async with self._lock:  # one operator at a time
            step = self._steps[self._turn % len(self._steps)]
            self._turn += 1
            rec.sent += 1
            try:
                name, expect, status = await step(wire)
            except Exception as exc:  # noqa: BLE001 - an admin call that got no answer
                rec.lost.append(f"{step.__name__}: {type(exc).__name__}: {exc}"[:300])
                return
            rec.record(name, expect, status)

    async def _admin(self, wire: Wire, method: str, message: object) -> tuple[str, bytes | None]:
        body = message.SerializeToString()  # type: ignore[attr-defined]
        status, answer = await wire.grpc(V1 + method, body, token=ADMIN_TOKEN)
        return status, answer

    async def _reload_gbt(self, wire: Wire) -> tuple[str, frozenset[str], str]:
        status, _ = await self._admin(wire, "UnloadModel", pb.UnloadModelRequest(model="gbt"))
        if status == "OK":
            status, answer = await self._admin(wire, "LoadModel", pb.LoadModelRequest(model="gbt"))
            if status == "OK" and _status(answer).state != "AVAILABLE":
                status = "BAD_ANSWER"
        return "admin_unload_load", ADMIN_OK, status

    def _new_version(self) -> tuple[str, Path]:
        version = str(self.next_version)
        self.next_version += 1
        folder = self.repo / "demo" / version
        shutil.copytree(self.template, folder)
        return version, folder

    async def _deploy(self, wire: Wire) -> tuple[str, frozenset[str], str]:
        version, _ = self._new_version()
        self.demo_versions.add(version)  # may answer as soon as the registry publishes it
        (self.repo / "demo" / "model.json").write_text(
            json.dumps({"aliases": {"production": version}}))
        if len(self.serving) >= 2:  # retire the one before the previous: no request routes there
            shutil.rmtree(self.repo / "demo" / self.serving.pop(0))
        status, answer = await self._admin(wire, "LoadModel", pb.LoadModelRequest(model="demo"))
        if status == "OK":
            state = _status(answer)
            if state.state != "AVAILABLE" or state.version != version:
                status = "BAD_ANSWER"
        self.serving.append(version)
        self.demo_versions.intersection_update(self.serving)
        self.deploys += 1
        return "admin_hot_deploy", ADMIN_OK, status

    async def _deploy_corrupt(self, wire: Wire) -> tuple[str, frozenset[str], str]:
        version, folder = self._new_version()
        (part,) = (folder / "metadata").glob("part-*")
        part.write_text("{not json")  # a broken upload
        try:
            status, answer = await self._admin(
                wire, "LoadModel", pb.LoadModelRequest(model="demo", version=version))
            if status == "OK" and _status(answer).state != "FAILED":
                status = "BAD_ANSWER"
            if status == "OK":  # the serving version still answers
                status, answer = await wire.grpc(V1 + "Predict", v1_request("demo", [DEMO_ROW]))
                if status == "OK" and pb.PredictResponse.FromString(answer or b"").version \
                        not in self.demo_versions:
                    status = "BAD_ANSWER"
        finally:
            shutil.rmtree(folder)
        return "admin_corrupt_deploy", ADMIN_OK, status

    async def _oversized(self, wire: Wire) -> tuple[str, frozenset[str], str]:
        body = v1_request("demo", [{**DEMO_ROW, "city": "x" * (2 << 20)}])  # server limit 1 MiB
        status, _ = await wire.grpc(V1 + "Predict", body)
        return "oversized_message", frozenset({"RESOURCE_EXHAUSTED"}), status

    async def _socket_garbage(self, wire: Wire) -> tuple[str, frozenset[str], str]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.grpc_port)
        try:
            writer.write(bytes(range(256)) * 4)
            await writer.drain()
            try:
                async with asyncio.timeout(10):
                    while await reader.read(4096):
                        pass
                status = "CLOSED"
            except TimeoutError:
                status = "LEFT_OPEN"
            except ConnectionResetError:
                status = "CLOSED"
        finally:
            writer.close()
        return "socket_garbage", frozenset({"CLOSED"}), status

    async def _http_admin(self, wire: Wire) -> tuple[str, frozenset[str], str]:
        headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
        resp = await wire.http.post("/v1/admin/refresh", headers=headers)
        if resp.status_code == 200:
            resp = await wire.http.post("/v1/admin/models/gbt:load", headers=headers)
        return "http_admin", frozenset({"HTTP_200"}), f"HTTP_{resp.status_code}"
