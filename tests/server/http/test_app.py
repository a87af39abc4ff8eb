import math
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette 1.x nudges towards httpx2; httpx still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import servelib
from servelib.server.dataplane import build_dataplane
from servelib.server.http import create_app
from servelib.server.http.codec import decode_value, encode_value
from servelib.server.http.errors import HTTP_CODES
from servelib.vectors import DenseVector, SparseVector
from tests.registry.helpers import (
    DEMO_ROW,
    FIXTURES,
    GBT_ROW,
    add_version,
    corrupt,
    demo_repository,
    write_json,
)

AUTH = {"authorization": "Bearer tok"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return demo_repository(tmp_path / "repo")


@pytest.fixture
def client(repo):
    app = create_app(build_dataplane(str(repo), admin_token="tok", max_batch=8),
                     max_body_bytes=10_000, manage_lifecycle=True)
    with TestClient(app) as c:
        yield c


def test_v1_predict_with_per_row_errors(client):
    r = client.post("/v1/models/demo:predict",
                    json={"instances": [DEMO_ROW, {"amount": "x", "age": 1.0, "city": "rome"}],
                          "request_id": "abc"})
    assert r.status_code == 200
    body = r.json()
    assert body["model"] == "demo" and body["version"] == "1"
    assert body["prediction_ids"] == ["abc-0", "abc-1"]
    ok, bad = body["results"]
    assert ok["outputs"]["prediction"] == 1.0
    assert ok["outputs"]["probability"]["type"] == "dense"
    assert bad["error"]["status"] == "INVALID_ARGUMENT" and bad["error"]["column"] == "amount"
    assert bad["error"]["row"] == 1 and "model 'demo'" in bad["error"]["message"]


def test_v1_versions_alias_outputs_and_keys(client):
    r = client.post("/v1/models/demo/versions/production:predict",
                    json={"instances": [DEMO_ROW], "outputs": ["city_vec"], "keys": ["u1"]})
    assert r.status_code == 200
    assert r.json()["results"][0]["outputs"]["city_vec"] == {
        "type": "sparse", "size": 5, "indices": [4], "values": [1.0]}


def test_nan_tokens_in_and_strict_json_out(client):
    expected = servelib.load(str(FIXTURES / "tree_gbt_onehot_pipeline" / "model"))\
        .score_instance({**GBT_ROW, "x0": math.nan})
    body = '{"instances": [{"x0": NaN, "x1": 2.0, "x2": 1.0, "color": "red"}]}'
    r = client.post("/v1/models/gbt:predict", content=body,
                    headers={"content-type": "application/json"})
    assert r.status_code == 200
    assert r.json()["results"][0]["outputs"]["prediction"] == expected["prediction"]
    assert encode_value(math.nan) == "NaN" and encode_value(-math.inf) == "-Infinity"
    assert encode_value(DenseVector([1.0, math.inf])) == {"type": "dense",
                                                          "values": [1.0, "Infinity"]}
    assert decode_value([1, 2.5], "v") == DenseVector([1.0, 2.5])
    assert decode_value({"type": "sparse", "size": 3, "indices": [1], "values": [2.0]},
                        "v") == SparseVector(3, [1], [2.0])
    assert decode_value("NaN", "city") == "NaN"  # a string stays a string


@pytest.mark.parametrize("path, kwargs, status, needle", [
    ("/v1/models/nope:predict", {"json": {"instances": [DEMO_ROW]}}, 404, "no model 'nope'"),
    ("/v1/models/..:predict", {"json": {"instances": [DEMO_ROW]}}, 404, "invalid model name"),
    ("/v1/models/demo/versions/9:predict", {"json": {"instances": [DEMO_ROW]}}, 404, "'9'"),
    ("/v1/models/demo:predict", {"content": b"{garbage"}, 400, "not valid JSON"),
    ("/v1/models/demo:predict", {"content": b"\xff\xfe\x00"}, 400, "not valid JSON"),
    ("/v1/models/demo:predict", {"json": [1]}, 400, "JSON object"),
    ("/v1/models/demo:predict", {"content": b"[" * 5000 + b"]" * 5000}, 400, "nested too deeply"),
    ("/v1/models/demo:predict", {"json": {"instances": []}}, 400, "empty batch"),
    ("/v1/models/demo:predict", {"json": {"instances": [DEMO_ROW] * 9}}, 400, "limit of 8"),
    ("/v1/models/demo:predict", {"json": {"instances": [{"a": "x" * 20_000}]}}, 400,
     "over the limit"),
    ("/v1/models/demo:predict", {"json": {"instances": [DEMO_ROW], "keys": [1]}}, 400, "keys"),
    ("/v1/models/demo:predict", {"json": {"instances": [{"v": {"type": "dense"}}]}}, 400,
     "malformed dense vector"),
])
def test_errors_map_to_http_codes(client, path, kwargs, status, needle):
    r = client.post(path, **kwargs)
    assert r.status_code == status, r.text
    assert needle in r.json()["error"]
    assert HTTP_CODES[r.json()["status"]] == status


def test_oip_health_metadata_ready_infer(client):
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").status_code == 200
    assert client.get("/v2").json()["name"] == "servelib"
    assert client.get("/v2/models/gbt/ready").status_code == 503  # not loaded yet
    meta = client.get("/v2/models/gbt").json()
    assert {"name": "color", "datatype": "BYTES", "shape": [-1]} in meta["inputs"]
    assert client.get("/v2/models/gbt/versions/1/ready").json() == {"name": "gbt", "ready": True}
    inputs = [{"name": n, "shape": [2], "datatype": "FP64", "data": [GBT_ROW[n], GBT_ROW[n]]}
              for n in ("x0", "x1", "x2")]
    inputs.append({"name": "color", "shape": [2], "datatype": "BYTES", "data": ["red", "blue"]})
    r = client.post("/v2/models/gbt/infer", json={"id": "q", "inputs": inputs})
    assert r.status_code == 200, r.text
    out = {t["name"]: t for t in r.json()["outputs"]}
    assert r.json()["id"] == "q" and r.json()["model_version"] == "1"
    assert out["probability"]["shape"] == [2, 2] and len(out["probability"]["data"]) == 4
    assert out["prediction"]["datatype"] == "FP64" and out["prediction"]["shape"] == [2]
    r = client.post("/v2/models/gbt/versions/1/infer",
                    json={"inputs": inputs, "outputs": [{"name": "features"}]})
    assert [t["shape"] for t in r.json()["outputs"]] == [[2, 8]]


def test_oip_errors(client):
    bad = [{"name": "x0", "shape": [1], "datatype": "BYTES", "data": ["oops"]},
           {"name": "x1", "shape": [1], "datatype": "FP64", "data": [1.0]},
           {"name": "x2", "shape": [1], "datatype": "FP64", "data": [1.0]},
           {"name": "color", "shape": [1], "datatype": "BYTES", "data": ["red"]}]
    r = client.post("/v2/models/gbt/infer", json={"inputs": bad})
    assert r.status_code == 400 and r.json()["column"] == "x0" and r.json()["row"] == 0
    r = client.post("/v2/models/gbt/infer", json={"inputs": [
        {"name": "x0", "shape": [2], "datatype": "FP64", "data": [1.0]}]})
    assert r.status_code == 400 and "do not fill shape" in r.json()["error"]
    assert client.post("/v2/models/gbt/infer", json={}).status_code == 400


def test_admin_load_unload_needs_the_token(client, repo):
    assert client.post("/v1/admin/models/gbt:load").status_code == 401
    assert client.post("/v1/admin/models/gbt:load",
                       headers={"authorization": "Bearer nope"}).status_code == 401
    r = client.post("/v1/admin/models/gbt:load", headers=AUTH)
    assert r.status_code == 200 and r.json()["state"] == "AVAILABLE"
    assert r.json()["memory_bytes"] > 0
    r = client.post("/v1/admin/models/gbt/versions/1:unload", headers=AUTH)
    assert r.json()["state"] == "UNLOADED"
    client.post("/v1/models/demo:predict", json={"instances": [DEMO_ROW]})
    corrupt(add_version(repo, "demo", "2"))
    write_json(repo / "demo" / "model.json", {"aliases": {"production": "2"}})
    assert client.post("/v1/admin/refresh").status_code == 401
    r = client.post("/v1/admin/refresh", headers=AUTH)
    assert r.status_code == 200 and "failed to load" in r.json()["problems"]["demo"]
    r = client.post("/v1/admin/models/demo/versions/2:load", headers=AUTH)
    assert r.status_code == 503 and r.json()["state"] == "FAILED"
    assert "failed to load" in r.json()["reason"]
    r = client.post("/v1/models/demo:predict", json={"instances": [DEMO_ROW]})
    assert r.json()["version"] == "1"  # the good version keeps answering


def test_listing_metadata_and_metrics(client):
    client.post("/v1/models/demo:predict", json={"instances": [DEMO_ROW]})
    models = client.get("/v1/models").json()["models"]
    assert {(m["name"], m["state"]) for m in models} == {("demo", "AVAILABLE"),
                                                          ("gbt", "UNLOADED")}
    meta = client.get("/v1/models/demo").json()
    assert meta["record"]["serving"]["record"]["owner"] == "servelib demo"
    text = client.get("/metrics").text
    assert 'servelib_requests_total{model="demo",status="OK"} 1.0' in text
    assert 'servelib_request_seconds_bucket{le="0.0001",model="demo",phase="total"}' in text
    assert "servelib_model_memory_bytes" in text


def test_a_corrupt_model_answers_503_and_the_server_keeps_serving(client, repo):
    corrupt(repo / "gbt" / "1")
    r = client.post("/v1/models/gbt:predict", json={"instances": [GBT_ROW]})
    assert r.status_code == 503 and r.json()["status"] == "UNAVAILABLE"
    assert "model 'gbt' version '1' failed to load" in r.json()["error"]
    assert client.post("/v1/models/demo:predict", json={"instances": [DEMO_ROW]}).status_code == 200
    states = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
    assert states["gbt"]["state"] == "FAILED" and "metadata" in states["gbt"]["reason"]
