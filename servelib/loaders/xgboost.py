"""Loaders for ``xgboost.spark`` models. XGBoost4J-Spark models are refused (registry.REFUSED).

xgboost.spark (https://github.com/dmlc/xgboost/blob/v3.2.0/python-package/xgboost/spark/core.py,
SparkXGBModelWriter) writes ``metadata/`` with DefaultParamsWriter (xgboost's own params, the
Python class name ``xgboost.spark.estimator.SparkXGB*Model``) and ``model/``: the booster's JSON
(``save_raw("json")``) cut into chunks, one per line, by ``saveAsTextFile``; the reader joins the
lines of the part files. The booster JSON (learner: objective, learner_model_param.base_score,
attributes.best_iteration; gradient_booster.model: trees, tree_info, iteration_indptr) becomes
flat arrays here. Predict uses trees ``[0, best_iteration + 1)`` rounds when early stopping
recorded ``best_iteration`` (XGBModel._get_iteration_range), else the ``iteration_range`` param.
The intercept is turned into a margin in float32 as the C++ objective does (``ProbToMargin``:
``-logf(1/p - 1)`` for logistic, ``logf`` for log-link objectives), with the C library's
``logf``/``expf`` that libxgboost itself calls.

XGBoost4J-Spark (jvm-packages/xgboost4j-spark/.../XGBoostEstimator.scala, XGBoostModelWriter, v3.x)
saves metadata plus the booster at ``data/model``, UBJSON by default (JSON only with
``.option("format", "json")``; 1.x/2.x used other layouts), and scores differently: only a
SparseVector's stored entries enter its DMatrix (implicit zeros are missing), probability is the
booster's own sigmoid/softmax with ``[1 - p, p]`` taken in double, prediction follows Spark's
thresholds. No real XGBoost4J-Spark save could be produced to verify a reader against, so those
classes raise UnsupportedStage with that reason instead of being guessed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import functools
import json
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from servelib.errors import UnsupportedStage
from servelib.loaders.context import StageContext
from servelib.transformers.tree.xgboost import (
    SparkXGBClassifierModel,
    SparkXGBRankerModel,
    SparkXGBRegressorModel,
    XGBTrees,
    compile_walk,
)

_F32 = np.float32
_LOGIT = {"binary:logistic", "reg:logistic"}  # base: -logf(1/p - 1); value: Sigmoid
_LOG = {"count:poisson", "reg:gamma", "reg:tweedie"}  # base: logf(p); value: expf
_CLASSIFIER = {"binary:logistic", "binary:logitraw", "binary:hinge", "multi:softprob",
               "multi:softmax"}
_RANKER = {"rank:pairwise", "rank:ndcg", "rank:map"}
_REGRESSOR = {"reg:squarederror", "reg:linear", "reg:squaredlogerror", "reg:pseudohubererror",
              "reg:absoluteerror", "reg:quantileerror", "binary:logitraw"} | _LOGIT | _LOG


@functools.cache
def _libm() -> tuple[Callable[[float], float], Callable[[float], float]] | None:
    for name in ("libm.so.6", ctypes.util.find_library("m"), ctypes.util.find_library("c")):
        try:
            lib = ctypes.CDLL(name) if name else None
        except OSError:
            continue
        if lib is not None and hasattr(lib, "expf") and hasattr(lib, "logf"):
            for fn in (lib.expf, lib.logf):
                fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
            return lib.expf, lib.logf
    return None


def _c_math(ctx: StageContext, objective: str) -> tuple[Callable, Callable]:
    found = _libm()
    if found is None:
        raise _unsupported(ctx, f"objective {objective} needs the C library's expf/logf "
                                "(the ones libxgboost calls), which were not found")
    return found


def _sigmoid(expf: Callable[[float], float]) -> Callable[[np.ndarray], np.ndarray]:
    """xgboost common::Sigmoid: ``1 / (expf(min(-x, 88.7f)) + 1 + 1e-16f)`` in float32."""
    def apply(m: np.ndarray) -> np.ndarray:
        neg = -m
        z = np.where(_F32(88.7) < neg, _F32(88.7), neg)  # std::min(-x, 88.7f), NaN stays
        e = np.array([expf(v) for v in z.tolist()], dtype=_F32)
        return _F32(1.0) / ((e + _F32(1.0)) + _F32(1e-16))
    return apply


def _expit(expf: Callable[[float], float]) -> Callable[[np.ndarray], np.ndarray]:
    """scipy.special.expit on float32 (what xgboost.spark applies to margins): its float loop
    is ``1 / (1 + expf(-x))`` in float32 over the C library's expf, so no scipy is needed."""
    def apply(m: np.ndarray) -> np.ndarray:
        e = np.array([expf(v) for v in (-m).tolist()], dtype=_F32)
        return _F32(1.0) / (_F32(1.0) + e)
    return apply


def _exp(expf: Callable[[float], float]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda m: np.array([expf(v) for v in m.tolist()], dtype=_F32)


# The same three on one margin (a Python float holding a float32) for the row kernels: the same
# expf calls and float32 operations on NumPy scalars, so the same bits.
def _sigmoid_one(expf: Callable[[float], float]) -> Callable[[float], float]:
    cap, one, tiny = float(_F32(88.7)), _F32(1.0), _F32(1e-16)

    def apply(m: float) -> float:
        neg = -m
        e = expf(cap if cap < neg else neg)  # NaN compares False and stays, as np.where
        return float(one / ((_F32(e) + one) + tiny))
    return apply


def _expit_one(expf: Callable[[float], float]) -> Callable[[float], float]:
    one = _F32(1.0)
    return lambda m: float(one / (one + _F32(expf(-m))))


def _read_booster(ctx: StageContext) -> dict[str, Any]:
    folder = ctx.mfs.join(ctx.path, "model")
    if not ctx.mfs.is_dir(folder):
        raise ctx.error("no model/ directory (xgboost.spark saves the booster JSON there)")
    parts = [n for n in ctx.mfs.list(folder) if n.startswith("part-")]
    if not parts:
        raise ctx.error("model/ holds no part file")
    # textFile().collect() then "".join: every line break between chunks disappears
    text = "".join("".join(re.split(r"\r\n|\r|\n", ctx.mfs.read_text(ctx.mfs.join(folder, p))))
                   for p in parts)
    try:
        booster = json.loads(text)
        booster["learner"]["gradient_booster"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ctx.error(f"model/ is not an XGBoost JSON booster: {exc}") from exc
    return booster


def _unsupported(ctx: StageContext, reason: str) -> UnsupportedStage:
    return UnsupportedStage(ctx.meta.spark_class, ctx.path, reason=reason)


def _iteration_range(ctx: StageContext, learner: dict, rounds: int) -> tuple[int, int]:
    requested = ctx.param("iteration_range", None)
    if requested is None or int(requested[1]) == 0:
        best = learner.get("attributes", {}).get("best_iteration")
        if best is None:
            return 0, rounds
        if not 0 <= int(best) < rounds:
            raise ctx.error(f"best_iteration {best} outside the booster's {rounds} rounds")
        return 0, int(best) + 1
    begin, end = int(requested[0]), int(requested[1])
    if not 0 <= begin < end <= rounds:
        raise ctx.error(f"iteration_range {requested} outside the booster's {rounds} rounds")
    return begin, end


def _intercept(ctx: StageContext, lmp: dict, objective: str, groups: int) -> np.ndarray:
    raw = lmp.get("base_score", "0.5")
    values = json.loads(raw) if isinstance(raw, str) and raw.startswith("[") else [float(raw)]
    base = np.array(values, dtype=_F32)
    if base.shape[0] == 1:
        base = np.repeat(base, groups)
    if base.shape[0] != groups:
        raise ctx.error(f"base_score {raw} does not have one entry per output ({groups})")
    if objective in _LOGIT:  # LogisticRegression::ProbToMargin, clamped to [1e-6, 1 - 1e-6]
        _, logf = _c_math(ctx, objective)
        eps = _F32(1e-6)
        p = np.minimum(np.maximum(base, eps), _F32(1.0) - eps)
        base = np.array([-_F32(logf(v)) for v in (_F32(1.0) / p - _F32(1.0)).tolist()], _F32)
    elif objective in _LOG:
        _, logf = _c_math(ctx, objective)
        base = np.array([logf(v) for v in base.tolist()], dtype=_F32)
    return base


def _trees(ctx: StageContext, booster: dict, objective: str) -> tuple[XGBTrees, dict[str, Any]]:
    try:
        return _flatten(ctx, booster, objective)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise ctx.error(f"unreadable XGBoost booster JSON in model/: {exc!r}") from exc


def _flatten(ctx: StageContext, booster: dict, objective: str) -> tuple[XGBTrees, dict[str, Any]]:
    learner = booster["learner"]
    gb = learner["gradient_booster"]
    if gb.get("name") != "gbtree":
        raise _unsupported(ctx, f"booster {gb.get('name')!r}: only gbtree is supported "
                                "(dart's tree weights and gblinear are not implemented)")
    model, lmp = gb["model"], learner["learner_model_param"]
    groups = max(int(lmp.get("num_class", 0)), int(lmp.get("num_target", 1)), 1)
    all_trees, info = model["trees"], [int(g) for g in model["tree_info"]]
    indptr = model.get("iteration_indptr")
    if indptr is None:  # before 2.0: one tree per group and parallel tree each round
        per = groups * int(model["gbtree_model_param"].get("num_parallel_tree", 1))
        indptr = list(range(0, len(all_trees) + 1, per))
    begin, end = _iteration_range(ctx, learner, len(indptr) - 1)
    chosen = range(indptr[begin], indptr[end])
    left, right, default, feature, threshold, roots, depths = [], [], [], [], [], [], []
    weight = np.zeros(int(lmp["num_feature"]))
    gain = np.zeros(int(lmp["num_feature"]))
    offset = 0
    for t, tree in enumerate(all_trees):
        if int(tree["tree_param"].get("size_leaf_vector", 1)) > 1:
            raise _unsupported(ctx, "multi-target (vector-leaf) trees are not supported")
        if any(int(s) != 0 for s in tree.get("split_type", [])):
            raise _unsupported(ctx, "categorical splits (feature_types 'c') are not supported")
        lc = np.asarray(tree["left_children"], dtype=np.int64)
        split = lc >= 0
        feats = np.asarray(tree["split_indices"], dtype=np.int64)
        np.add.at(weight, feats[split], 1)
        np.add.at(gain, feats[split], np.asarray(tree["loss_changes"], dtype=np.float64)[split])
        if t not in chosen:
            continue
        ids = np.arange(lc.shape[0]) + offset
        rc = np.asarray(tree["right_children"], dtype=np.int64)
        dl = np.asarray(tree["default_left"], dtype=bool)
        left.append(np.where(split, lc + offset, ids))
        right.append(np.where(split, rc + offset, ids))
        default.append(np.where(split, np.where(dl, lc, rc) + offset, ids))
        feature.append(np.where(split, feats, 0))
        threshold.append(np.asarray(tree["split_conditions"], dtype=np.float64).astype(_F32))
        roots.append(offset)
        depths.append(_depth(lc, rc))
        offset += lc.shape[0]
    per_group = [[k for k, t in enumerate(chosen) if info[t] == g] for g in range(groups)]
    width = max((len(p) for p in per_group), default=0)
    order = np.array([p + [-1] * (width - len(p)) for p in per_group], dtype=np.int64)
    cat = (lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt))
    values = cat(threshold, _F32)  # a leaf's split_condition holds its value
    trees = XGBTrees(
        roots=np.array(roots, dtype=np.int64), left=cat(left, np.int64),
        right=cat(right, np.int64), default=cat(default, np.int64),
        feature=cat(feature, np.int64), threshold=values, value=values,
        order=order.reshape(groups, width), base=_intercept(ctx, lmp, objective, groups),
        depth=max(depths, default=0), num_features=int(lmp["num_feature"]))
    trees = dataclasses.replace(trees, walk_one=compile_walk(trees))
    with np.errstate(invalid="ignore", divide="ignore"):
        average_gain = np.where(weight > 0, gain / weight, 0.0)
    facts = dict(
        num_trees=len(chosen), max_depth=trees.depth, num_nodes=int(trees.left.shape[0]),
        objective=objective, num_features=trees.num_features, num_outputs=groups,
        iteration_range=[begin, end], xgboost_version=booster.get("version"),
        intercept_margin=trees.base.astype(np.float64).tolist(),
        feature_importances=average_gain.tolist(),
        feature_importance_type="gain: average loss reduction per split (xgboost get_score "
                                "'gain', over all trees of the booster)",
        feature_split_counts=weight.astype(int).tolist())
    return trees, facts


def _depth(lc: np.ndarray, rc: np.ndarray) -> int:
    depth, level = 0, [0]
    while True:
        level = [c for n in level if lc[n] >= 0 for c in (int(lc[n]), int(rc[n]))]
        if not level:
            return depth
        depth += 1


def _common(ctx: StageContext) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """Params every xgboost.spark model shares, the booster's objective, and the booster."""
    contrib = ctx.param("pred_contrib_col", None)
    if contrib:
        raise _unsupported(ctx, "pred_contrib_col (SHAP contributions) is not implemented")
    features_cols = tuple(ctx.param("features_cols", None) or ())
    if ctx.param("enable_sparse_data_optim", False) and features_cols:
        raise ctx.error("enable_sparse_data_optim with features_cols (xgboost.spark refuses it)")
    missing = float(ctx.param("missing", math.nan))  # NaN arrives as JSON NaN
    booster = _read_booster(ctx)
    objective = booster["learner"].get("objective", {}).get("name", "")
    kw = dict(features_col=ctx.param("featuresCol", "features"), features_cols=features_cols,
              missing=missing, base_margin_col=ctx.param("base_margin_col", None) or "")
    return kw, objective, booster


def _regression(ctx: StageContext, allowed: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    kw, objective, booster = _common(ctx)
    if objective not in allowed:
        raise _unsupported(ctx, f"objective {objective!r}; supported: {sorted(allowed)}")
    trees, facts = _trees(ctx, booster, objective)
    if trees.groups != 1:
        raise _unsupported(ctx, f"{trees.groups} outputs per row (multi-target regression)")
    transform = transform_one = None
    if objective in _LOGIT:
        expf = _c_math(ctx, objective)[0]
        transform, transform_one = _sigmoid(expf), _sigmoid_one(expf)
    elif objective in _LOG:
        expf = _c_math(ctx, objective)[0]
        transform, transform_one = _exp(expf), expf  # expf's float32 result is the value
    kw.update(trees=trees, transform_fn=transform, transform_one=transform_one,
              prediction_col=ctx.param("predictionCol"))
    return kw, facts


def load_xgb_regressor(ctx: StageContext) -> SparkXGBRegressorModel:
    kw, facts = _regression(ctx, _REGRESSOR)
    return SparkXGBRegressorModel(ctx.uid, **kw, info=ctx.info(**facts))


def load_xgb_ranker(ctx: StageContext) -> SparkXGBRankerModel:
    kw, facts = _regression(ctx, _RANKER)
    return SparkXGBRankerModel(ctx.uid, **kw, info=ctx.info(**facts))


def load_xgb_classifier(ctx: StageContext) -> SparkXGBClassifierModel:
    kw, objective, booster = _common(ctx)
    if objective not in _CLASSIFIER:
        raise _unsupported(ctx, f"objective {objective!r}; supported: {sorted(_CLASSIFIER)}")
    trees, facts = _trees(ctx, booster, objective)
    if trees.groups > 1 and kw["base_margin_col"]:
        raise _unsupported(ctx, "base_margin_col with a multi-class booster (xgboost.spark "
                                "passes one margin per row, which xgboost rejects)")
    expf = _c_math(ctx, objective)[0]
    return SparkXGBClassifierModel(
        ctx.uid, **kw, trees=trees, expit=_expit(expf), expit_one=_expit_one(expf),
        raw_prediction_col=ctx.param("rawPredictionCol", "rawPrediction"),
        prediction_col=ctx.param("predictionCol", "prediction"),
        probability_col=ctx.param("probabilityCol", "probability"),
        info=ctx.info(**facts))
