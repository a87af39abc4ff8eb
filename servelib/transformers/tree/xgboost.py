"""XGBoost boosters inside PySpark pipelines (``xgboost.spark``), scored without xgboost.

https://github.com/dmlc/xgboost/blob/v3.2.0/python-package/xgboost/spark/core.py (_transform)
https://github.com/dmlc/xgboost/blob/v3.2.0/src/predictor/cpu_predictor.cc
https://github.com/dmlc/xgboost/blob/v3.2.0/src/predictor/predict_fn.h (GetNextNode)

Features: ``vector_to_array(features, "float32")`` (a sparse vector's implicit zeros become 0.0,
ordinary values), or with ``features_cols`` the numeric columns cast to float32 (null -> NaN;
used only when every listed column is present, else featuresCol). A null vector or a vector
whose size is not the booster's ``num_feature`` fails the whole Spark batch: InvalidInput.
A float32 value is missing when it is NaN or equals float32(``missing``) (so with
``missing=0.0`` and ``enable_sparse_data_optim`` zeros, stored or implicit, are missing).
Routing, in float32: missing -> the node's default child, else ``x < split_condition`` goes left.
Margins start at the intercept (or float32(``base_margin_col``)) and add each tree's leaf in
tree order in float32 (``np.cumsum``, sequential like the C++ loop), trees grouped per class.
Outputs (float32 values widened to double, as Spark's array<double> does):

* regressor ``prediction``: the objective's transform of the margin: identity, or the C++
  ``expf``-based ones (``exp``; ``Sigmoid``: ``1 / (expf(min(-x, 88.7f)) + 1 + 1e-16f)``),
  computed with the C library's own ``expf`` so the bits match;
* classifier: binary ``rawPrediction = [-m, m]``, ``probability = [1 - p, p]`` with
  ``p = scipy.special.expit(m)`` (float32 ``1 / (1 + expf(-m))``, again the C library's expf);
  multiclass ``rawPrediction`` = margins and ``probability`` = scipy's ``softmax`` (NumPy
  float32 max, exp, sum, divide, reproduced here); ``prediction = argmax(probability)``.

Spark 3.5 and 4.x score alike (this is xgboost.spark's Python code, not Spark's). Checked bit for
bit against xgboost 3.2's own predictor; boosters saved by xgboost >= 1.6 share the JSON layout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from servelib.transformers.base import OnlineTransformer, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.vectors import VectorColumn

_F32 = np.float32
_COMPILE_LIMIT = 20_000  # nodes; bigger boosters walk single rows with NumPy too
_MAX_COMPILED_DEPTH = 40  # Python's parser caps nested blocks


@dataclass(frozen=True, eq=False)
class XGBTrees:
    """The selected trees of one booster as flat arrays over global node ids.

    A leaf's children (and default child) are the leaf itself, so ``depth`` steps land every row
    on its leaf. ``order`` (groups, trees per group) lists tree numbers class by class in
    boosting order; ``-1`` pads a short group with a ``-0.0`` leaf (``x + -0.0 == x``)."""

    roots: np.ndarray  # (trees,)
    left: np.ndarray  # (nodes,)
    right: np.ndarray
    default: np.ndarray  # child taken by a missing value
    feature: np.ndarray
    threshold: np.ndarray  # float32
    value: np.ndarray  # float32 leaf values
    order: np.ndarray  # (groups, per group) tree numbers, -1 pads
    base: np.ndarray  # (groups,) float32 intercept margins
    depth: int
    num_features: int
    walk_one: Callable[[list], tuple] | None = field(default=None, repr=False)

    @property
    def groups(self) -> int:
        return int(self.order.shape[0])

    def margins(self, x: np.ndarray, base: np.ndarray | None) -> np.ndarray:
        """(rows, groups) float32 margins of float32 rows ``x`` (missing already NaN)."""
        n, groups, width = x.shape[0], self.groups, self.order.shape[1] + 1
        if n == 1 and self.walk_one is not None:  # the walk returns each group's intercept first
            acc = np.array(self.walk_one(x[0].tolist()), dtype=_F32).reshape(1, groups, width)
            if base is not None:
                acc[0, :, 0] = base[0]
        else:
            acc = np.empty((n, groups, width), dtype=_F32)
            acc[:, :, 0] = self.base if base is None else base[:, None]
            leaves = np.append(self._leaves(x), np.full((n, 1), -0.0, dtype=_F32), axis=1)
            acc[:, :, 1:] = leaves[:, self.order]  # -1 picks the -0.0 pad column
        return np.ascontiguousarray(np.cumsum(acc, axis=2, dtype=_F32)[:, :, -1])

    def _leaves(self, x: np.ndarray) -> np.ndarray:
        node = np.broadcast_to(self.roots, (x.shape[0], self.roots.shape[0])).copy()
        rows = np.arange(x.shape[0])[:, None]
        for _ in range(self.depth):
            v = x[rows, self.feature[node]]
            step = np.where(v < self.threshold[node], self.left[node], self.right[node])
            node = np.where(np.isnan(v), self.default[node], step)
        return self.value[node]


def compile_walk(trees: XGBTrees) -> Callable[[list], tuple] | None:
    """One row's values for ``margins``: per group its intercept, then its trees' leaves in
    ``order`` (pads as -0.0), from nested ``if``s over a Python
    list of float32 values: ``<`` on doubles holding float32 values is float32's ``<``; a
    default-left split tests ``not v >= t`` so NaN goes left, a default-right one ``v < t``."""
    if trees.left.shape[0] > _COMPILE_LIMIT or trees.depth > _MAX_COMPILED_DEPTH:
        return None
    consts: dict[str, float] = {}

    def lit(v: float) -> str:
        if np.isfinite(v):
            return repr(float(v))
        name = f"_c{len(consts)}"
        consts[name] = float(v)
        return name

    lines = ["def walk(x):"]

    def emit(t: int, node: int, pad: str) -> None:
        if trees.left[node] == node:
            lines.append(f"{pad}t{t} = {lit(trees.value[node])}")
            return
        v, thr = f"x[{int(trees.feature[node])}]", lit(trees.threshold[node])
        go_left = trees.default[node] == trees.left[node]
        lines.append(f"{pad}if not {v} >= {thr}:" if go_left else f"{pad}if {v} < {thr}:")
        emit(t, int(trees.left[node]), pad + " ")
        lines.append(f"{pad}else:")
        emit(t, int(trees.right[node]), pad + " ")

    for t, root in enumerate(trees.roots.tolist()):
        emit(t, root, " ")
    names = []
    for base, group in zip(trees.base.tolist(), trees.order.tolist()):
        names += [lit(base)] + [f"t{t}" if t >= 0 else "-0.0" for t in group]
    lines.append(f" return ({', '.join(names)},)")
    namespace: dict[str, Any] = dict(consts)
    exec(compile("\n".join(lines), "<xgboost-trees>", "exec"), namespace)  # noqa: S102
    return namespace["walk"]


@dataclass(frozen=True)
class XGBoostModel(OnlineTransformer):
    """Feature handling shared by SparkXGBRegressorModel and SparkXGBClassifierModel."""

    features_col: str = "features"
    features_cols: tuple[str, ...] = ()
    missing: float = float("nan")
    base_margin_col: str = ""
    trees: XGBTrees | None = field(default=None, compare=False, repr=False)

    def input_columns(self) -> Sequence[str]:
        cols = list(self.features_cols) or [self.features_col]
        return cols + ([self.base_margin_col] if self.base_margin_col else [])

    def _margins(self, batch: Batch) -> np.ndarray:
        assert self.trees is not None
        x = self._features(batch)
        if self.missing == self.missing:  # not NaN: that value is missing too
            x[x == _F32(self.missing)] = np.nan
        base = None
        if self.base_margin_col:
            base = batch.floats(self.base_margin_col, self.name)[0].astype(_F32)
        return self.trees.margins(x, base)

    def _features(self, batch: Batch) -> np.ndarray:
        with np.errstate(over="ignore"):  # beyond float32's range -> +-inf, as Java's cast
            return self._float32_features(batch)

    def _float32_features(self, batch: Batch) -> np.ndarray:
        if self.features_cols and all(batch.has(c) for c in self.features_cols):
            x = np.empty((batch.n, len(self.features_cols)), dtype=_F32)
            for j, c in enumerate(self.features_cols):
                col = batch.column(c, self.name)
                if not isinstance(col, VectorColumn) and col.dtype.kind == "b":
                    raise invalid("feature columns must be integral or float/double types, got "
                                  "boolean", self, c, batch, None)
                x[:, j] = batch.floats(c, self.name)[0]  # null -> NaN (missing)
        else:
            vc = batch.vectors(self.features_col, self.name)
            if vc.null is not None and vc.null.any():
                raise invalid("null feature vector (xgboost.spark cannot stack it)", self,
                              self.features_col, batch, int(np.argmax(vc.null)))
            x = vc.dense.astype(_F32)
        assert self.trees is not None
        if batch.n and x.shape[1] != self.trees.num_features:
            raise invalid(f"{x.shape[1]} features but the booster was trained on "
                          f"{self.trees.num_features}", self, self.features_col, batch, None)
        return x


@dataclass(frozen=True)
class SparkXGBRegressorModel(XGBoostModel):
    spark_class: ClassVar[str] = "xgboost.spark.estimator.SparkXGBRegressorModel"

    prediction_col: str = "prediction"
    transform_fn: Callable[[np.ndarray], np.ndarray] | None = field(default=None, compare=False)

    def output_columns(self) -> Sequence[str]:
        return [self.prediction_col] if self.prediction_col else []

    def score_columns(self, batch: Batch) -> Scored:
        if not self.prediction_col:
            return Scored({})
        m = self._margins(batch)[:, 0]
        out = m if self.transform_fn is None else self.transform_fn(m)
        return Scored({self.prediction_col: out.astype(np.float64)})


@dataclass(frozen=True)
class SparkXGBRankerModel(SparkXGBRegressorModel):
    spark_class: ClassVar[str] = "xgboost.spark.estimator.SparkXGBRankerModel"


@dataclass(frozen=True)
class SparkXGBClassifierModel(XGBoostModel):
    spark_class: ClassVar[str] = "xgboost.spark.estimator.SparkXGBClassifierModel"

    raw_prediction_col: str = "rawPrediction"
    prediction_col: str = "prediction"
    probability_col: str = "probability"
    expit: Callable[[np.ndarray], np.ndarray] | None = field(default=None, compare=False)

    def output_columns(self) -> Sequence[str]:
        cols = (self.raw_prediction_col, self.prediction_col, self.probability_col)
        return [c for c in cols if c]

    def score_columns(self, batch: Batch) -> Scored:
        if not (self.raw_prediction_col or self.prediction_col or self.probability_col):
            return Scored({})
        margins = self._margins(batch)
        if margins.shape[1] == 1:  # float32 math, widened exactly into the double columns
            m = margins[:, 0]
            p1 = self.expit(m)  # type: ignore[misc]
            raw = np.empty((m.shape[0], 2))
            raw[:, 0], raw[:, 1] = -m, m
            prob = np.empty((m.shape[0], 2))
            prob[:, 0], prob[:, 1] = _F32(1.0) - p1, p1
            pred = (prob[:, 1] > prob[:, 0]).astype(np.float64)  # argmax; NaN p0 == NaN p1 -> 0
        else:
            shifted = np.exp(margins - np.max(margins, axis=1, keepdims=True))  # scipy's softmax
            prob32 = shifted / np.sum(shifted, axis=1, keepdims=True)
            pred = np.argmax(prob32, axis=1).astype(np.float64)
            raw, prob = margins.astype(np.float64), prob32.astype(np.float64)
        out: dict[str, Any] = {}
        if self.raw_prediction_col:
            out[self.raw_prediction_col] = VectorColumn.of_dense(raw)
        if self.prediction_col:
            out[self.prediction_col] = pred
        if self.probability_col:
            out[self.probability_col] = VectorColumn.of_dense(prob)
        return Scored(out)
