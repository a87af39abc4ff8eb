"""Loading errors name the path; unknown classes name the class and the supported list."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import servelib
from servelib.errors import ModelLoadError, UnsupportedStage
from servelib.loaders.registry import supported_classes
from tests.parity.test_golden import FIXTURES

NESTED = FIXTURES / "spark-3.5" / "nested_pipeline" / "model"


def _meta_file(stage_dir: Path) -> Path:
    (part,) = [p for p in (stage_dir / "metadata").iterdir() if p.name.startswith("part-")]
    return part


def test_missing_directory_names_the_path(tmp_path):
    with pytest.raises(ModelLoadError, match="no metadata/ directory") as err:
        servelib.load(str(tmp_path / "nope"))
    assert "nope" in str(err.value)


def test_corrupt_metadata(tmp_path):
    model = shutil.copytree(NESTED, tmp_path / "m")
    _meta_file(model).write_text("{not json")
    with pytest.raises(ModelLoadError, match="corrupt metadata JSON"):
        servelib.load(str(model))


def test_unknown_class_is_unsupported_stage(tmp_path):
    model = shutil.copytree(NESTED, tmp_path / "m")
    stage = sorted((model / "stages").iterdir())[-1]  # the outer pipeline's last Binarizer
    meta = _meta_file(stage)
    raw = json.loads(meta.read_text())
    raw["class"] = "org.example.NotASparkStage"
    meta.write_text(json.dumps(raw))
    with pytest.raises(UnsupportedStage) as err:
        servelib.load(str(model))
    assert err.value.spark_class == "org.example.NotASparkStage"
    assert str(stage) in str(err.value)
    assert err.value.supported == supported_classes()
    assert "org.apache.spark.ml.feature.Binarizer" in str(err.value)


def test_missing_stage_directory(tmp_path):
    model = shutil.copytree(NESTED, tmp_path / "m")
    shutil.rmtree(sorted((model / "stages").iterdir())[-1])
    with pytest.raises(ModelLoadError, match="has no directory"):
        servelib.load(str(model))


def test_file_uri_loads_like_a_path():
    by_uri = servelib.load(NESTED.resolve().as_uri())
    by_path = servelib.load(str(NESTED))
    row = {"x": 0.7}
    assert by_uri.score_instance(row) == by_path.score_instance(row)


def test_nested_pipeline_lists_inputs_and_outputs():
    model = servelib.load(str(NESTED))
    assert list(model.input_columns()) == ["x"]
    assert list(model.output_columns()) == ["b1", "b2"]
