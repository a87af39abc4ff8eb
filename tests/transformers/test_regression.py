"""Linear regressors: what the parity fixtures cannot show — error reporting, Spark's family/link
resolution for param combinations without a fixture, the skip of unstored sparse entries, and
the probit tail expression. Expected numbers here are never Spark's scores: they are computed
with the same formula or are error text."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import servelib
from servelib.errors import InvalidInput, UnsupportedStage
from servelib.loaders.context import StageContext
from servelib.loaders.metadata import Metadata
from servelib.loaders.regression import _family_and_link
from servelib.transformers.regression.generalized_linear_regression import (
    GeneralizedLinearRegressionModel,
    Link,
    Projection,
    project,
    unlink,
)
from servelib.transformers.regression.linear_regression import (
    LinearPredictor,
    LinearRegressionModel,
)
from servelib.transformers.attributes import Attribute
from servelib.vectors import DenseVector, SparseVector
from tests.parity.test_golden import FIXTURES

GLR = "org.apache.spark.ml.regression.GeneralizedLinearRegressionModel"


def _ctx(params: dict, defaults: dict | None = None) -> StageContext:
    meta = Metadata(GLR, "glm_1", "3.5.0", params, defaults or {"family": "gaussian"}, "/m", {})
    return StageContext(None, "/m", meta, load_stage=lambda p: None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, (Projection.GAUSSIAN, Link.IDENTITY)),
        ({"family": "Binomial"}, (Projection.BINOMIAL, Link.LOGIT)),
        ({"family": "poisson"}, (Projection.TWEEDIE, Link.LOG)),
        ({"family": "gamma"}, (Projection.TWEEDIE, Link.INVERSE)),
        ({"family": "gamma", "link": "LOG"}, (Projection.TWEEDIE, Link.LOG)),
        # linkPower only counts for tweedie; link only for the other families
        ({"family": "poisson", "linkPower": 0.5}, (Projection.TWEEDIE, Link.LOG)),
        ({"family": "tweedie", "link": "log", "variancePower": 1.5},
         (Projection.TWEEDIE, Link.POWER)),
        # tweedie with variancePower 0/1/2 is Spark's Gaussian/Poisson/Gamma, default link too
        ({"family": "tweedie"}, (Projection.GAUSSIAN, Link.IDENTITY)),
        ({"family": "tweedie", "variancePower": 1.0}, (Projection.TWEEDIE, Link.LOG)),
        ({"family": "tweedie", "variancePower": 2.0}, (Projection.TWEEDIE, Link.INVERSE)),
        ({"family": "tweedie", "variancePower": 0.0, "linkPower": 0.0},
         (Projection.GAUSSIAN, Link.LOG)),
        ({"family": "tweedie", "variancePower": 1.5, "linkPower": -1.0},
         (Projection.TWEEDIE, Link.INVERSE)),
    ],
)
def test_family_and_link_resolution(params, expected):
    _, projection, link, _ = _family_and_link(_ctx(params))
    assert (projection, link) == expected


def test_tweedie_default_power_link():
    _, _, link, power = _family_and_link(_ctx({"family": "tweedie", "variancePower": 1.2}))
    assert link is Link.POWER and power == 1.0 - 1.2  # Tweedie.defaultLink: Power(1 - p)


def test_unsupported_family_link_pair_is_refused():
    with pytest.raises(UnsupportedStage, match="does not support link 'logit'"):
        _family_and_link(_ctx({"family": "gaussian", "link": "logit"}))


def _lr(coefficients, intercept=0.5, stored=None) -> LinearRegressionModel:
    return LinearRegressionModel("linReg_1", predictor=LinearPredictor.of(
        np.asarray(coefficients, float), intercept, stored))


def test_size_mismatch_names_column_stage_and_row():
    model = _lr([1.0, 2.0, 3.0])
    with pytest.raises(InvalidInput) as err:
        model.score_instances([{"features": DenseVector([1.0, 2.0])}])
    assert err.value.column == "features"
    assert err.value.stage == "LinearRegressionModel(linReg_1)"
    assert "size 2" in err.value.reason and "3 coefficients" in err.value.reason


def test_null_vector_is_invalid():
    model = _lr([1.0, 2.0])
    with pytest.raises(InvalidInput) as err:
        model.score_instances([{"features": DenseVector([1.0, 2.0])}, {"features": None}])
    assert err.value.row == 1 and err.value.column == "features"


def test_empty_batch_and_empty_prediction_col():
    import pyarrow as pa

    from servelib.vectors import VECTOR_ARROW_TYPE

    model = _lr([1.0, 2.0])
    table = pa.table({"features": pa.array([], VECTOR_ARROW_TYPE)})
    assert model.transform(table).column("prediction").to_pylist() == []
    silent = LinearRegressionModel("linReg_2", prediction_col="", predictor=model.predictor)
    assert silent.score_instance({"features": None}) == {"features": None}


def test_sparse_coefficients_skip_unstored_nan_features():
    # BLAS.dot(dense x, sparse w) only reads x at w's stored indices
    model = _lr([0.0, 2.0, 0.0], intercept=1.0, stored=[1])
    out = model.score_instance({"features": DenseVector([math.nan, 3.0, math.inf])})
    assert out["prediction"] == 7.0


def test_nonfinite_coefficients_skip_unstored_sparse_entries():
    model = _lr([math.nan, 2.0], intercept=0.0)
    assert model.score_instance({"features": SparseVector(2, [1], [3.0])})["prediction"] == 6.0
    assert math.isnan(model.score_instance({"features": DenseVector([0.0, 3.0])})["prediction"])


def test_dot_sums_left_to_right():
    w = np.array([1e16, 1.0, -1e16, 1.0])
    model = _lr(w, intercept=0.0)
    x = np.ones(4)
    expected = 0.0
    for xi, wi in zip(x, w):
        expected += xi * wi
    assert model.score_instance({"features": DenseVector(x)})["prediction"] == expected


def test_probit_is_breeze_expression_not_an_accurate_cdf():
    eta = np.array([-7.5, -3.0, 0.0, 2.0, np.nan, np.inf, -np.inf])
    ours = unlink(Link.PROBIT, eta)
    expected = [0.5 * (1.0 + math.erf(e / math.sqrt(2.0))) for e in eta]
    np.testing.assert_array_equal(ours, np.array(expected))


def test_projection_clamps():
    mu = np.array([-np.inf, np.inf, 0.0, 1.0, np.nan])
    big = np.finfo(float).max
    np.testing.assert_array_equal(project(Projection.GAUSSIAN, mu), [-big, big, 0.0, 1.0, np.nan])
    np.testing.assert_array_equal(
        project(Projection.BINOMIAL, mu), [1e-16, 1.0 - 1e-16, 1e-16, 1.0 - 1e-16, np.nan])
    np.testing.assert_array_equal(project(Projection.TWEEDIE, mu), [1e-16, big, 1e-16, 1.0, np.nan])


def test_null_offset_gives_null_outputs_without_checking_the_vector():
    model = GeneralizedLinearRegressionModel(
        "glm_1", offset_col="off", link_prediction_col="eta", link=Link.LOG,
        projection=Projection.TWEEDIE, predictor=LinearPredictor.of(np.array([1.0, 1.0]), 0.0))
    out = model.score_instance({"features": None, "off": None})
    assert out["prediction"] is None and out["eta"] is None
    out = model.score_instance({"features": DenseVector([1.0, 2.0, 3.0]), "off": None})
    assert out["prediction"] is None
    with pytest.raises(InvalidInput, match="null feature vector"):
        model.score_instance({"features": None, "off": 1.0})
    with pytest.raises(InvalidInput) as err:
        model.score_instance({"features": DenseVector([1.0]), "off": "x"})
    assert err.value.column == "off"


REGRESSION_FIXTURES = sorted(
    p for p in FIXTURES.glob("spark-*/*")
    if p.name.startswith(("linreg_", "glr_", "regression_")) and (p / "output_schema.json").exists()
)


@pytest.mark.parametrize("fixture", REGRESSION_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_output_attributes_match_spark_metadata(fixture: Path):
    model = servelib.load(str(fixture / "model"))
    ours = model.output_attributes({})
    schema = json.loads((fixture / "output_schema.json").read_text())
    for f in schema["fields"]:
        if f["name"] not in set(model.output_columns()):
            continue
        ml = f.get("metadata", {}).get("ml_attr")
        if ml is None:
            assert f["name"] not in ours, f"{f['name']}: Spark writes no attribute"
        else:  # a NumericAttribute; Spark leaves the name to the column
            assert ml == {} and ours.get(f["name"]) == Attribute("numeric"), f["name"]
