"""xgboost.spark models beyond the parity fixtures: every supported objective against xgboost's
own predictor (bit for bit), the compiled and NumPy walks, trees the engine must handle or
refuse, refusals and error messages. No JVM;
the comparisons need the xgboost package (the [xgboost] extra) and skip without it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import servelib
from servelib.errors import InvalidInput, ModelLoadError, UnsupportedStage
from servelib.transformers.tree import engine
from servelib.transformers.tree.xgboost import XGBTrees, compile_walk
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


@pytest.fixture(params=["numba", "numpy"])
def tree_engine(request, monkeypatch) -> str:
    """Run the test on the compiled engine and on the NumPy fallback."""
    monkeypatch.setattr(engine, "ENGINE", request.param)
    return request.param


def _edge_rows(n: int, seed: int) -> np.ndarray:
    x = _data(n, seed)
    x[::7, 1] = np.inf
    x[::11, 2] = -np.inf
    x[::5, 4] = -0.0
    return x


@pytest.mark.parametrize("missing", [NAN, 0.0, 1.0])
def test_compiled_walk_equals_numpy_walk(tmp_path, missing, monkeypatch):
    """Margins of the compiled kernel and of the NumPy walk, for batches (threads included), the
    row walk and per-row intercepts: the same float32 bits."""
    monkeypatch.setattr(engine, "ENGINE", "numba")
    _, model = _binary_model(tmp_path, missing=missing)
    trees = _stage(model).trees
    x = _edge_rows(engine._THREAD_ROWS + 100 if missing != missing else 2000, 3)  # threads
    dropped = np.where(x == np.float32(missing), np.float32(np.nan), x)
    want = trees.numpy_margins(dropped, None)
    assert trees.margins(dropped, None).tobytes() == want.tobytes()
    base = np.random.default_rng(4).normal(size=x.shape[0]).astype(np.float32)
    assert trees.margins(dropped, base).tobytes() == trees.numpy_margins(dropped, base).tobytes()
    walks = [compile_walk(trees)]
    monkeypatch.setattr(engine, "ENGINE", "numpy")
    walks.append(compile_walk(trees))
    for walk in walks:
        for i in range(200):
            assert walk(x[i], None, np.float32(missing)).tobytes() == want[i].tobytes()
        one = walk(x[0], base[:1].reshape(1, 1), np.float32(missing))
        assert one.tobytes() == trees.numpy_margins(dropped[:1], base[:1]).tobytes()


def _chain(depth: int, groups: int = 1, order: list[list[int]] | None = None) -> XGBTrees:
    """One tree per group: node 2i splits feature i % 3 at i (default left on odd levels), its
    left child 2i + 1 a leaf worth i; the last node a leaf worth -1."""
    nodes = 2 * depth + 1
    left = np.array([v for i in range(depth) for v in (2 * i + 1, 2 * i + 1)] + [nodes - 1])
    right = np.array([v for i in range(depth) for v in (2 * i + 2, 2 * i + 1)] + [nodes - 1])
    default = np.array([v for i in range(depth) for v in ((2 * i + 1) if i % 2 else (2 * i + 2),
                                                           2 * i + 1)] + [nodes - 1])
    feature = np.array([v for i in range(depth) for v in (i % 3, 0)] + [0])
    value = np.array([v for i in range(depth) for v in (i, i)] + [-1], dtype=np.float32)
    count = groups if order is None else max(max(g) for g in order) + 1
    cat = lambda a, step: np.concatenate([a + t * step for t in range(count)])  # noqa: E731
    return XGBTrees(
        roots=np.arange(count) * nodes, left=cat(left, nodes), right=cat(right, nodes),
        default=cat(default, nodes), feature=np.tile(feature, count),
        threshold=np.tile(value, count), value=np.tile(value, count),
        order=np.array(order if order is not None else [[g] for g in range(groups)]),
        base=np.arange(groups, dtype=np.float32) / 4, depth=depth, num_features=3)


def test_a_booster_120_levels_deep_walks(tree_engine):
    trees = _chain(120)
    x = np.array([[500, 500, 500], [np.nan, 500, 500], [500, 500, 119], [500, -5, 500]],
                 dtype=np.float32)
    # all right: the last leaf; NaN goes right at level 0 (even: default right), left at level
    # 3 (odd); 119 < 119 is false at the last split; -5 < 1 at level 1
    assert trees.margins(x, None)[:, 0].tolist() == [-1.0, 3.0, -1.0, 1.0]
    assert compile_walk(trees)(x[3], None, np.float32(np.nan)).tolist() == [1.0]


def test_boosters_without_trees_and_with_padded_groups(tree_engine):
    """trees = []: the margins are the intercepts; a group with fewer trees adds -0.0 pads."""
    empty = XGBTrees(
        roots=np.zeros(0, dtype=np.int64), left=np.zeros(0, dtype=np.int64),
        right=np.zeros(0, dtype=np.int64), default=np.zeros(0, dtype=np.int64),
        feature=np.zeros(0, dtype=np.int64), threshold=np.zeros(0, dtype=np.float32),
        value=np.zeros(0, dtype=np.float32), order=np.zeros((2, 0), dtype=np.int64),
        base=np.array([0.5, -0.0], dtype=np.float32), depth=0, num_features=3)
    x = np.zeros((3, 3), dtype=np.float32)
    got = empty.margins(x, None)
    assert got.tobytes() == np.tile(np.array([0.5, -0.0], dtype=np.float32), 3).tobytes()
    assert compile_walk(empty)(x[0], None, np.float32(0.0)).tobytes() == got[0].tobytes()
    padded = _chain(4, groups=2, order=[[0, 1], [2, -1]])
    x = _edge_rows(50, 9)[:, :3]
    assert padded.margins(x, None).tobytes() == padded.numpy_margins(x, None).tobytes()


def test_a_split_on_a_negative_feature_is_refused_at_load(tmp_path):
    booster, _ = _binary_model(tmp_path / "good")
    data = json.loads(booster.save_raw("json"))
    data["learner"]["gradient_booster"]["model"]["trees"][0]["split_indices"][0] = -3
    with pytest.raises(ModelLoadError, match=r"node 0 splits on feature -3, outside "
                                             r"\[0, num_feature=5\)"):
        servelib.load(_save(tmp_path / "bad", json.dumps(data), _CLF))


@pytest.mark.parametrize("field, value, message", [
    ("feature", 3, "node 0 splits on feature 3"),
    ("left", 10**6, "node 0 has left_children 1000000, not a node"),
    ("right", -7, "node 0 has right_children -7, not a node"),
    ("default", 9, "node 0 has default child 9, not a node"),
    ("roots", 9, "a root outside the node arrays"),
    ("order", 5, "tree order names a tree that is not there"),
])
def test_out_of_range_trees_are_refused(field, value, message):
    trees = _chain(4)
    arrays = {f: getattr(trees, f).copy() for f in ("feature", "left", "right", "default",
                                                     "roots", "order")}
    arrays[field].flat[0] = value
    with pytest.raises(ModelLoadError, match=message):
        dataclasses.replace(trees, **arrays)


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
