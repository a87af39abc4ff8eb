"""`servelib parity` on a model that matches Spark and on a deliberately altered copy; with Spark
output saved earlier (no JVM) here, live PySpark in the parity envs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from servelib import cli
from servelib.jsonrows import dumps
from servelib.scorefile import rows_to_table
from servelib.testing.parity import read_rows
from tests.test_cli import DEMO, FIXTURES, run

SKIPPER = FIXTURES / "spark-4.3/string_indexer_alpha_desc_skip"


def expected_parquet(fixture: Path, dst: Path) -> Path:
    """The Spark output make_fixtures recorded, as Parquet (vectors in VectorUDT layout)."""
    pq.write_table(rows_to_table(read_rows(fixture / "expected.jsonl")), dst)
    return dst


def altered_demo(tmp_path: Path) -> Path:
    """The demo pipeline with its LR intercept moved by 0.5: loads fine, scores differently."""
    model = shutil.copytree(DEMO / "model", tmp_path / "altered")
    (data,) = model.glob("stages/5_*/data/*.parquet")
    table = pq.read_table(data)
    rows = table.to_pylist()
    rows[0]["interceptVector"]["values"][0] += 0.5
    pq.write_table(type(table).from_pylist(rows, schema=table.schema), data)
    return model


def test_matching_model_exits_0(capsys, tmp_path):
    expected = expected_parquet(DEMO, tmp_path / "spark.parquet")
    code, out, err = run(capsys, "parity", DEMO / "model", DEMO / "input.jsonl",
                         "--expected", expected, "--key", "_row")
    assert code == 0, out + err
    assert out.startswith("PARITY") and "probability" in out


def test_altered_model_exits_1_and_names_columns_and_rows(capsys, tmp_path):
    expected = expected_parquet(DEMO, tmp_path / "spark.parquet")
    code, out, _ = run(capsys, "parity", altered_demo(tmp_path), DEMO / "input.jsonl",
                       "--expected", expected, "--key", "_row", "--json")
    assert code == cli.MISMATCH
    report = json.loads(out)
    assert report["parity"] is False
    by_name = {c["name"]: c for c in report["columns"]}
    assert by_name["probability"]["mismatches"] > 0 and by_name["rawPrediction"]["mismatches"] > 0
    assert by_name["city_idx"]["mismatches"] == 0  # stages before the LR still agree
    first = by_name["probability"]["first_mismatches"][0]
    assert {"row", "servelib", "spark"} <= set(first)


def test_rtol_decides(capsys, tmp_path):
    expected = expected_parquet(DEMO, tmp_path / "spark.parquet")
    args = ("parity", altered_demo(tmp_path), DEMO / "input.jsonl", "--expected", expected,
            "--key", "_row")
    assert run(capsys, *args)[0] == cli.MISMATCH
    code, out, _ = run(capsys, *args, "--rtol", "100", "--show", "1")  # anything goes
    assert code == 0, out


def test_rows_skipped_by_one_side_are_a_mismatch(capsys, tmp_path):
    spark = tmp_path / "spark.jsonl"  # Spark's output, but pretending Spark kept every row
    rows = read_rows(SKIPPER / "input.jsonl")
    spark.write_text("".join(dumps({**r, "color_idx": 0.0}) + "\n" for r in rows))
    code, out, _ = run(capsys, "parity", SKIPPER / "model", SKIPPER / "input.jsonl",
                       "--expected", spark, "--key", "_row")
    assert code == cli.MISMATCH and "rows only Spark kept" in out


def test_bad_usage_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "parity", DEMO / "model", tmp_path / "none.jsonl",
                       "--expected", tmp_path / "x.jsonl")
    assert code == cli.EXIT_ERROR and "does not exist" in err
    other = tmp_path / "other.jsonl"
    other.write_text('{"unrelated": 1}\n')
    code, _, err = run(capsys, "parity", DEMO / "model", DEMO / "input.jsonl", "--expected", other)
    assert code == cli.EXIT_ERROR and "none of the model's output columns" in err
    code, _, err = run(capsys, "parity", DEMO / "model", DEMO / "input.jsonl", "--expected", other,
                       "--key", "nope")
    assert code == cli.EXIT_ERROR and "'nope'" in err


@pytest.mark.parity
@pytest.mark.skipif(os.environ.get("SERVELIB_PARITY_LIVE") != "1", reason="needs live PySpark")
def test_live_pyspark_parity(capsys):
    fixture = FIXTURES / "spark-4.3/demo_lr_pipeline"
    code, out, err = run(capsys, "parity", fixture / "model", fixture / "input.jsonl",
                         "--key", "_row")
    assert code == 0, out + err
