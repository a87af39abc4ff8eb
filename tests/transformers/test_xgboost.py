"""xgboost.spark models beyond the parity fixtures: every supported objective against xgboost's
own predictor (bit for bit), the one-row and NumPy walks, refusals and error messages. No JVM;
the comparisons need the xgboost package (the [xgboost] extra) and skip without it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import servelib
from servelib.errors import InvalidInput, UnsupportedStage
from servelib.vectors import DenseVector

NAN = float("nan")
_CLF = "xgboost.spark.estimator.SparkXGBClassifierModel"
_REG = "xgboost.spark.estimator.SparkXGBRegressorModel"


def _save(path: Path, booster_json: str, cls: str, **params) -> str:
    """The layout SparkXGBModelWriter writes: metadata/ and model/ holding the JSON in lines."""
    (path / "metadata").mkdir(parents=True)
    (path / "model").mkdir()
    defaults = {"featuresCol": "features", "features_cols": [], "predictionCol": "prediction",
                "probabilityCol": "probability", "rawPredictionCol": "rawPrediction",
                "missing": NAN}
    meta = {"class": cls, "timestamp": 0, "sparkVersion": "4.3.0", "uid": "xgb_1",
            "paramMap": params, "defaultParamMap": defaults}
    (path / "metadata" / "part-00000").write_text(json.dumps(meta))
    chunks = [booster_json[i:i + 997] for i in range(0, len(booster_json), 997)]
    (path / "model" / "part-00000").write_text("\n".join(chunks) + "\n")
    return str(path)


def _data(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype(np.float32)
    x[rng.random(x.shape) < 0.15] = np.nan
    x[rng.random(x.shape) < 0.15] = 0.0
    x[:, 3] = np.round(x[:, 3] * 2)  # values equal to split conditions
    return x


def _stage(model):
    return model.stages[0] if hasattr(model, "stages") else model


_OBJECTIVES = [
    ("reg:squarederror", NAN, {}), ("reg:squarederror", 0.0, {}), ("reg:logistic", NAN, {}),
    ("count:poisson", NAN, {}), ("reg:gamma", NAN, {}), ("reg:tweedie", NAN, {}),
    ("reg:absoluteerror", NAN, {}), ("reg:pseudohubererror", NAN, {}),
    ("binary:logistic", NAN, {}), ("binary:logistic", 0.0, {}), ("binary:logitraw", NAN, {}),
    ("multi:softprob", NAN, {"num_class": 3}),
    ("multi:softmax", NAN, {"num_class": 3, "num_parallel_tree": 2, "subsample": 0.7}),
]


@pytest.mark.parametrize(("objective", "missing", "extra"), _OBJECTIVES,
                         ids=[f"{o}-{m}" for o, m, _ in _OBJECTIVES])
def test_matches_xgboost_bit_for_bit(tmp_path, objective, missing, extra):
    xgb = pytest.importorskip("xgboost")
    special = pytest.importorskip("scipy.special")
    x = _data(600, 0)
    v = np.nan_to_num(x)
    score = v[:, 0] + v[:, 1] * np.clip(v[:, 3], -1, 1)
    count = np.round(np.exp(np.clip(v[:, 0], -2, 2)))
    label = {"reg:logistic": score > 0.2, "count:poisson": count, "reg:gamma": count + 1.0,
             "reg:tweedie": count}.get(objective, score)
    kind = objective.split(":")[0]
    if kind == "binary":
        label = score > 0.2
    elif kind == "multi":
        label = (v[:, 0] > 0) + (v[:, 2] > 0.5).astype(float)
    dm = xgb.DMatrix(x, label=label, missing=missing)
    booster = xgb.train({"objective": objective, "max_depth": 4, "eta": 0.3, "nthread": 1, **extra},
                        dm, 15)
    is_clf = kind in ("binary", "multi")
    model = servelib.load(_save(tmp_path / "m", booster.save_raw("json").decode(),
                                _CLF if is_clf else _REG, missing=missing))
    test = _data(200, 1)
    rows = [{"features": r.astype(np.float64).tolist()} for r in test]
    batch = model.score_instances(rows)
    single = [model.score_instance(r) for r in rows[:50]]
    if not is_clf:
        want = booster.inplace_predict(test, missing=missing).astype(np.float64)
        for got in (batch, single):
            assert np.array_equal([g["prediction"] for g in got], want[: len(got)])
        return
    m = booster.inplace_predict(test, predict_type="margin", missing=missing)
    if m.ndim == 1:  # xgboost.spark's transform_margin
        p1 = special.expit(m)
        raw, prob = np.vstack((-m, m)).T, np.vstack((1.0 - p1, p1)).T
    else:
        raw, prob = m, special.softmax(m, axis=1)
    for got in (batch, single):
        k = len(got)
        assert np.array_equal([g["rawPrediction"].toArray() for g in got], raw[:k])
        assert np.array_equal([g["probability"].toArray() for g in got], prob[:k])
        assert np.array_equal([g["prediction"] for g in got], np.argmax(prob[:k], axis=1))


def _binary_model(tmp_path, **params):
    xgb = pytest.importorskip("xgboost")
    pytest.importorskip("scipy")
    x = _data(300, 2)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 5},
                        xgb.DMatrix(x, label=(np.nan_to_num(x[:, 0]) > 0)), 40)
    return booster, servelib.load(_save(tmp_path / "m", booster.save_raw("json").decode(), _CLF,
                                        **params))


def test_one_row_walk_equals_numpy_walk(tmp_path):
    _, model = _binary_model(tmp_path)
    trees = _stage(model).trees
    assert trees.walk_one is not None
    plain = dataclasses.replace(trees, walk_one=None)
    for row in _data(300, 3):
        row = row[None, :]
        assert np.array_equal(trees.margins(row, None), plain.margins(row, None))


def test_inspect_facts(tmp_path):
    booster, model = _binary_model(tmp_path)
    info = _stage(model).info
    assert info["objective"] == "binary:logistic"
    assert info["num_trees"] == 40 and info["max_depth"] <= 5 and info["num_nodes"] > 40
    gain = booster.get_score(importance_type="gain")
    for f, value in gain.items():
        assert info["feature_importances"][int(f[1:])] == pytest.approx(value, rel=1e-6)
    assert sum(info["feature_split_counts"]) == sum(booster.get_score(importance_type="weight")
                                                    .values())


def test_bad_vectors_name_column_and_stage(tmp_path):
    _, model = _binary_model(tmp_path)
    with pytest.raises(InvalidInput, match="null feature vector") as err:
        model.score_instance({"features": None})
    assert err.value.column == "features" and "SparkXGBClassifierModel" in err.value.stage
    with pytest.raises(InvalidInput, match="trained on 5"):
        model.score_instances([{"features": [1.0, 2.0]}])


def test_pred_contrib_col_is_refused(tmp_path):
    with pytest.raises(UnsupportedStage, match="pred_contrib_col"):
        _binary_model(tmp_path, pred_contrib_col="contrib")


def test_dart_is_refused(tmp_path):
    xgb = pytest.importorskip("xgboost")
    x = _data(100, 4)
    booster = xgb.train({"booster": "dart", "objective": "reg:squarederror"},
                        xgb.DMatrix(x, label=np.nan_to_num(x[:, 0])), 3)
    with pytest.raises(UnsupportedStage, match="dart"):
        servelib.load(_save(tmp_path / "m", booster.save_raw("json").decode(), _REG))


def test_xgboost4j_spark_is_refused_with_the_reason(tmp_path):
    meta = tmp_path / "m" / "metadata"
    meta.mkdir(parents=True)
    (meta / "part-00000").write_text(json.dumps({
        "class": "ml.dmlc.xgboost4j.scala.spark.XGBoostClassificationModel", "uid": "x",
        "sparkVersion": "3.5.1", "paramMap": {}, "defaultParamMap": {}}))
    with pytest.raises(UnsupportedStage, match="XGBoost4J-Spark models have no verified reader"):
        servelib.load(str(tmp_path / "m"))


def test_one_margin_transforms_equal_the_array_ones():
    """The row kernels' per-margin sigmoid/expit/exp give the array versions' float32 bits."""
    from servelib.loaders import xgboost as loader

    found = loader._libm()
    assert found is not None
    expf = found[0]
    rng = np.random.default_rng(5)
    margins = np.concatenate([
        rng.standard_normal(2000).astype(np.float32) * np.float32(30.0),
        rng.integers(0, 2**32, 2000, dtype=np.uint64).astype(np.uint32).view(np.float32),
        np.array([0.0, -0.0, 88.7, -88.7, 88.8, -88.8, 1e-45, np.inf, -np.inf, np.nan],
                 dtype=np.float32),
    ])
    pairs = [(loader._sigmoid(expf), loader._sigmoid_one(expf)),
             (loader._expit(expf), loader._expit_one(expf)),
             (loader._exp(expf), expf)]
    with np.errstate(all="ignore"):
        for array_fn, one_fn in pairs:
            want = array_fn(margins)
            got = np.array([one_fn(m) for m in margins.tolist()], dtype=np.float32)
            assert got.tobytes() == want.tobytes()


def test_row_kernel_takes_vectors_and_matches_xgboost(tmp_path):
    booster, model = _binary_model(tmp_path)
    stage = _stage(model)
    assert stage._kernel is not None
    x = _data(50, 2)
    want = booster.inplace_predict(x)
    for i, row in enumerate(x):
        values = {"features": DenseVector(row)}
        assert stage._kernel(values)
        assert np.float32(values["probability"].values[1]) == want[i]
