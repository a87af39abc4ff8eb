"""The model record: built for every fixture; slot names as Spark's own attribute metadata names
them; coefficients and importances as Spark saved/computed them; the deployment part from the
serving spec; printed by `servelib inspect`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import servelib
from servelib import cli
from servelib.record import deployment_record, feature_report, model_record
from tests.parity.test_golden import CASE_DIRS

FIXTURES = Path(__file__).resolve().parent / "parity/fixtures"
DEMO = FIXTURES / "spark-4.3/demo_lr_pipeline"


@pytest.mark.parametrize("fixture", CASE_DIRS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_has_a_record(fixture):
    model = servelib.load(str(fixture / "model"))
    record = model_record(model, str(fixture / "model"))
    assert record["spark_version"] and record["saved_at"]
    produced = list(model.output_columns())
    assert [o["name"] for o in record["output_types"]] == produced == record["outputs"]
    json.dumps(record, default=str)
    schema_path = fixture / "output_schema.json"
    if not schema_path.exists():
        return
    spark_names = _spark_slot_names(json.loads(schema_path.read_text()))
    for entry in record["feature_report"]:
        if entry["column"] not in produced:
            continue  # attributes the caller's DataFrame carried: unknown when serving
        names = spark_names.get(entry["column"])
        slots = entry["by_slot"][0] if isinstance(entry["by_slot"], list) else entry["by_slot"]
        if names and all(names):
            assert list(slots) == names, entry["stage"]


def _spark_slot_names(schema: dict) -> dict[str, list[str | None]]:
    out = {}
    for f in schema["fields"]:
        attrs = f.get("metadata", {}).get("ml_attr", {})
        if "num_attrs" in attrs and "attrs" in attrs:
            names: list[str | None] = [None] * attrs["num_attrs"]
            for group in attrs["attrs"].values():
                for a in group:
                    names[a["idx"]] = a.get("name")
            out[f["name"]] = names
    return out


def test_linear_coefficients_are_the_saved_ones():
    model = servelib.load(str(DEMO / "model"))
    (entry,) = feature_report(model)
    (data,) = (DEMO / "model").glob("stages/5_*/data/*.parquet")
    saved = pq.read_table(data).to_pylist()[0]
    assert list(entry["by_slot"][0].values()) == saved["coefficientMatrix"]["values"]
    assert entry["intercepts"] == saved["interceptVector"]["values"]
    assert list(entry["by_slot"][0])[:2] == ["scaled_0", "scaled_1"]


def test_tree_importances_are_pysparks():
    facts = json.loads((Path(__file__).parent / "parity/tree_facts.json").read_text())
    fixture = FIXTURES / "spark-4.3/tree_gbt_onehot_pipeline"
    (entry,) = feature_report(servelib.load(str(fixture / "model")))
    line = facts["spark-4.3"]
    key = next(k for k in line if k.startswith("tree_gbt_onehot_pipeline/"))
    spark = line[key]["feature_importances"]
    assert list(entry["by_slot"].values()) == pytest.approx(spark, rel=1e-9, abs=1e-15)


def test_deployment_record_from_the_serving_spec(tmp_path, capsys):
    version = shutil.copytree(DEMO / "model", tmp_path / "fraud/1")
    (version / "serving.json").write_text(json.dumps(
        {"record": {"owner": "risk-team", "training_data": "s3://lake/fraud/2026-11",
                    "metrics": {"auc": 0.91}, "notes": "weekly retrain"}}))
    assert deployment_record(str(version))["owner"] == "risk-team"
    assert cli.main(["inspect", str(version)]) == 0
    out = capsys.readouterr().out
    assert "deployment record (serving spec):" in out and 'owner: "risk-team"' in out
    assert "coefficients of LogisticRegression" in out and "city_vec_paris=" in out
    assert cli.main(["inspect", str(version), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["deployment"]["metrics"] == {"auc": 0.91}
    assert d["output_types"][-1] == {"name": "prediction", "type": "double"}
    assert d["feature_report"][0]["kind"] == "coefficients" and d["stages"][-1]["params"]
