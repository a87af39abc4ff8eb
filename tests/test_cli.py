"""The `servelib` command, in-process and as a subprocess, on the committed PySpark fixtures; and
README.md's claims that code can check (the stage list, the library example)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from servelib import cli
from servelib.loaders.registry import supported_classes
from servelib.testing.parity import read_rows
from servelib.vectors import DenseVector, SparseVector

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests/parity/fixtures"
BINARIZER = FIXTURES / "spark-4.3/binarizer_multi_column"
BINARIZER_VEC = FIXTURES / "spark-3.5/binarizer_vector"
DEMO = FIXTURES / "spark-4.3/demo_lr_pipeline"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_subprocess(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "servelib", *map(str, argv)],
        input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# ---- inspect -------------------------------------------------------------------------------
def test_inspect_text_single_stage(capsys):
    code, out, _ = run(capsys, "inspect", BINARIZER / "model")
    assert code == 0
    assert "org.apache.spark.ml.feature.Binarizer" in out
    assert "Spark version:  4.3.0" in out
    assert "a single saved stage" in out
    assert 'thresholds = [0.5, -0.5]' in out
    inputs = out.split("required input columns:")[1].split("output columns:")[0]
    assert re.search(r"^\s+x\s+number\s", inputs, re.M) and re.search(r"^\s+y\s+number\s", inputs, re.M)
    assert "bx, by" in out.split("output columns:")[1]


def test_inspect_json_pipeline(capsys):
    code, out, _ = run(capsys, "inspect", BINARIZER_VEC / "model", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["spark_version"] == "3.5.9"
    assert d["saved_as"] == "PipelineModel"
    assert [s["index"] for s in d["stages"]] == ["0", "1"]
    assert {s["class"] for s in d["stages"]} == {"org.apache.spark.ml.feature.Binarizer"}
    assert d["stages"][0]["params"]["threshold"] == 0.5
    assert d["inputs"] == [
        {"name": "v", "type": "number or vector", "stage": d["stages"][0]["uid"], "param": "inputCol"}
    ]
    assert d["outputs"] == ["pos", "neg"]


def test_inspect_demo_pipeline(capsys):
    code, out, _ = run(capsys, "inspect", DEMO / "model", "--json")
    assert code == 0
    d = json.loads(out)
    assert [s["class"].rsplit(".", 1)[-1] for s in d["stages"]] == [
        "VectorAssembler", "StandardScalerModel", "StringIndexerModel", "OneHotEncoderModel",
        "VectorAssembler", "LogisticRegressionModel",
    ]
    types = {c["name"]: c["type"] for c in d["inputs"]}
    assert types == {"amount": "number, boolean or vector", "age": "number, boolean or vector",
                     "city": "string or number"}
    assert d["outputs"][-3:] == ["rawPrediction", "probability", "prediction"]


# ---- score ---------------------------------------------------------------------------------
def test_score_jsonl_matches_pyspark(capsys, tmp_path):
    rows = [{k: v for k, v in r.items()} for r in read_rows(DEMO / "input.jsonl")]
    src = write_jsonl(tmp_path / "rows.jsonl", rows)
    dst = tmp_path / "out.jsonl"
    code, _, err = run(capsys, "score", DEMO / "model", "--input", src, "--output", dst,
                       "--batch-size", "4")
    assert code == 0, err
    assert f"scored {len(rows)} rows" in err
    got = [json.loads(line) for line in dst.read_text().splitlines()]
    expected = read_rows(DEMO / "expected.jsonl")
    assert [g["prediction"] for g in got] == [e["prediction"] for e in expected]
    for g, e in zip(got, expected):
        assert g["probability"]["type"] == "dense"
        assert g["probability"]["values"] == pytest.approx(e["probability"].toArray().tolist(), rel=1e-9)
        assert g["city_vec"]["type"] == "sparse" and g["city_vec"]["size"] == 5


def test_score_jsonl_vectors_in_and_nan(capsys, tmp_path):
    rows = [
        {"v": {"type": "dense", "values": [0.1, 0.9, float("nan"), 0.0]}},
        {"v": {"type": "sparse", "size": 4, "indices": [1], "values": [2.0]}},
    ]
    src = write_jsonl(tmp_path / "rows.jsonl", rows)
    code, out, err = run(capsys, "score", BINARIZER_VEC / "model", "--input", src)
    assert code == 0, err
    got = [json.loads(line) for line in out.splitlines()]
    expected = read_rows(BINARIZER_VEC / "expected.jsonl")[:2]
    for g, e in zip(got, expected):
        for col in ("pos", "neg"):
            want = e[col]
            assert g[col]["type"] == ("sparse" if isinstance(want, SparseVector) else "dense")
            vec = (SparseVector(g[col]["size"], g[col]["indices"], g[col]["values"])
                   if g[col]["type"] == "sparse" else DenseVector(g[col]["values"]))
            assert vec == want
    assert got[0]["v"]["values"][2] == "NaN"  # the input row comes back, NaN spelled as a string


def test_score_parquet_roundtrip(capsys, tmp_path):
    src = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"amount": [12.5, 980.0, 300.0], "age": [34.0, 19.0, 40.0],
                             "city": ["paris", "berlin", "tokyo"]}), src)
    dst = tmp_path / "out.parquet"
    code, _, err = run(capsys, "score", DEMO / "model", "--input", src, "--output", dst)
    assert code == 0, err
    table = pq.read_table(dst)
    assert table.column("prediction").to_pylist() == [0.0, 1.0, 0.0]
    assert table.column("city_idx").to_pylist()[2] == 5.0  # unseen city: handleInvalid="keep"
    # parquet in, JSON lines out
    code, out, _ = run(capsys, "score", DEMO / "model", "--input", src)
    assert [json.loads(line)["prediction"] for line in out.splitlines()] == [0.0, 1.0, 0.0]


def test_score_jsonl_to_parquet(capsys, tmp_path):
    src = write_jsonl(tmp_path / "rows.jsonl", [{"amount": 980.0, "age": 19.0, "city": "berlin"}])
    dst = tmp_path / "out.parquet"
    assert run(capsys, "score", DEMO / "model", "-i", src, "-o", dst)[0] == 0
    table = pq.read_table(dst)
    assert table.column("prediction").to_pylist() == [1.0]
    assert table.column("probability")[0].as_py()["type"] == 1  # VectorUDT layout, dense


def test_score_bad_row_names_line_and_column(capsys, tmp_path):
    src = write_jsonl(tmp_path / "rows.jsonl", [
        {"amount": 1.0, "age": 30.0, "city": "paris"},
        {"amount": None, "age": 30.0, "city": "paris"},  # VectorAssembler: Spark fails on null
    ])
    code, _, err = run(capsys, "score", DEMO / "model", "--input", src)
    assert code == cli.EXIT_ERROR
    assert err.startswith("servelib: error:") and "line 2" in err and "'amount'" in err
    assert "Traceback" not in err


def test_score_not_json(capsys, tmp_path):
    src = tmp_path / "rows.jsonl"
    src.write_text('{"amount": 1.0}\nnot json\n')
    code, _, err = run(capsys, "score", DEMO / "model", "--input", src)
    assert code == cli.EXIT_ERROR and "line 2" in err and "not JSON" in err


def test_missing_model_and_input(capsys, tmp_path):
    code, _, err = run(capsys, "inspect", tmp_path / "nope")
    assert code == cli.EXIT_ERROR and "does not exist" in err
    code, _, err = run(capsys, "score", DEMO / "model", "--input", tmp_path / "nope.jsonl")
    assert code == cli.EXIT_ERROR and "does not exist" in err


# ---- as a program --------------------------------------------------------------------------
def test_subprocess_inspect_and_score_stdin():
    proc = run_subprocess("inspect", BINARIZER_VEC / "model")
    assert proc.returncode == 0, proc.stderr
    assert "Binarizer" in proc.stdout and "3.5.9" in proc.stdout
    proc = run_subprocess("score", DEMO / "model", "--input", "-",
                          stdin='{"amount": 980.0, "age": 19.0, "city": "berlin"}\n')
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["prediction"] == 1.0


def test_subprocess_error_exit_code_without_traceback(tmp_path):
    proc = run_subprocess("inspect", tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("servelib: error:") and "Traceback" not in proc.stderr
    proc = run_subprocess("score", DEMO / "model")  # --input missing: argparse's usage error
    assert proc.returncode == 2 and "--input" in proc.stderr


def test_console_script_entry_point():
    (ep,) = [e for e in entry_points(group="console_scripts") if e.name == "servelib"]
    assert ep.value == "servelib.cli:main"


# ---- README ----------------------------------------------------------------------------------
def test_readme_stage_list_matches_registry():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import readme_stages
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert readme_stages.listed((ROOT / "README.md").read_text()) == supported_classes(), (
        "README.md's stage list is stale: run python scripts/readme_stages.py"
    )


def test_readme_library_example_runs(monkeypatch, capsys):
    text = (ROOT / "README.md").read_text()
    (code,) = re.findall(r"## Use it as a library\n\n```python\n(.*?)```", text, re.S)
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "[0.0, 1.0]" in out
