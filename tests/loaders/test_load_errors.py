"""Loading errors name the path; unknown classes name the class and the supported list; bad
paths, undecodable or deeply nested metadata and mismatched stage uids are ModelLoadErrors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import servelib
from servelib.errors import ModelLoadError, UnsupportedStage
from servelib.loaders.registry import supported_classes
from tests.loaders.corrupt import copy_model, edit_meta, meta_file, stage
from tests.parity.test_golden import FIXTURES

NESTED = FIXTURES / "spark-3.5" / "nested_pipeline" / "model"


def _meta_file(stage_dir: Path) -> Path:
    (part,) = [p for p in (stage_dir / "metadata").iterdir() if p.name.startswith("part-")]
    return part


def test_missing_directory_names_the_path(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist") as err:
        servelib.load(str(tmp_path / "nope"))
    assert "nope" in str(err.value)


def test_directory_without_metadata(tmp_path):
    with pytest.raises(ModelLoadError, match="no metadata/ directory"):
        servelib.load(str(tmp_path))


def test_spark_connect_model_is_named(tmp_path):
    """pyspark.ml.connect's saveToLocal writes metadata.json (and the core model beside it)."""
    meta = {"class": "pyspark.ml.connect.feature.StandardScalerModel", "type": "spark_connect",
            "uid": "StandardScaler_d0e8b84a377e", "sparkVersion": "3.5.9", "paramMap": {},
            "defaultParamMap": {}, "core_model_path": "StandardScalerModel.arrow.parquet"}
    (tmp_path / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="pyspark.ml.connect model"):
        servelib.load(str(tmp_path))


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


@pytest.mark.parametrize("path", [None, 123, 1.5, b"/tmp", ["/tmp"]])
def test_a_path_that_is_no_str_or_pathlike_is_a_type_error(path):
    with pytest.raises(TypeError, match="path"):
        servelib.load(path)


def test_pathlike_loads():
    assert servelib.load(NESTED).uid == servelib.load(str(NESTED)).uid


@pytest.mark.parametrize("path", ["", "/tmp/a\0b", "/" + "x" * 5000, "x" * 300])
def test_bad_paths_are_model_load_errors(path):
    with pytest.raises(ModelLoadError) as err:
        servelib.load(path)
    assert len(str(err.value)) < 400  # the path is shortened in the message


def test_metadata_that_is_not_utf8(tmp_path):
    model = shutil.copytree(NESTED, tmp_path / "m")
    _meta_file(model).write_bytes(b'{"class": "\xff\xfe"}')
    with pytest.raises(ModelLoadError, match="not UTF-8") as err:
        servelib.load(str(model))
    assert "metadata" in err.value.path


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deeply_nested_metadata(tmp_path, depth):
    model = shutil.copytree(NESTED, tmp_path / "m")
    meta = _meta_file(model)
    raw = json.loads(meta.read_text())
    raw["paramMap"]["deep"] = "@"
    meta.write_text(json.dumps(raw).replace('"@"', "[" * depth + "]" * depth))
    with pytest.raises(ModelLoadError, match="nested") as err:
        servelib.load(str(model))
    assert "metadata" in err.value.path


@pytest.mark.parametrize("value", ["[1, 2]", "5", '"x"', "null"])
def test_metadata_that_is_not_an_object(tmp_path, value):
    model = shutil.copytree(NESTED, tmp_path / "m")
    _meta_file(model).write_text(value)
    with pytest.raises(ModelLoadError, match="corrupt metadata JSON"):
        servelib.load(str(model))


@pytest.mark.parametrize(("key", "value"), [("class", 5), ("uid", None), ("sparkVersion", []),
                                            ("paramMap", [1]), ("defaultParamMap", "x")])
def test_metadata_keys_of_the_wrong_type(tmp_path, key, value):
    model = shutil.copytree(NESTED, tmp_path / "m")
    edit_meta(model, lambda raw: raw.__setitem__(key, value))
    with pytest.raises(ModelLoadError, match=key):
        servelib.load(str(model))


def test_stage_uid_must_match_stage_uids(tmp_path):
    model = copy_model("demo_lr_pipeline", tmp_path)
    scaler = stage(model, "StandardScaler")
    edit_meta(scaler, lambda raw: raw.__setitem__("uid", "StandardScaler_000000000000"))
    with pytest.raises(ModelLoadError, match="stageUids says") as err:
        servelib.load(model)
    assert str(scaler) in str(err.value)


@pytest.mark.parametrize("value", [5, None, [1, 2], "abc", [["a"]]])
def test_stage_uids_of_the_wrong_type(tmp_path, value):
    model = copy_model("demo_lr_pipeline", tmp_path)
    edit_meta(model, lambda raw: raw["paramMap"].__setitem__("stageUids", value))
    with pytest.raises(ModelLoadError, match="stageUids"):
        servelib.load(model)


def test_a_pipeline_nested_in_itself_stops_at_the_depth_limit(tmp_path):
    model = shutil.copytree(NESTED, tmp_path / "m")
    inner = sorted((model / "stages").iterdir())[0]
    uid = json.loads(meta_file(model).read_text())["uid"]
    edit_meta(model, lambda raw: raw["paramMap"].__setitem__("stageUids", [uid]))
    for child in (model / "stages").iterdir():
        shutil.rmtree(child)
    (model / "stages" / f"0_{uid}").symlink_to(model, target_is_directory=True)
    assert not inner.exists()
    with pytest.raises(ModelLoadError, match="max_pipeline_depth"):
        servelib.load(model)


def test_an_unknown_class_is_unsupported_before_its_params_are_checked(tmp_path):
    model = shutil.copytree(NESTED, tmp_path / "m")
    stage_dir = sorted((model / "stages").iterdir())[-1]

    def change(raw: dict) -> None:
        raw["class"] = "org.apache.spark.ml.classification.NoSuchModel"
        raw["paramMap"]["stepSize"] = 2.0  # outside GBT's (0, 1]
    edit_meta(stage_dir, change)
    with pytest.raises(UnsupportedStage):
        servelib.load(model)
