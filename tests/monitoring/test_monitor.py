"""`servelib monitor` on predictions a real model made and the prediction log wrote, with a
generated outcome file: every metric equals scikit-learn's on the same joined rows."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn import metrics as skm

import servelib
from servelib import cli
from servelib.monitoring.records import PredictionRecord
from servelib.monitoring.sinks import ParquetSink
from tests.servers import free_port, wait_port

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tests/parity/fixtures/spark-4.3/demo_lr_pipeline/model"
HOUR = 3_600_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00Z


def log_demo_predictions(tmp_path: Path, n: int = 300) -> tuple[Path, Path, list[dict]]:
    """Score n random rows with the demo LR pipeline over 3 hours; log them; invent outcomes."""
    rng = random.Random(11)
    model = servelib.load(str(DEMO))
    sink = ParquetSink(str(tmp_path / "logs"))
    records, outcomes = [], []
    for i in range(n):
        row = {"amount": rng.uniform(1, 1000), "age": rng.uniform(18, 80),
               "city": rng.choice(["paris", "berlin", "tokyo", "rome"])}
        if i >= 200:
            row["amount"] *= 3  # the last hour drifts
        out = model.score_instance(row)
        outputs = {k: out[k] for k in ("prediction", "probability")}
        ts = T0 + (i // 100) * HOUR + rng.randrange(HOUR)
        records.append(PredictionRecord.build(
            prediction_id=f"p{i}", model="fraud", version="1", arm=None, partition=None,
            timestamp_ms=ts, inputs=row, outputs=outputs, error=None, latency_ms=0.1))
        p1 = out["probability"].values[1]
        label = 1.0 if rng.random() < (0.8 * p1 + 0.1) else 0.0
        if i % 7:  # some predictions never get an outcome
            outcomes.append({"prediction_id": f"p{i}", "fraud": label, "hour": i // 100,
                             "prediction": outputs["prediction"], "p1": p1})
    sink.write(records)
    pq.write_table(pa.Table.from_pylist([{k: o[k] for k in ("prediction_id", "fraud")} for o in outcomes]),
                   tmp_path / "outcomes.parquet")
    return tmp_path / "logs", tmp_path / "outcomes.parquet", outcomes


def test_classification_metrics_equal_sklearn(tmp_path, capsys):
    logs, outcomes, truth = log_demo_predictions(tmp_path)
    code = cli.main(["monitor", "--predictions", str(logs), "--outcomes", str(outcomes),
                     "--label", "fraud", "--window", "1h", "--json"])
    out = capsys.readouterr().out
    assert code == 0
    reports = json.loads(out)
    assert [r["window_start"][:13] for r in reports] == ["2026-01-01T00", "2026-01-01T01", "2026-01-01T02"]
    for hour, rep in enumerate(reports):
        rows = [t for t in truth if t["hour"] == hour]
        y = np.array([t["fraud"] for t in rows])
        pred = np.array([t["prediction"] for t in rows])
        p1 = np.array([t["p1"] for t in rows])
        m = rep["metrics"]
        assert m["count"] == len(rows)
        assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), rel=1e-12)
        assert m["log_loss"] == pytest.approx(skm.log_loss(y, np.c_[1 - p1, p1], labels=[0, 1]), rel=1e-9)
        assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p1), rel=1e-12)
        assert m["precision"] == pytest.approx(skm.precision_score(y, pred, zero_division=0), rel=1e-12)
        assert m["recall"] == pytest.approx(skm.recall_score(y, pred, zero_division=0), rel=1e-12)
    drift = [r["drift_psi"]["amount"] for r in reports]
    assert drift[0] == pytest.approx(0.0) and drift[2] > 0.25 > drift[1]  # the drifted hour shows


def test_regression_metrics_equal_sklearn(tmp_path, capsys):
    rng = np.random.default_rng(3)
    y = rng.uniform(0, 50, 200)
    pred = np.maximum(y + rng.normal(0, 3, 200), -0.9)
    pred[:3] = [-0.5, 0.0, 1.0]
    records = [PredictionRecord.build(
        prediction_id=f"r{i}", model="eta", version="7", arm="production", partition=None,
        timestamp_ms=T0 + i * 1000, inputs={"x": float(i)}, outputs={"prediction": float(pred[i])},
        error=None, latency_ms=0.1) for i in range(200)]
    ParquetSink(str(tmp_path / "logs")).write(records)
    (tmp_path / "out.jsonl").write_text("".join(
        json.dumps({"id": f"r{i}", "minutes": float(y[i])}) + "\n" for i in range(200)))
    code = cli.main(["monitor", "--predictions", str(tmp_path / "logs"), "--outcomes",
                     str(tmp_path / "out.jsonl"), "--key", "id", "--label", "minutes", "--json"])
    (rep,) = json.loads(capsys.readouterr().out)
    assert code == 0 and rep["task"] == "regression" and rep["version"] == "7"
    m = rep["metrics"]
    assert m["r2"] == pytest.approx(skm.r2_score(y, pred), rel=1e-12)
    assert m["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)), rel=1e-12)
    assert m["mae"] == pytest.approx(skm.mean_absolute_error(y, pred), rel=1e-12)
    assert m["rmsle"] == pytest.approx(np.sqrt(skm.mean_squared_log_error(y, pred)), rel=1e-12)


def test_table_charts_and_prometheus(tmp_path, capsys):
    logs, outcomes, _ = log_demo_predictions(tmp_path, n=120)
    textfile = tmp_path / "live.prom"
    code = cli.main(["monitor", "--predictions", str(logs), "--outcomes", str(outcomes),
                     "--label", "fraud", "--charts", str(tmp_path / "charts"),
                     "--textfile", str(textfile)])
    out = capsys.readouterr().out
    assert code == 0 and "fraud v1" in out and "accuracy=" in out
    assert (tmp_path / "charts/accuracy.png").read_bytes()[:4] == b"\x89PNG"
    text = textfile.read_text()
    assert 'servelib_live_metric{metric="accuracy",model="fraud",version="1"}' in text
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "servelib", "monitor", "--predictions", str(logs),
                             "--outcomes", str(outcomes), "--label", "fraud", "--prometheus",
                             str(port), "--serve-seconds", "30"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, 30)
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert 'servelib_live_drift_psi{feature="amount",model="fraud",version="1"}' in body
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_bad_inputs_are_one_line_errors(tmp_path, capsys):
    logs, outcomes, _ = log_demo_predictions(tmp_path, n=20)
    assert cli.main(["monitor", "--predictions", str(logs), "--outcomes", str(outcomes),
                     "--label", "nope"]) == cli.EXIT_ERROR
    assert "no column(s) ['nope']" in capsys.readouterr().err
    assert cli.main(["monitor", "--predictions", str(logs), "--outcomes", str(outcomes),
                     "--label", "fraud", "--window", "soon"]) == cli.EXIT_ERROR
    assert "--window" in capsys.readouterr().err
    start = time.time()
    assert cli.main(["monitor", "--predictions", str(tmp_path / "missing"), "--outcomes",
                     str(outcomes), "--label", "fraud"]) == cli.EXIT_ERROR
    assert "cannot read the predictions" in capsys.readouterr().err and time.time() - start < 10
