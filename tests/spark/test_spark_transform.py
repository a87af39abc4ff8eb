"""servelib.spark.transform inside a local Spark (mapInArrow) against PySpark's own
PipelineModel.transform on the same DataFrame: the same rows and output columns."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from servelib.paritycheck import compare
from servelib.spark.live import _from_pyspark, load_with_pyspark, session

pytestmark = [
    pytest.mark.parity,
    pytest.mark.skipif(os.environ.get("SERVELIB_PARITY_LIVE") != "1", reason="needs live PySpark"),
]
FIXTURES = Path(__file__).resolve().parents[1] / "parity/fixtures"


def _rows(df):
    return [{k: _from_pyspark(v) for k, v in r.asDict().items()} for r in df.collect()]


@pytest.mark.parametrize("case", ["demo_lr_pipeline", "string_indexer_alpha_desc_skip"])
def test_mapinarrow_matches_pyspark(case, monkeypatch):
    import pyspark

    from servelib.spark import transform

    line = "spark-4.3" if pyspark.__version__.startswith("4") else "spark-3.5"
    model = str(FIXTURES / line / case / "model")
    root = str(Path(__file__).resolve().parents[2])  # the executors' Python imports servelib too
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    spark = session()
    df = spark.read.json(str(FIXTURES / line / case / "input.jsonl"))
    if case == "demo_lr_pipeline":
        df = df.selectExpr("_row", "cast(amount as double) amount", "cast(age as double) age", "city")
    ours = _rows(transform(df, model))
    theirs = _rows(load_with_pyspark(model).transform(df))
    columns = [c for c in theirs[0] if c != "_row"]
    report = compare(ours, theirs, columns, "_row", rtol=1e-9, atol=0.0, show=3)
    assert report.ok, report
    assert [c.name for c in report.columns] == columns and report.rows == len(theirs)
