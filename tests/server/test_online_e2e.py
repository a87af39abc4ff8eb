"""A served model whose serving spec names online features, end to end over gRPC: the lookups
fill the inputs (embedded store and a real redis-server), the answers equal scoring the full
rows in process; and sampled prediction logging writes what was served, with the prediction ids
the client got, without failing a request when its sink dies."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import servelib
from servelib.client import Client
from tests.server.serving import serve
from tests.servers import redis_server

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tests/parity/fixtures/spark-4.3/demo_lr_pipeline/model"
USERS = pa.table({"user": ["u1", "u2", "u3"], "amount": [980.0, 12.5, 300.0],
                  "age": [19.0, 34.0, 40.0]})


def features_spec(store: dict) -> dict:
    return {"outputs": ["prediction", "probability"], "features": {
        "stores": {"s": store},
        "groups": [{"name": "users", "store": "s", "table": "users", "key": "user",
                    "features": {"amount": {"type": "double"}, "age": {"type": "double",
                                                                        "default": 30.0}}}]}}


def add_version(repo: Path, name: str, spec: dict) -> None:
    folder = repo / name / "1"
    shutil.copytree(DEMO, folder)
    (folder / "serving.json").write_text(json.dumps(spec))


def push(store: str, data: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "servelib", "features", "push", str(data), "--store",
                           store, "--table", "users", "--key", "user"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr


def expected(user: str, city: str) -> float:
    row = dict(zip(USERS.column_names, next(r for r in zip(*USERS.to_pydict().values())
                                            if r[0] == user)))
    model = servelib.load(str(DEMO))
    return model.score_instance({"amount": row["amount"], "age": row["age"], "city": city})


def test_lookups_embedded_and_redis_over_grpc(tmp_path):
    data = tmp_path / "users.parquet"
    pq.write_table(USERS, data)
    repo = tmp_path / "repo"
    add_version(repo, "embedded", features_spec({"type": "embedded", "path": "../../store"}))
    push(str(repo / "store"), data)
    with redis_server() as (_, port):
        url = f"redis://127.0.0.1:{port}/0"
        push(url, data)
        add_version(repo, "redis", features_spec({"type": "redis", "url": url}))
        with serve(repo, "--no-http") as served, Client(served.address) as client:
            for model in ("embedded", "redis"):
                got = client.predict(model, [{"user": "u1", "city": "berlin"},
                                             {"user": "u2", "city": "paris", "amount": 5000.0},
                                             {"user": "nobody", "city": "rome"}])
                want = expected("u1", "berlin")
                assert got[0].outputs["probability"] == want["probability"], model
                # a value in the request wins over the stored one
                over = servelib.load(str(DEMO)).score_instance(
                    {"amount": 5000.0, "age": 34.0, "city": "paris"})
                assert got[1].outputs["prediction"] == over["prediction"]
                # an unknown entity: amount has no default -> null -> Spark's VectorAssembler
                # error for that row only
                assert got[2].error is not None and "amount" in got[2].error["message"]


def test_bad_feature_spec_fails_the_load_not_the_server(tmp_path):
    repo = tmp_path / "repo"
    spec = features_spec({"type": "embedded", "path": "store"})
    spec["features"]["groups"][0]["features"]["amnt"] = {"type": "double"}
    add_version(repo, "broken", spec)
    add_version(repo, "fine", {"outputs": ["prediction"]})
    with serve(repo, "--no-http") as served, Client(served.address) as client:
        with pytest.raises(Exception, match="amnt"):
            client.predict("broken", [{"user": "u1", "city": "berlin"}])
        assert client.predict("fine", [{"amount": 1.0, "age": 2.0, "city": "x"}])[0].error is None


def test_prediction_log_parquet_and_a_dying_redis_sink(tmp_path):
    repo = tmp_path / "repo"
    add_version(repo, "fraud", {"outputs": ["prediction"], "logging": {"sample_rate": 1.0}})
    logs = tmp_path / "logs"
    row = {"amount": 980.0, "age": 19.0, "city": "berlin"}
    with serve(repo, "--no-http", "--prediction-log", str(logs)) as served:
        with Client(served.address) as client:
            ids = [client.predict("fraud", [row])[0].prediction_id for _ in range(20)]
    table = ds.dataset(str(logs), format="parquet", partitioning="hive").to_table()
    assert sorted(table.column("prediction_id").to_pylist()) == sorted(ids)
    assert set(table.column("model").to_pylist()) == {"fraud"}
    with redis_server() as (proc, port):
        with serve(repo, "--no-http", "--prediction-log", f"redis://127.0.0.1:{port}/0") as served:
            with Client(served.address) as client:
                client.predict("fraud", [row])
                proc.kill()
                proc.wait(5)
                start = time.perf_counter()
                answers = [client.predict("fraud", [row])[0] for _ in range(50)]
                assert all(a.error is None for a in answers)
                assert time.perf_counter() - start < 10
