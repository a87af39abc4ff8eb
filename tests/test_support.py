"""`servelib inspect` says up front which stages of a model it cannot score, all of them, with
the reason, before trying to load any."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from servelib import cli
from servelib.support import scan

DEMO = Path(__file__).parent / "parity/fixtures/spark-4.3/demo_lr_pipeline/model"


def _set_class(stage: Path, spark_class: str) -> None:
    (part,) = (stage / "metadata").glob("part-*")
    lines = part.read_text().splitlines()
    meta = json.loads(lines[0])
    meta["class"] = spark_class
    part.write_text(json.dumps(meta) + "\n")


def test_every_unsupported_stage_is_listed(tmp_path, capsys):
    model = shutil.copytree(DEMO, tmp_path / "model")
    stages = sorted((model / "stages").iterdir())
    _set_class(stages[1], "org.apache.spark.ml.feature.MadeUpScalerModel")
    _set_class(stages[5], "ml.dmlc.xgboost4j.scala.spark.XGBoostClassificationModel")
    found = scan(str(model))
    assert [s.supported for s in found] == [True, False, True, True, True, False]
    assert cli.main(["inspect", str(model)]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert "2 of 6 stages" in err and "MadeUpScalerModel: no servelib implementation" in err
    assert "XGBoost4J-Spark models have no verified reader" in err


def test_a_supported_model_says_so(capsys):
    assert all(s.supported for s in scan(str(DEMO)))
    assert cli.main(["inspect", str(DEMO)]) == 0
    assert "every stage is supported (6 stages)" in capsys.readouterr().out


def test_docs_stage_table_is_fresh():
    import sys

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "scripts"))
    try:
        import readme_stages
    finally:
        sys.path.remove(str(root / "scripts"))
    assert (root / "docs/stages.md").read_text() == readme_stages.table_markdown(), (
        "docs/stages.md is stale: run python scripts/readme_stages.py")
