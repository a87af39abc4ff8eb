"""Params and data columns of the wrong type, shape or range fail as ModelLoadError naming the
stage, the file and the field (issue 9, findings 3 and 4), never as a raw Python error and never
as a model that loads and scores something else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import servelib
from servelib.errors import ModelLoadError
from tests.loaders.corrupt import copy_model, edit_rows, set_param, stage


def _fails(model: Path, *words: str) -> ModelLoadError:
    with pytest.raises(ModelLoadError) as err:
        servelib.load(model)
    for word in words:
        assert word in str(err.value), str(err.value)
    return err.value


@pytest.mark.parametrize("value", ["abc", None, [0.5], True, 1.5, -0.1, "NaN"])
def test_lr_threshold_must_be_a_double_in_0_1(tmp_path, value):
    model = copy_model("lr_binomial", tmp_path)
    set_param(model, "threshold", value)
    err = _fails(model, "threshold", "LogisticRegression")
    assert err.path.endswith("metadata")


@pytest.mark.parametrize("value", ["Inf", "-Inf", 0.0, 1.0, 0.25])
def test_lr_threshold_in_spark_json_spellings_loads(tmp_path, value):
    model = copy_model("lr_binomial", tmp_path)
    set_param(model, "threshold", value)
    if isinstance(value, str):
        _fails(model, "threshold")  # Spark's inRange(0, 1) refuses infinities too
    else:
        servelib.load(model)


def test_linear_svc_threshold_null(tmp_path):
    model = copy_model("linear_svc", tmp_path)
    set_param(model, "threshold", None)
    _fails(model, "threshold")


@pytest.mark.parametrize("value", [None, "a", [1, 2], ["a", None]])
def test_input_cols_must_be_a_list_of_strings(tmp_path, value):
    model = copy_model("demo_lr_pipeline", tmp_path)
    set_param(stage(model, "0_VectorAssembler"), "inputCols", value)
    _fails(model, "inputCols", "VectorAssembler")


@pytest.mark.parametrize("value", ["yes", 1, None, "true"])
def test_with_mean_must_be_a_json_boolean(tmp_path, value):
    """Finding 4: ``withMean: "yes"`` was taken as true and scored centred values."""
    model = copy_model("demo_lr_pipeline", tmp_path)
    set_param(stage(model, "StandardScaler"), "withMean", value)
    _fails(model, "withMean", "StandardScaler")


@pytest.mark.parametrize("value", [5, "a", {"x": 1}, [1, 2]])
def test_index_to_string_labels_must_be_strings(tmp_path, value):
    model = copy_model("index_to_string_labels", tmp_path)
    set_param(model, "labels", value)
    _fails(model, "labels", "IndexToString")


@pytest.mark.parametrize("value", [None, [None], [["a", None]], [[1, 2]]])
def test_labels_array_must_be_lists_of_strings(tmp_path, value):
    model = copy_model("string_indexer_multi_keep", tmp_path)

    def change(rows: list[dict[str, Any]]) -> None:
        rows[0]["labelsArray"] = value
    edit_rows(model / "data", change, keep_schema=False)
    err = _fails(model, "labelsArray", "StringIndexer")
    assert err.path.endswith("data")


@pytest.mark.parametrize(("field", "delta"), [("numCols", 1), ("numCols", -1), ("numRows", 1)])
def test_lr_coefficient_matrix_shape_must_match_its_values(tmp_path, field, delta):
    model = copy_model("lr_binomial", tmp_path)

    def change(rows: list[dict[str, Any]]) -> None:
        rows[0]["coefficientMatrix"][field] += delta
    edit_rows(model / "data", change)
    _fails(model, "coefficientMatrix", "LogisticRegression")


def test_lr_num_features_must_match_the_coefficients(tmp_path):
    model = copy_model("lr_binomial", tmp_path)
    edit_rows(model / "data", lambda rows: rows[0].__setitem__("numFeatures", 99))
    _fails(model, "numFeatures")


def test_lr_sparse_matrix_indices_in_range(tmp_path):
    model = copy_model("lr_multinomial_sparse_csc", tmp_path, "spark-3.5")
    st = stage(model, "LogisticRegression")

    def change(rows: list[dict[str, Any]]) -> None:
        matrix = rows[0]["coefficientMatrix"]
        assert matrix["type"] == 0
        matrix["rowIndices"][0] = 99999
    edit_rows(st / "data", change)
    _fails(model, "coefficientMatrix")


def test_unused_spark_param_of_the_wrong_type_is_refused_like_spark(tmp_path):
    """DefaultParamsReader decodes every param, used or not: maxIter "abc" fails in Spark."""
    model = copy_model("lr_binomial", tmp_path)
    set_param(model, "maxIter", "abc")
    _fails(model, "maxIter")


def test_elementwise_product_sparse_scaling_vec_is_bounded(tmp_path):
    model = copy_model("elementwise_product", tmp_path)
    set_param(model, "scalingVec", {"type": 0, "size": 10**12, "indices": [], "values": []})
    _fails(model, "scalingVec")


def test_vector_indexer_category_indices(tmp_path):
    model = copy_model("vector_indexer_keep", tmp_path)

    def change(rows: list[dict[str, Any]]) -> None:
        feature, mapping = rows[0]["categoryMaps"][0]
        rows[0]["categoryMaps"][0] = (feature, [(k, v + 5) for k, v in mapping])
    edit_rows(model / "data", change)
    _fails(model, "categoryMaps")


def test_string_data_that_is_not_utf8(tmp_path):
    """Parquet does not check that a string column holds UTF-8; the loader does."""
    model = copy_model("string_indexer_multi_keep", tmp_path)
    (part,) = (model / "data").glob("*.parquet")
    table = pq.read_table(part)
    labels = pa.array([[[b"\xff\xfe"]]], pa.list_(pa.list_(pa.binary())))
    bad = labels.view(pa.list_(pa.list_(pa.string())))  # reinterpreted, not validated
    pq.write_table(table.set_column(table.column_names.index("labelsArray"), "labelsArray",
                                    bad.cast(table.schema.field("labelsArray").type)), part)
    err = _fails(model, "corrupt Parquet file")
    assert err.path.endswith(".parquet")
