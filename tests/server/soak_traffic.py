"""The soak's request kinds: each builds its request once, sends it over one transport and
names the statuses it may get back (tests/server/soak.py drives them).

A kind's ``send`` returns a status name: a gRPC code ("OK", "NOT_FOUND", ...), ``HTTP_<code>``,
or ``BAD_ANSWER`` when the status was right but the body was not (a missing row, a row error
where none belongs, an unexpected version). Anything else a kind raises is a lost request.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc

from servelib.server.grpc.gen import grpc_service_pb2 as oip
from servelib.server.grpc.gen import prediction_pb2 as pb

DEMO_ROW = {"amount": 980.0, "age": 19.0, "city": "berlin"}
GBT_ROW = {"x0": 0.371, "x1": 6.02, "x2": 3.0, "color": "blue"}
MAX_BATCH = 64            # the soak server's --max-batch
ADMIN_TOKEN = "soak-token"
V1 = "/servelib.v1.PredictionService/"
OIP = "/inference.GRPCInferenceService/"


@dataclass
class Wire:
    """What every kind talks to: one aio channel, one HTTP client, the versions allowed."""

    channel: grpc.aio.Channel
    http: Any                               # httpx.AsyncClient with base_url set
    timeout: float
    demo_versions: set[str]                 # versions a default demo request may be answered by

    async def grpc(self, method: str, body: bytes, timeout: float | None = None,
                   token: str | None = None) -> tuple[str, bytes | None]:
        call = self.channel.unary_unary(method)  # bytes in, bytes out: no client-side protobuf
        metadata = (("authorization", f"Bearer {token}"),) if token else None
        try:
            return "OK", await call(body, timeout=timeout or self.timeout, metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            return exc.code().name, None


Send = Callable[[Wire], Awaitable[str]]


@dataclass(frozen=True)
class Kind:
    name: str
    weight: int                             # share of the mixed traffic
    expect: frozenset[str]
    send: Send


def _value(v: Any) -> pb.Value:
    if isinstance(v, str):
        return pb.Value(string_value=v)
    if v is None:
        return pb.Value(null_value=pb.NULL_VALUE)
    return pb.Value(double_value=v)


def v1_request(model: str, rows: list[dict[str, Any]], version: str = "") -> bytes:
    return pb.PredictRequest(model=model, version=version, instances=[
        pb.Instance(features={c: _value(v) for c, v in row.items()}) for row in rows
    ]).SerializeToString()


def _v1_answer(body: bytes | None, rows: int, bad_rows: set[int], versions: set[str] | None
               ) -> str:
    resp = pb.PredictResponse.FromString(body or b"")
    if len(resp.results) != rows or (versions is not None and resp.version not in versions):
        return "BAD_ANSWER"
    errors = {i for i, r in enumerate(resp.results) if r.HasField("error")}
    return "OK" if errors == bad_rows else "BAD_ANSWER"


def v1(model: str, rows: list[dict[str, Any]], bad_rows: set[int] = frozenset(),
       version: str = "", timeout: float | None = None) -> Send:
    body = v1_request(model, rows, version)

    async def send(w: Wire) -> str:
        status, answer = await w.grpc(V1 + "Predict", body, timeout)
        if status != "OK":
            return status
        return _v1_answer(answer, len(rows), set(bad_rows),
                          w.demo_versions if model == "demo" and not version else None)
    return send


def raw(method: str, body: bytes, token: str | None = None) -> Send:
    async def send(w: Wire) -> str:
        return (await w.grpc(method, body, token=token))[0]
    return send


def oip_infer(rows: list[dict[str, Any]], bad_type: bool = False) -> bytes:
    n = len(rows)
    amount = oip.ModelInferRequest.InferInputTensor(
        name="amount", datatype="FP64", shape=[n],
        contents=oip.InferTensorContents(fp64_contents=[r["amount"] for r in rows]))
    age = oip.ModelInferRequest.InferInputTensor(
        name="age", datatype="BYTES" if bad_type else "FP64", shape=[n],
        contents=oip.InferTensorContents(bytes_contents=[b"x"] * n) if bad_type else
        oip.InferTensorContents(fp64_contents=[r["age"] for r in rows]))
    city = oip.ModelInferRequest.InferInputTensor(
        name="city", datatype="BYTES", shape=[n],
        contents=oip.InferTensorContents(bytes_contents=[r["city"].encode() for r in rows]))
    return oip.ModelInferRequest(model_name="demo", inputs=[amount, age, city]
                                 ).SerializeToString()


def oip_good(rows: int) -> Send:
    body = oip_infer([DEMO_ROW] * rows)

    async def send(w: Wire) -> str:
        status, answer = await w.grpc(OIP + "ModelInfer", body)
        if status != "OK":
            return status
        resp = oip.ModelInferResponse.FromString(answer or b"")
        ok = resp.model_version in w.demo_versions and all(
            t.shape[0] == rows for t in resp.outputs) and len(resp.outputs) == 2
        return "OK" if ok else "BAD_ANSWER"
    return send


def http(method: str, path: str, body: Any = None, *, raw_body: bytes | None = None,
         token: str | None = None, rows: int | None = None) -> Send:
    """An HTTP call; with ``rows`` a 200 must answer that many /v1 results without errors
    (or that many OIP rows when the path ends in /infer)."""
    content = raw_body if raw_body is not None else (
        json.dumps(body).encode() if body is not None else None)
    headers = {"authorization": f"Bearer {token}"} if token else {}

    async def send(w: Wire) -> str:
        resp = await w.http.request(method, path, content=content, headers=headers)
        status = f"HTTP_{resp.status_code}"
        if rows is None or resp.status_code != 200:
            return status
        data = resp.json()
        if path.endswith("/infer"):
            ok = all(t["shape"][0] == rows for t in data["outputs"])
        else:
            ok = len(data["results"]) == rows and all("error" not in r for r in data["results"])
        return status if ok and data.get("model_version", data.get("version")) in \
            w.demo_versions else "BAD_ANSWER"
    return send


def kinds() -> list[Kind]:
    """The mixed traffic, by weight: mostly good rows, every kind of bad request in between."""
    ok, bad = frozenset({"OK"}), frozenset({"INVALID_ARGUMENT"})
    missing, wrong = {"age": 1.0, "city": "rome"}, {"amount": "x", "age": 1.0, "city": "rome"}
    big = [DEMO_ROW] * (MAX_BATCH + 1)
    return [
        Kind("v1_row", 12, ok, v1("demo", [DEMO_ROW])),
        Kind("v1_batch", 4, ok, v1("gbt", [GBT_ROW] * 8)),
        Kind("v1_row_errors", 3, ok, v1("demo", [DEMO_ROW, wrong, missing, DEMO_ROW], {1, 2})),
        Kind("v1_unknown_model", 1, frozenset({"NOT_FOUND"}), v1("nope", [DEMO_ROW])),
        Kind("v1_unknown_version", 1, frozenset({"NOT_FOUND"}),
             v1("gbt", [GBT_ROW], version="999999")),
        Kind("v1_traversal", 1, frozenset({"NOT_FOUND"}), v1("../../etc", [DEMO_ROW])),
        Kind("v1_oversized_batch", 1, bad, v1("demo", big)),
        Kind("v1_empty_batch", 1, bad, v1("demo", [])),
        Kind("v1_garbage_bytes", 1, frozenset({"INTERNAL", "INVALID_ARGUMENT"}),
             raw(V1 + "Predict", b"\xff\xfe\x00 garbage \x0a\xff\xff\xff\xff\x0f")),
        # a full batch of 100-tree GBT scores in a thread for longer than 1 ms; under load the
        # deadline may also pass before the call leaves the client, or the score may win
        Kind("v1_deadline", 1, frozenset({"DEADLINE_EXCEEDED", "OK"}),
             v1("gbt", [GBT_ROW] * MAX_BATCH, timeout=0.001)),
        Kind("v1_metadata", 1, ok, raw(V1 + "GetModelMetadata",
                                       pb.GetModelMetadataRequest(model="demo").SerializeToString())),
        Kind("v1_admin_bad_token", 1, frozenset({"UNAUTHENTICATED"}),
             raw(V1 + "UnloadModel", pb.UnloadModelRequest(model="gbt").SerializeToString(),
                 token="wrong")),
        Kind("oip_infer", 5, ok, oip_good(4)),
        Kind("oip_wrong_type", 1, bad, raw(OIP + "ModelInfer", oip_infer([DEMO_ROW], True))),
        Kind("oip_metadata", 1, ok, raw(OIP + "ModelMetadata",
                                        oip.ModelMetadataRequest(name="gbt").SerializeToString())),
        Kind("http_predict", 3, frozenset({"HTTP_200"}),
             http("POST", "/v1/models/demo:predict", {"instances": [DEMO_ROW] * 2}, rows=2)),
        Kind("http_row_errors", 1, frozenset({"HTTP_200"}),
             http("POST", "/v1/models/demo:predict", {"instances": [DEMO_ROW, wrong]})),
        Kind("http_oip_infer", 1, frozenset({"HTTP_200"}), http(
            "POST", "/v2/models/demo/infer", {"inputs": [
                {"name": "amount", "datatype": "FP64", "shape": [1], "data": [980.0]},
                {"name": "age", "datatype": "FP64", "shape": [1], "data": [19.0]},
                {"name": "city", "datatype": "BYTES", "shape": [1], "data": ["berlin"]}]},
            rows=1)),
        Kind("http_garbage", 1, frozenset({"HTTP_400"}),
             http("POST", "/v1/models/demo:predict", raw_body=b"\x00{not json")),
        Kind("http_unknown_model", 1, frozenset({"HTTP_404"}),
             http("POST", "/v1/models/nope:predict", {"instances": [DEMO_ROW]})),
        Kind("http_traversal", 1, frozenset({"HTTP_404"}),
             http("POST", "/v1/models/..%2F..%2Fetc:predict", {"instances": [DEMO_ROW]})),
        Kind("http_admin_bad_token", 1, frozenset({"HTTP_401"}),
             http("POST", "/v1/admin/models/gbt:unload", token="wrong")),
    ]


def schedule(all_kinds: list[Kind]) -> list[Kind]:
    """One cycle of the traffic: each kind ``weight`` times, interleaved (not in runs)."""
    slots = [(j / k.weight, i, k) for i, k in enumerate(all_kinds) for j in range(k.weight)]
    return [k for _, _, k in sorted(slots, key=lambda s: (s[0], s[1]))]
