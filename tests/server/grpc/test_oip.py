"""The Open Inference Protocol service, driven by the real tritonclient gRPC client, unchanged
(in its own process: see triton_calls.py): the client reads ModelMetadata and builds one tensor
per declared input, as any OIP user would. Edge cases the client cannot produce go through
servelib's own OIP stubs."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

import servelib
from servelib.server.grpc.gen import grpc_service_pb2 as pb
from servelib.server.grpc.gen import grpc_service_pb2_grpc as pb_grpc
from tests.server.grpc.conftest import FIXTURES, FRAUD_ROW, GBT_ROW, Running

PARIS = {"amount": 12.5, "age": 34.0, "city": "paris"}


def triton(running: Running, calls: list[dict]) -> list[dict]:
    if importlib.util.find_spec("tritonclient") is None:
        pytest.skip("tritonclient is not installed")
    script = Path(__file__).with_name("triton_calls.py")
    done = subprocess.run([sys.executable, str(script), running.address], input=json.dumps(calls),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_tritonclient_unchanged(running: Running) -> None:
    fraud = servelib.load(str(FIXTURES / "demo_lr_pipeline" / "model"))
    gbt = servelib.load(str(FIXTURES / "tree_gbt_onehot_pipeline" / "model"))
    server, meta, infer_fraud, infer_gbt, some, ready, missing, wrong = triton(running, [
        {"op": "server"},
        {"op": "metadata", "model": "fraud"},
        {"op": "infer", "model": "fraud", "rows": [FRAUD_ROW, PARIS]},
        {"op": "infer", "model": "gbt", "rows": [GBT_ROW]},
        {"op": "infer", "model": "fraud", "rows": [FRAUD_ROW], "outputs": ["city", "prediction"]},
        {"op": "ready", "model": "gbt"},
        {"op": "infer", "model": "nope", "rows": [FRAUD_ROW]},
        {"op": "infer", "model": "fraud", "rows": [],
         "inputs": [{"name": "amount", "datatype": "BYTES", "values": ["lots"]}]},
    ])
    assert server["ok"]["live"] and server["ok"]["ready"]
    assert server["ok"]["metadata"]["name"] == "servelib"
    assert meta["ok"]["platform"] == "spark-ml"
    assert {i["name"]: i["datatype"] for i in meta["ok"]["inputs"]}["city"] == "BYTES"

    expected = fraud.score_instances([FRAUD_ROW, PARIS])
    assert infer_fraud["ok"]["prediction"] == [r["prediction"] for r in expected]
    assert infer_fraud["ok"]["probability"] == [r["probability"].toArray().tolist()
                                                for r in expected]
    assert infer_gbt["ok"]["prediction"] == [gbt.score_instance(GBT_ROW)["prediction"]]
    assert some["ok"] == {"city": ["berlin"], "prediction": [expected[0]["prediction"]]}
    assert ready["ok"] is True
    assert missing["status"] == "StatusCode.NOT_FOUND" and "nope" in missing["message"]
    assert wrong["status"] == "StatusCode.INVALID_ARGUMENT"
    assert "fraud" in wrong["message"] and "amount" in wrong["message"]


@pytest.fixture()
def stub(running: Running):
    with grpc.insecure_channel(running.address) as channel:
        yield pb_grpc.GRPCInferenceServiceStub(channel)


def tensor(name: str, datatype: str, shape: list[int], **contents) -> pb.ModelInferRequest.InferInputTensor:
    return pb.ModelInferRequest.InferInputTensor(
        name=name, datatype=datatype, shape=shape, contents=pb.InferTensorContents(**contents))


def fraud_inputs(amount: list[float]) -> list:
    n = len(amount)
    return [tensor("amount", "FP64", [n], fp64_contents=amount),
            tensor("age", "FP64", [n, 1], fp64_contents=[30.0] * n),
            tensor("city", "BYTES", [n], bytes_contents=[b"paris"] * n)]


def test_typed_contents_and_scalar_columns_as_batch_by_one(stub) -> None:
    resp = stub.ModelInfer(pb.ModelInferRequest(model_name="fraud", inputs=fraud_inputs([1.0, 2.0])))
    by_name = {o.name: o for o in resp.outputs}
    assert list(by_name["probability"].shape) == [2, 2]
    assert len(by_name["probability"].contents.fp64_contents) == 4
    assert resp.model_version == "1" and not resp.raw_output_contents


@pytest.mark.parametrize(("inputs", "words"), [
    (fraud_inputs([1.0])[:2], "city"),                                        # missing input
    ([*fraud_inputs([1.0])[:2], tensor("city", "BYTES", [2], bytes_contents=[b"x"])], "city"),
    ([*fraud_inputs([1.0])[:2], tensor("city", "FP16", [1])], "FP16"),        # unknown type
    ([*fraud_inputs([1.0])[:2], tensor("city", "BYTES", [1, 1, 1])], "shape"),
    ([], "no input"),                                                           # empty request
])
def test_bad_tensors_name_the_field(stub, inputs: list, words: str) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub.ModelInfer(pb.ModelInferRequest(model_name="fraud", inputs=inputs))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert words in err.value.details()


def test_raw_contents_must_match_the_inputs(stub) -> None:
    request = pb.ModelInferRequest(model_name="fraud", inputs=fraud_inputs([1.0]),
                                   raw_input_contents=[b"\x00" * 3])
    with pytest.raises(grpc.RpcError) as err:
        stub.ModelInfer(request)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
