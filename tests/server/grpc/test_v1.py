"""servelib.v1.PredictionService end to end over loopback gRPC, through servelib.client."""

from __future__ import annotations

import pytest

import servelib
from servelib.client import Client, RemoteError
from servelib.vectors import DenseVector, SparseVector
from tests.server.grpc.conftest import ADMIN_TOKEN, FIXTURES, FRAUD_ROW, GBT_ROW, Running


@pytest.fixture()
def client(running: Running):
    with Client(running.address, admin_token=ADMIN_TOKEN) as c:
        yield c


def test_predict_matches_the_library(client: Client) -> None:
    local = servelib.load(str(FIXTURES / "demo_lr_pipeline" / "model")).score_instance(FRAUD_ROW)
    [p] = client.predict("fraud", [FRAUD_ROW])
    assert p.error is None and p.model == "fraud" and p.version == "1" and p.prediction_id
    assert p.outputs["prediction"] == local["prediction"]
    assert p.outputs["probability"] == local["probability"]
    assert isinstance(p.outputs["probability"], DenseVector)


def test_gbt_and_selected_outputs(client: Client) -> None:
    local = servelib.load(str(FIXTURES / "tree_gbt_onehot_pipeline" / "model"))
    [p] = client.predict("gbt", [GBT_ROW], outputs=["prediction"])
    assert p.outputs == {"prediction": local.score_instance(GBT_ROW)["prediction"]}


def test_one_bad_row_does_not_fail_the_batch(client: Client) -> None:
    bad = {**FRAUD_ROW, "amount": "lots"}
    good, wrong = client.predict("fraud", [FRAUD_ROW, bad])
    assert good.error is None
    assert wrong.outputs is None and wrong.error["code"] == "INVALID_ARGUMENT"
    assert "amount" in wrong.error["message"]


def test_missing_field_names_the_column(client: Client) -> None:
    [p] = client.predict("fraud", [{"amount": 1.0, "age": 3.0}])
    assert p.error["code"] == "INVALID_ARGUMENT" and "city" in p.error["message"]


def test_vectors_and_nulls_travel_both_ways(client: Client) -> None:
    [p] = client.predict("fraud", [FRAUD_ROW], outputs=["numeric", "city"])
    assert p.outputs["numeric"] == DenseVector([980.0, 19.0]) and p.outputs["city"] == "berlin"
    from servelib.server.grpc.gen import prediction_pb2 as pb
    from servelib.server.grpc.values import from_value, to_value

    for value in (None, 1.5, 7, True, "x", DenseVector([1.0, 2.0]), SparseVector(3, [1], [2.0])):
        msg = pb.Value()
        to_value(value, msg, "c")
        assert from_value(msg, "c") == value and type(from_value(msg, "c")) is type(value)


@pytest.mark.parametrize(("model", "version", "code"), [
    ("nope", None, "NOT_FOUND"),
    ("fraud", "7", "NOT_FOUND"),
    ("../fraud", None, "NOT_FOUND"),
    ("/etc", None, "NOT_FOUND"),
])
def test_unknown_or_unsafe_names(client: Client, model: str, version: str | None,
                                 code: str) -> None:
    with pytest.raises(RemoteError) as err:
        client.predict(model, [FRAUD_ROW], version=version)
    assert err.value.code == code


def test_empty_and_oversized_batches(client: Client) -> None:
    for rows in ([], [FRAUD_ROW] * 65):
        with pytest.raises(RemoteError) as err:
            client.predict("fraud", rows)
        assert err.value.code == "INVALID_ARGUMENT" and "fraud" in err.value.details


def test_unknown_output(client: Client) -> None:
    with pytest.raises(RemoteError) as err:
        client.predict("fraud", [FRAUD_ROW], outputs=["nope"])
    assert err.value.code == "INVALID_ARGUMENT" and "nope" in err.value.details


def test_metadata_and_list(client: Client) -> None:
    meta = client.metadata("gbt")
    assert meta["platform"] == "spark-ml" and meta["versions"] == ["1"]
    assert {t["name"] for t in meta["inputs"]} == set(GBT_ROW)
    assert meta["record"]
    names = {m["name"] for m in client.list_models()}
    assert {"fraud", "gbt"} <= names


def test_admin_needs_the_token(running: Running) -> None:
    for token in (None, "wrong"):
        with Client(running.address, admin_token=token) as c, pytest.raises(RemoteError) as err:
            c.load_model("fraud")
        assert err.value.code == "UNAUTHENTICATED"
    with Client(running.address, admin_token=ADMIN_TOKEN) as c:
        assert c.load_model("fraud")["state"] == "AVAILABLE"
        assert c.unload_model("fraud")["state"] == "UNLOADED"
        [p] = c.predict("fraud", [FRAUD_ROW])  # loads again on demand
        assert p.error is None
