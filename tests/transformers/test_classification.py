"""Classifier logic the parity fixtures do not reach: edge rules of Spark's argmax/softmax,
sparse coefficient patterns, error messages, skipped output columns. No JVM."""

from __future__ import annotations

import numpy as np
import pytest

from servelib.errors import InvalidInput
from servelib.transformers.classification.common import (
    linear_sums,
    softmax,
    spark_argmax,
    threshold_argmax,
)
from servelib.transformers.classification.linear_svc import LinearSVCModel
from servelib.transformers.classification.logistic_regression import LogisticRegressionModel
from servelib.transformers.classification.naive_bayes import ModelType, NaiveBayesModel
from servelib.vectors import DenseVector, SparseVector

NAN, INF = float("nan"), float("inf")


def _lr(**kw) -> LogisticRegressionModel:
    base = dict(num_classes=2, num_features=2, coefficients=np.array([[1.0, -2.0]]),
                intercepts=np.array([0.5]))
    return LogisticRegressionModel("lr", **{**base, **kw})


def test_argmax_nan_only_wins_at_entry_zero():
    m = np.array([[NAN, 5.0, 1.0], [1.0, NAN, 2.0], [2.0, 2.0, NAN], [-INF, NAN, -INF]])
    assert spark_argmax(m).tolist() == [0.0, 2.0, 0.0, 0.0]


def test_threshold_zero_wins_unless_probability_is_zero():
    p = np.array([[0.3, 0.7, 0.0], [0.5, 0.0, 0.5], [NAN, NAN, NAN]])
    t = np.array([0.5, 0.0, 0.5])
    assert threshold_argmax(p, t).tolist() == [1.0, 0.0, 0.0]


def test_softmax_positive_infinity_and_all_negative_infinity():
    out = softmax(np.array([[1.0, INF, 2.0, INF], [-INF, -INF, -INF, -INF]]))
    assert out[0, :3].tolist() == [0.0, 1.0, 0.0]  # first +inf gets 1.0, the rest x * 0.0,
    assert np.isnan(out[0, 3])  # so a later +inf becomes inf * 0.0
    assert np.isnan(out[1]).all()  # exp(-inf - MinValue) sums to 0: 0 * (1 / 0)


def test_linear_sums_ignores_unstored_coefficients():
    x = np.array([[1.0, NAN, 2.0]])
    w = np.array([[0.5, 0.0, 1.5]])
    b = np.array([0.25])
    assert np.isnan(linear_sums(x, w, b)[0, 0])
    stored = np.array([[True, False, True]])
    assert linear_sums(x, w, b, stored)[0, 0] == 0.25 + (0.5 + 3.0)


def test_linear_sums_is_row_independent():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(257, 31))
    w = rng.normal(size=(3, 31))
    b = rng.normal(size=3)
    batch = linear_sums(x, w, b, b_first=True)
    for i in (0, 100, 256):
        assert batch[i].tobytes() == linear_sums(x[i : i + 1], w, b, b_first=True)[0].tobytes()


@pytest.mark.parametrize("features", [31, 300])  # a feature at a time; accumulate past 256
@pytest.mark.parametrize("b_first", [False, True])
def test_linear_sums_add_left_to_right(features, b_first, monkeypatch):
    """Each row's products summed in feature order (Spark's loop), whatever the block size
    and either way of summing; signed zeros, infinities and unstored NaN included."""
    from servelib.transformers.classification import common

    rng = np.random.default_rng(features)
    x = rng.choice([0.1, -0.0, 0.0, 1e300, -1e300, 3.7, INF, -2.25, 1 / 3], (70, features))
    x[5, 3] = NAN
    w = rng.choice([0.5, -0.0, 1e10, -3.0, 1e-300], (2, features))
    b = np.array([0.25, -0.0])
    stored = rng.random((2, features)) < 0.8
    stored[:, 3] = False  # the NaN faces no coefficient
    want = np.empty((70, 2))
    with np.errstate(invalid="ignore", over="ignore"):
        for i in range(70):
            for k in range(2):
                products = [x[i, j] * w[k, j] if stored[k, j] else 0.0 for j in range(features)]
                total = products[0] + b[k] if b_first else products[0]
                for p in products[1:]:
                    total += p
                want[i, k] = total if b_first else total + b[k]
        monkeypatch.setattr(common, "_CHUNK", features * 16)  # blocks of 16 rows
        got = linear_sums(x, w, b, stored, b_first)
    assert got.tobytes() == want.tobytes()


def test_binomial_prediction_paths():
    lr = _lr(threshold=0.3, margin_threshold=float(np.log(0.3 / 0.7)))
    row = {"features": DenseVector([0.0, 0.5])}  # margin -0.5: p1 = 0.377 > 0.3
    out = lr.score_instance(row)
    assert out["rawPrediction"].toArray().tolist() == [0.5, -0.5]
    assert out["prediction"] == 1.0
    only_pred = _lr(raw_prediction_col="", probability_col="", threshold=0.4,
                    margin_threshold=float(np.log(0.4 / 0.6)))
    assert set(only_pred.score_instance(row)) == {"features", "prediction"}
    assert only_pred.score_instance(row)["prediction"] == 0.0


def test_all_output_columns_empty_is_a_no_op():
    lr = _lr(raw_prediction_col="", probability_col="", prediction_col="")
    assert lr.output_columns() == ()
    assert lr.score_instance({"features": None}) == {"features": None}


def test_null_and_wrong_size_name_column_and_stage():
    lr = _lr()
    with pytest.raises(InvalidInput, match="null feature vector") as err:
        lr.score_instance({"features": None})
    assert err.value.column == "features" and "LogisticRegressionModel(lr)" in str(err.value)
    with pytest.raises(InvalidInput, match="size 3 but the model expects 2"):
        lr.score_instance({"features": DenseVector([1.0, 2.0, 3.0])})


def test_linear_svc_threshold_on_margin():
    svc = LinearSVCModel("svc", num_features=2, coefficients=np.array([[1.0, 1.0]]),
                         intercepts=np.array([0.0]), threshold=0.5)
    out = svc.score_instances([{"features": DenseVector([0.25, 0.25])},
                               {"features": SparseVector(2, [0], [0.75])}])
    assert [r["prediction"] for r in out] == [0.0, 1.0]
    assert "probability" not in out[0]


def _nb(model_type: ModelType, **kw) -> NaiveBayesModel:
    pi = np.log(np.array([0.5, 0.5]))
    theta = np.log(np.array([[0.2, 0.8], [0.6, 0.4]]))
    weights, bias = NaiveBayesModel.linear_form(model_type, pi, theta, None)
    return NaiveBayesModel("nb", num_features=2, model_type=model_type, weights=weights,
                           bias=bias, **kw)


def test_naive_bayes_rejects_with_spark_reasons():
    with pytest.raises(InvalidInput, match=r"nonnegative feature values but found \[1.0,-2.0\]"):
        _nb(ModelType.MULTINOMIAL).score_instance({"features": DenseVector([1.0, -2.0])})
    with pytest.raises(InvalidInput, match=r"0 or 1 feature values but found \(2,\[1\],\[2.0\]\)"):
        _nb(ModelType.BERNOULLI).score_instance({"features": SparseVector(2, [1], [2.0])})
    with pytest.raises(InvalidInput, match="nonnegative"):
        _nb(ModelType.COMPLEMENT).score_instance({"features": DenseVector([NAN, 1.0])})


def test_gaussian_reads_only_the_first_num_features():
    theta = np.array([[0.0, 1.0], [1.0, 0.0]])
    sigma = np.array([[1.0, 2.0], [0.5, 1.0]])
    nb = NaiveBayesModel("nb", num_features=2, model_type=ModelType.GAUSSIAN, weights=theta,
                         bias=np.log([0.5, 0.5]), sigma=sigma,
                         log_var_sum=np.log(sigma).sum(axis=1))
    short = nb.score_instance({"features": DenseVector([0.5, 0.5])})
    longer = nb.score_instance({"features": DenseVector([0.5, 0.5, 99.0])})
    assert short["rawPrediction"] == longer["rawPrediction"]
    with pytest.raises(InvalidInput, match="size 1"):
        nb.score_instance({"features": DenseVector([0.5])})


@pytest.mark.parametrize("multinomial, b_first", [(False, False), (True, False), (True, True)])
def test_lr_margins_over_sparse_entries_are_the_batch_bits(multinomial, b_first):
    """raw_row_entries (HashingTF's rows without their dense list) against linear_sums: the
    same bits, or a decline (zero or NaN margin); unstored coefficients ignore NaN/inf."""
    from servelib.transformers.classification.common import linear_sums

    rng = np.random.default_rng(3)
    classes, size = (3 if multinomial else 1), 2000
    w = rng.normal(size=(classes, size)) * (rng.random((classes, size)) < 0.3)
    stored = w != 0
    b = rng.normal(size=classes)
    model = LogisticRegressionModel("lr", num_features=size, num_classes=max(classes, 2),
                                    multinomial=multinomial, coefficients=w, intercepts=b,
                                    stored=stored, intercept_first=b_first)
    margins = model.raw_row_entries()
    pool = [1.0, 2.0, 0.5, -3.25, 0.0, 1e-300, np.nan, np.inf]
    declined = 0
    for _ in range(300):
        idx = rng.choice(size, size=rng.integers(0, 12), replace=False)
        entries = {int(j): float(rng.choice(pool)) for j in idx}
        x = np.zeros((1, size))
        x[0, list(entries)] = list(entries.values())
        with np.errstate(invalid="ignore", over="ignore"):  # inf * 0, inf - inf
            want = linear_sums(x, w, b, stored, b_first)[0]
        got = margins(entries)
        if got is None:
            declined += 1
            continue
        got = got if multinomial else got[1:]
        assert np.array(got).tobytes() == want.tobytes(), entries
    assert declined < 150
