"""Corrupt files of the clustering, selection, LSH, MLP/FM/isotonic/AFT, OneVsRest, ALS and
TargetEncoder stages fail as ModelLoadError naming the stage and the field (issue 9's typed
reader), never as a raw Python error or a model that loads and scores something else."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

import servelib

from tests.loaders.corrupt import copy_model, edit_meta, edit_rows, set_param
from tests.loaders.test_param_validation import _fails


@pytest.mark.parametrize("case, name, value", [
    ("kmeans_euclidean", "k", 1),                      # KMeans: k > 1
    ("kmeans_euclidean", "distanceMeasure", "manhattan"),
    ("gaussian_mixture", "k", "3"),
    ("mlp_classifier", "layers", [4]),                 # more than one layer
    ("mlp_classifier", "layers", [4, 0, 3]),           # every size > 0
    ("aft_survival_quantiles", "quantileProbabilities", [0.5, 1.0]),  # (0, 1)
    ("aft_survival_quantiles", "quantileProbabilities", []),
    ("isotonic_antitonic_double", "featureIndex", -1),
    ("bucketed_random_projection_lsh", "bucketLength", 0.0),
    ("target_encoder_binary_keep", "targetType", "ordinal"),
    ("target_encoder_binary_keep", "smoothing", -1.0),
    ("als_nan", "coldStartStrategy", "zero"),
])
def test_bad_param_names_the_param(tmp_path, case, name, value):
    model = copy_model(case, tmp_path)
    set_param(model, name, value)
    err = _fails(model, name)
    assert err.path.endswith("metadata"), err.path


@pytest.mark.parametrize("case, key, value", [
    ("one_vs_rest_lr", "numClasses", "3"),
    ("one_vs_rest_lr", "numClasses", 0),
    ("one_vs_rest_lr", "numClasses", 99),   # no model_3/ ... directory
    ("als_nan", "rank", None),
    ("als_nan", "rank", 7),                 # factors are not of that length
])
def test_bad_metadata_field(tmp_path, case, key, value):
    model = copy_model(case, tmp_path)
    edit_meta(model, lambda raw: raw.__setitem__(key, value))
    _fails(model, "numClasses" if key == "numClasses" else "rank")


def _set_first(column: str, value: Any):
    def change(rows: list[dict[str, Any]]) -> None:
        if rows:
            rows[0][column] = value
    return change


@pytest.mark.parametrize("case, column, value", [
    ("mlp_classifier", "weights", {"type": 1, "size": None, "indices": None, "values": [1.0]}),
    ("fm_regressor", "factors", {"type": 1, "numRows": 2, "numCols": 2, "colPtrs": None,
                                 "rowIndices": None, "values": [1.0], "isTransposed": False}),
    ("isotonic_antitonic_double", "boundaries", [3.0, 1.0, 2.0]),
    ("isotonic_antitonic_double", "predictions", [1.0]),
    ("aft_survival_quantiles", "scale", -1.0),
    ("chisq_selector", "selectedFeatures", [2, 1]),
    ("chisq_selector", "selectedFeatures", [-1]),
    ("minhash_lsh", "randCoefficients", [1, 2, 3]),
    ("kmeans_euclidean", "clusterIdx", 99),
    ("kmeans_euclidean", "clusterCenter", {"type": 1, "size": None, "indices": None,
                                           "values": [float("nan"), 1.0]}),
    ("gaussian_mixture", "weights", [0.5]),
    ("target_encoder_binary_keep", "counts", [-1.0]),
])
def test_bad_data_names_the_column(tmp_path, case, column, value):
    model = copy_model(case, tmp_path)
    edit_rows(model / "data", _set_first(column, value))
    err = _fails(model, column if column not in ("counts", "predictions") else "data")
    assert "data" in err.path


def test_bisecting_kmeans_child_cycle(tmp_path):
    model = copy_model("bisecting_kmeans", tmp_path)

    def change(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if row["children"]:
                row["children"] = [row["index"], *row["children"][1:]]
    edit_rows(model / "data" / "data", change)
    _fails(model, "child")


def test_one_vs_rest_missing_binary_model(tmp_path):
    model = copy_model("one_vs_rest_lr", tmp_path)
    shutil.rmtree(model / "model_1")
    _fails(model, "model_1")


def test_als_cold_start_strategy_is_case_insensitive_as_in_spark(tmp_path):
    """ALSModelParams validates and reads coldStartStrategy lower-cased."""
    model = copy_model("als_nan", tmp_path)
    set_param(model, "coldStartStrategy", "DROP")
    (als,) = servelib.load(model).stages
    assert als.drop_cold
