"""The selection, model, clustering, recommendation and tuning stages of issue 10: helpers whose
Spark semantics the parity fixtures cannot reach, and the row path on their fixtures."""

from __future__ import annotations

import bisect
import json
import math
from pathlib import Path

import numpy as np
import pytest

import servelib
from servelib.testing.parity import input_types, read_rows
from servelib.transformers.clustering.kmeans import upper_index
from servelib.transformers.recommendation.als import _int_id
from servelib.transformers.regression.isotonic import _order_key, java_binary_search
from tests.parity.test_golden import CASE_DIRS

# every row of these fixtures but those with a NaN feature (whose NaN result only the batch
# path spells bit for bit) takes the row path
ROW_PATH = {
    "chisq_selector", "univariate_selector", "variance_threshold_selector", "pca",
    "pca_pipeline", "mlp_classifier", "mlp_classifier_pipeline", "fm_classifier", "fm_regressor",
    "isotonic_vector_feature_index", "isotonic_antitonic_double", "aft_survival_quantiles",
    "kmeans_euclidean", "kmeans_cosine", "bisecting_kmeans", "bisecting_kmeans_cosine",
    "gaussian_mixture", "one_vs_rest_lr", "cross_validator_pipeline", "als_nan", "minhash_lsh",
    "bucketed_random_projection_lsh", "target_encoder_binary_keep",
}


def _has_nan(row: dict) -> bool:
    for value in row.values():
        values = getattr(value, "values", value)
        if isinstance(values, float) and math.isnan(values):
            return True
        if isinstance(values, np.ndarray) and np.isnan(values).any():
            return True
    return False


@pytest.mark.parametrize("fixture", [f for f in CASE_DIRS if f.name in ROW_PATH],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_new_stages_take_the_row_path(fixture: Path):
    schema = json.loads((fixture / "schema.json").read_text())
    model = servelib.load(str(fixture / "model")).with_input_types(input_types(schema))
    kernel = model._kernel
    assert kernel is not None
    for row in read_rows(fixture / "input.jsonl"):
        if not _has_nan(row):
            assert kernel(dict(row)), f"row {row['_row']} left the row path"


def test_java_binary_search_orders_like_double_compare():
    keys = [-math.inf, -2.0, -0.0, 0.0, 1.5, math.inf]
    order = [_order_key(k) for k in keys]
    assert order == sorted(order)
    assert java_binary_search(order, -0.0) == 2 and java_binary_search(order, 0.0) == 3
    assert java_binary_search(order, math.nan) == -(len(keys) + 1)  # NaN sorts last
    for x in (-3.0, -1.0, 0.5, 2.0):
        assert java_binary_search(order, x) == -(bisect.bisect_left(keys, x) + 1)


def test_upper_triangular_index_packs_rows():
    n = 4
    packed = [upper_index(n, i, j) for i in range(n) for j in range(i, n)]
    assert packed == list(range(n * (n + 1) // 2))
    assert upper_index(n, 3, 1) == upper_index(n, 1, 3)


@pytest.mark.parametrize("value, expected", [(3, 3), (3.0, 3), (-(2**31), -(2**31))])
def test_als_ids_accept_integral_numbers(value, expected):
    assert _int_id(value) == expected


@pytest.mark.parametrize("value", [1.5, 2**31, math.nan, math.inf, "7", True, None])
def test_als_ids_reject_what_spark_rejects(value):
    with pytest.raises(ValueError, match="Integer range|MUST NOT be Null"):
        _int_id(value)
