"""A small Python client for ``servelib.v1.PredictionService`` over gRPC.

Every call carries ``x-model-id: <model>`` metadata, which a load balancer hashes to send one
model's requests to one instance (``servelib lb-config nginx``). Given several addresses, the
client spreads calls over them itself with gRPC's ``round_robin`` policy, for users without a
proxy. Read-only calls that fail with UNAVAILABLE are sent again (``retries``). Values go in and come out as plain Python (float, int, bool, str, None, DenseVector,
SparseVector)::

    with Client("127.0.0.1:8001") as client:
        [p] = client.predict("fraud", [{"amount": 980.0, "age": 19.0, "city": "berlin"}])
        print(p.outputs["prediction"])
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Prediction:
    """One instance's answer: ``outputs``, or ``error`` (a dict with code, message, column, stage)."""

    outputs: dict[str, Any] | None
    error: dict[str, str] | None
    prediction_id: str
    model: str
    version: str


class RemoteError(Exception):
    """A call the server refused; ``code`` is the gRPC status name (e.g. "NOT_FOUND")."""

    def __init__(self, code: str, details: str) -> None:
        self.code, self.details = code, details
        super().__init__(f"{code}: {details}")


def _target(addresses: str | Sequence[str]) -> tuple[str, list[tuple[str, Any]]]:
    """gRPC target and channel options; several addresses resolve to IPs under round_robin."""
    items = [addresses] if isinstance(addresses, str) else list(addresses)
    items = [a.strip() for item in items for a in item.split(",") if a.strip()]
    if not items:
        raise ValueError("no server address given")
    if len(items) == 1:
        return items[0], []
    resolved = []
    for address in items:
        host, _, port = address.rpartition(":")
        ip = socket.getaddrinfo(host, int(port), socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
        resolved.append(f"{ip}:{port}")
    return "ipv4:" + ",".join(resolved), [("grpc.lb_policy_name", "round_robin")]


class Client:
    def __init__(self, addresses: str | Sequence[str], *, timeout: float | None = 10.0,
                 admin_token: str | None = None, root_certificates: bytes | None = None,
                 retries: int = 2) -> None:
        import grpc

        from servelib.server.grpc.gen import prediction_pb2_grpc

        self._grpc = grpc
        target, options = _target(addresses)
        if root_certificates is not None:
            creds = grpc.ssl_channel_credentials(root_certificates)
            self._channel = grpc.secure_channel(target, creds, options=options)
        else:
            self._channel = grpc.insecure_channel(target, options=options)
        self._stub = prediction_pb2_grpc.PredictionServiceStub(self._channel)
        self.timeout, self.admin_token, self.retries = timeout, admin_token, retries

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def _call(self, method: str, request: Any, model: str = "", admin: bool = False) -> Any:
        """One call; a read-only one that fails with UNAVAILABLE (an instance died with it in
        flight: a proxy answers 502, which gRPC's own retries cannot repeat once the response
        headers arrived) is sent again, up to ``retries`` times. Scoring has no side effect."""
        metadata = [("x-model-id", model)] if model else []
        if admin and self.admin_token:
            metadata.append(("authorization", f"Bearer {self.admin_token}"))
        attempts = 1 if admin else 1 + max(self.retries, 0)
        for attempt in range(attempts):
            try:
                return getattr(self._stub, method)(request, timeout=self.timeout,
                                                   metadata=metadata)
            except self._grpc.RpcError as exc:
                code = exc.code()
                if code != self._grpc.StatusCode.UNAVAILABLE or attempt == attempts - 1:
                    raise RemoteError(code.name, exc.details() or "") from None
                time.sleep(0.02 * 2**attempt)
        raise AssertionError("unreachable")

    def predict(self, model: str, instances: Sequence[Mapping[str, Any]], *,
                version: str | None = None, keys: Sequence[str | None] | None = None,
                outputs: Sequence[str] | None = None) -> list[Prediction]:
        from servelib.server.grpc.gen import prediction_pb2 as pb
        from servelib.server.grpc.values import from_value, to_value

        request = pb.PredictRequest(model=model, version=version or "", outputs=outputs or ())
        for i, row in enumerate(instances):
            instance = request.instances.add(key=(keys[i] or "") if keys else "")
            for column, value in row.items():
                to_value(value, instance.features[column], column)
        resp = self._call("Predict", request, model)
        return [
            Prediction(
                outputs=None if r.HasField("error") else
                {c: from_value(v, c) for c, v in r.outputs.items()},
                error={"code": r.error.code, "message": r.error.message, "column": r.error.column,
                       "stage": r.error.stage} if r.HasField("error") else None,
                prediction_id=r.prediction_id, model=resp.model, version=resp.version)
            for r in resp.results
        ]

    def metadata(self, model: str, version: str | None = None) -> dict[str, Any]:
        from servelib.server.grpc.gen import prediction_pb2 as pb

        m = self._call("GetModelMetadata",
                       pb.GetModelMetadataRequest(model=model, version=version or ""), model)
        return {
            "name": m.name, "versions": list(m.versions), "platform": m.platform,
            "inputs": [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)}
                       for t in m.inputs],
            "outputs": [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)}
                        for t in m.outputs],
            "record": json.loads(m.record_json or "{}"),
        }

    def list_models(self) -> list[dict[str, Any]]:
        from servelib.server.grpc.gen import prediction_pb2 as pb

        return [_status(s) for s in self._call("ListModels", pb.ListModelsRequest()).models]

    def load_model(self, model: str, version: str | None = None) -> dict[str, Any]:
        from servelib.server.grpc.gen import prediction_pb2 as pb

        request = pb.LoadModelRequest(model=model, version=version or "")
        return _status(self._call("LoadModel", request, model, admin=True))

    def unload_model(self, model: str, version: str | None = None) -> dict[str, Any]:
        from servelib.server.grpc.gen import prediction_pb2 as pb

        request = pb.UnloadModelRequest(model=model, version=version or "")
        return _status(self._call("UnloadModel", request, model, admin=True))


def _status(s: Any) -> dict[str, Any]:
    return {"name": s.name, "version": s.version, "state": s.state, "reason": s.reason,
            "memory_bytes": s.memory_bytes}
