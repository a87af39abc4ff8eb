"""Loaders for ``xgboost.spark`` models. XGBoost4J-Spark models are refused (registry.REFUSED).

xgboost.spark (https://github.com/dmlc/xgboost/blob/v3.2.0/python-package/xgboost/spark/core.py,
SparkXGBModelWriter) writes ``metadata/`` with DefaultParamsWriter (xgboost's own params, the
Python class name ``xgboost.spark.estimator.SparkXGB*Model``) and ``model/``: the booster's JSON
(``save_raw("json")``) cut into chunks, one per line, by ``saveAsTextFile``; the reader joins the
lines of the part files. The booster JSON (learner: objective, learner_model_param.base_score,
attributes.best_iteration; gradient_booster.model: trees, tree_info, iteration_indptr) becomes
flat arrays here, after booster.py has checked its types and tree structure. Predict uses trees ``[0, best_iteration + 1)`` rounds when early stopping
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
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from servelib.loaders.booster import (
    json_float,
    json_int,
    json_object,
    read_booster,
    tree_arrays,
    tree_depths,
    unsupported,
)
from servelib.loaders.context import StageContext
from servelib.loaders.params import (
    BadValue,
    Fields,
    as_bool,
    as_double,
    as_ints,
    as_list,
    as_string,
    as_strings,
    show,
)
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
        raise unsupported(ctx, f"objective {objective} needs the C library's expf/logf "
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


def _iteration_range(ctx: StageContext, learner: Fields, rounds: int) -> tuple[int, int]:
    requested = ctx.params.read("iteration_range", _optional_ints, None)
    if requested is None or requested[1] == 0:
        attributes = json_object(learner.get("attributes", {}), "learner.attributes")
        best = attributes.read("best_iteration", lambda v: json_int(v, 0, rounds - 1), None)
        return (0, rounds) if best is None else (0, best + 1)
    begin, end = requested
    if not 0 <= begin < end <= rounds:
        raise ctx.param_error(f"iteration_range {list(requested)} outside the booster's "
                              f"{rounds} rounds")
    return begin, end


def _optional_ints(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    pair = as_ints(value, 2)
    if len(pair) != 2:
        raise BadValue(f"expected [begin, end], got {show(value)}")
    return pair[0], pair[1]


def _intercept(ctx: StageContext, lmp: Fields, objective: str, groups: int) -> np.ndarray:
    def convert(raw: Any) -> list[float]:
        if isinstance(raw, str) and raw.startswith("["):
            return [json_float(v) for v in raw.strip("[]").split(",") if v.strip()]
        return [json_float(raw)]
    values = lmp.read("base_score", convert, [0.5])
    base = np.array(values, dtype=_F32)
    if base.shape[0] == 1:
        base = np.repeat(base, groups)
    if base.shape[0] != groups:
        raise ctx.error(f"base_score {values[:5]} does not have one entry per output ({groups})",
                        ctx.mfs.join(ctx.path, "model"))
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
    except BadValue as exc:
        raise ctx.error(f"bad XGBoost booster JSON: {exc}",
                        ctx.mfs.join(ctx.path, "model")) from None


def _flatten(ctx: StageContext, booster: dict, objective: str) -> tuple[XGBTrees, dict[str, Any]]:
    limits = ctx.limits
    learner = json_object(booster["learner"], "learner")
    gb = json_object(learner.get("gradient_booster"), "learner.gradient_booster")
    if gb.get("name", None) != "gbtree":
        raise unsupported(ctx, f"booster {show(gb.get('name', None))}: only gbtree is supported "
                                "(dart's tree weights and gblinear are not implemented)")
    model = json_object(gb.get("model"), "gradient_booster.model")
    lmp = json_object(learner.get("learner_model_param"), "learner.learner_model_param")
    num_feature = lmp.read("num_feature", lambda v: json_int(v, 0, limits.max_vector_size))
    all_trees = model.read("trees", lambda v: as_list(v, limits.max_trees))
    if not all_trees:
        raise BadValue("the booster holds no trees (xgboost predicts only base_score; servelib "
                       "refuses such a model)")
    groups = max(lmp.read("num_class", lambda v: json_int(v, 0, len(all_trees)), 0),
                 lmp.read("num_target", lambda v: json_int(v, 1, len(all_trees)), 1), 1)
    info = model.read("tree_info", lambda v: [json_int(g, 0, groups - 1)
                                              for g in as_list(v, 1 << 62)])
    if len(info) != len(all_trees):
        raise BadValue(f"tree_info has {len(info)} entries for {len(all_trees)} trees")
    indptr = model.read("iteration_indptr", lambda v: [json_int(i, 0, len(all_trees))
                                                        for i in as_list(v, 1 << 62)], None)
    if indptr is None:  # before 2.0: one tree per group and parallel tree each round
        param = json_object(model.get("gbtree_model_param"), "gbtree_model_param")
        per = groups * param.read("num_parallel_tree",
                                  lambda v: json_int(v, 1, len(all_trees)), 1)
        indptr = list(range(0, len(all_trees) + 1, per))
    if not indptr or indptr[0] != 0 or indptr[-1] != len(all_trees) or \
            any(a > b for a, b in zip(indptr, indptr[1:])):
        raise BadValue(f"iteration_indptr {show(indptr)} does not split the "
                       f"{len(all_trees)} trees into rounds")
    begin, end = _iteration_range(ctx, learner, len(indptr) - 1)
    chosen = range(indptr[begin], indptr[end])
    if not chosen:
        raise BadValue(f"rounds [{begin}, {end}) hold no trees")
    nodes = [tree_arrays(ctx, json_object(tree, f"tree {t}"), num_feature) for t, tree in
             enumerate(all_trees)]
    depths = tree_depths(nodes, limits.max_nodes, limits.max_tree_depth)
    weight = np.zeros(num_feature)
    gain = np.zeros(num_feature)
    left, right, default, feature, threshold, roots, chosen_depths = [], [], [], [], [], [], []
    offset = 0
    for t, tree in enumerate(nodes):
        lc, feats = tree["left"], tree["feature"]
        split = lc != -1
        np.add.at(weight, feats[split], 1)
        np.add.at(gain, feats[split], tree["gain"][split])
        if t not in chosen:
            continue
        ids = np.arange(lc.shape[0]) + offset
        rc = tree["right"]
        left.append(np.where(split, lc + offset, ids))
        right.append(np.where(split, rc + offset, ids))
        default.append(np.where(split, np.where(tree["default_left"], lc, rc) + offset, ids))
        feature.append(np.where(split, feats, 0))
        threshold.append(tree["condition"].astype(_F32))
        roots.append(offset)
        chosen_depths.append(depths[t])
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
        depth=max(chosen_depths, default=0), num_features=num_feature)
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


def _common(ctx: StageContext) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """Params every xgboost.spark model shares, the booster's objective, and the booster."""
    params = ctx.params
    if params.read("pred_contrib_col", _optional_string, None):
        raise unsupported(ctx, "pred_contrib_col (SHAP contributions) is not implemented")
    features_cols = params.read("features_cols", lambda v: () if v is None else as_strings(
        v, ctx.limits.max_vector_size), ())
    if params.read("enable_sparse_data_optim", _optional_bool, False) and features_cols:
        raise ctx.param_error("enable_sparse_data_optim with features_cols (xgboost.spark "
                              "refuses it)")
    missing = params.read("missing", lambda v: math.nan if v is None else as_double(v), math.nan)
    booster = read_booster(ctx)
    try:
        objective = json_object(booster["learner"].get("objective", {}), "learner.objective"
                            ).read("name", as_string, "")
    except BadValue as exc:
        raise ctx.error(f"bad XGBoost booster JSON: {exc}", ctx.mfs.join(ctx.path, "model")
                        ) from None
    kw = dict(features_col=params.string("featuresCol", "features"), features_cols=features_cols,
              missing=missing,
              base_margin_col=params.read("base_margin_col", _optional_string, None) or "")
    return kw, objective, booster


def _optional_string(value: Any) -> str | None:
    return None if value is None else as_string(value)


def _optional_bool(value: Any) -> bool:
    return False if value is None else as_bool(value)


def _regression(ctx: StageContext, allowed: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    kw, objective, booster = _common(ctx)
    if objective not in allowed:
        raise unsupported(ctx, f"objective {objective!r}; supported: {sorted(allowed)}")
    trees, facts = _trees(ctx, booster, objective)
    if trees.groups != 1:
        raise unsupported(ctx, f"{trees.groups} outputs per row (multi-target regression)")
    transform = transform_one = None
    if objective in _LOGIT:
        expf = _c_math(ctx, objective)[0]
        transform, transform_one = _sigmoid(expf), _sigmoid_one(expf)
    elif objective in _LOG:
        expf = _c_math(ctx, objective)[0]
        transform, transform_one = _exp(expf), expf  # expf's float32 result is the value
    kw.update(trees=trees, transform_fn=transform, transform_one=transform_one,
              prediction_col=ctx.params.string("predictionCol"))
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
        raise unsupported(ctx, f"objective {objective!r}; supported: {sorted(_CLASSIFIER)}")
    trees, facts = _trees(ctx, booster, objective)
    if trees.groups > 1 and kw["base_margin_col"]:
        raise unsupported(ctx, "base_margin_col with a multi-class booster (xgboost.spark "
                                "passes one margin per row, which xgboost rejects)")
    expf = _c_math(ctx, objective)[0]
    return SparkXGBClassifierModel(
        ctx.uid, **kw, trees=trees, expit=_expit(expf), expit_one=_expit_one(expf),
        raw_prediction_col=ctx.params.string("rawPredictionCol", "rawPrediction"),
        prediction_col=ctx.params.string("predictionCol", "prediction"),
        probability_col=ctx.params.string("probabilityCol", "probability"),
        info=ctx.info(**facts))
