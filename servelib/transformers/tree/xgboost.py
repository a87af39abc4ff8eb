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

The trees, their walks and float32 sums: boosters.py. One row (``row_kernel``): the same float32
features, the same walk and sums, output functions on plain Python floats and NumPy scalars, for
the same bits.

Spark 3.5 and 4.x score alike (this is xgboost.spark's Python code, not Spark's). Checked bit for
bit against xgboost 3.2's own predictor; boosters saved by xgboost >= 1.6 share the JSON layout.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from servelib.transformers.base import (
    ABSENT,
    OnlineTransformer,
    RowKernel,
    Scored,
    invalid,
)
from servelib.transformers.batch import Batch
from servelib.transformers.tree.boosters import XGBTrees, compile_walk
from servelib.vectors import VectorColumn, row_values, vector_of_row

_F32 = np.float32
_ONE = _F32(1.0)
_INT64 = 2**63
_NAN = float("nan")
# One row's float32 margins, (groups,); None: not the kernel's row (XGBoostModel._row_margins)
RowMargins = Callable[[dict[str, Any]], np.ndarray | None]
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

    def _row_margins(self) -> RowMargins | None:
        """The row kernels' half of ``_margins``: float32 features from the same columns (plain
        floats, ints, nulls in ``features_cols``; a vector or a list of floats otherwise), then
        the walk and each group's float32 sum (:data:`RowWalk`)."""
        trees = self.trees
        if trees is None:
            return None
        walk = trees.walk_one if trees.walk_one is not None else compile_walk(trees)
        groups, size = trees.groups, trees.num_features
        margin_col = self.base_margin_col
        if margin_col and groups != 1:
            return None
        frombuffer, missing = np.frombuffer, _F32(self.missing)
        col, cols = self.features_col, self.features_cols

        def features(values: dict[str, Any]) -> list[float] | None:
            if cols:
                out: list[float] = []
                for c in cols:
                    v = values.get(c, ABSENT)
                    cls = v.__class__
                    if cls is float:
                        out.append(v)
                    elif cls is int and -_INT64 <= v < _INT64:
                        out.append(float(v))  # int64 -> double rounds as Python does
                    elif v is None:
                        out.append(_NAN)  # to_floats: null -> NaN, a missing value
                    elif v is ABSENT:
                        break  # not every column: featuresCol, as _float32_features
                    else:
                        return None
                else:
                    return out
            v = values.get(col, ABSENT)
            vec = row_values(v)
            if vec is None and v.__class__ is list and {*map(type, v)} == {float}:
                vec = v  # as_vector's np.asarray of plain floats
            return vec

        def margins(values: dict[str, Any]) -> np.ndarray | None:
            xs = features(values)
            if xs is None or len(xs) != size:
                return None
            try:  # array('f') casts each double as astype(float32) does (overflow -> inf)
                x = frombuffer(array("f", xs), _F32)
            except (TypeError, ValueError, OverflowError):
                return None
            base = None
            if margin_col:
                value = values.get(margin_col, ABSENT)
                if value.__class__ is not float or value != value:
                    return None
                base = frombuffer(array("f", (value,)), _F32).reshape(1, 1)
            return walk(x, base, missing)

        return margins

@dataclass(frozen=True)
class SparkXGBRegressorModel(XGBoostModel):
    spark_class: ClassVar[str] = "xgboost.spark.estimator.SparkXGBRegressorModel"

    prediction_col: str = "prediction"
    transform_fn: Callable[[np.ndarray], np.ndarray] | None = field(default=None, compare=False)
    # transform_fn of one float32 margin (a Python float), same float32 operations; the loader
    # gives it alongside transform_fn
    transform_one: Callable[[float], float] | None = field(default=None, compare=False)

    def output_columns(self) -> Sequence[str]:
        return [self.prediction_col] if self.prediction_col else []

    def score_columns(self, batch: Batch) -> Scored:
        if not self.prediction_col:
            return Scored({})
        m = self._margins(batch)[:, 0]
        out = m if self.transform_fn is None else self.transform_fn(m)
        return Scored({self.prediction_col: out.astype(np.float64)})

    def row_kernel(self) -> RowKernel | None:
        """The engine's walk and float32 sum (``_row_margins``); other rows take score_columns."""
        margins, transform, col = self._row_margins(), self.transform_one, self.prediction_col
        if margins is None or not col or (transform is None) != (self.transform_fn is None):
            return None

        def score(values: dict[str, Any]) -> bool:
            m = margins(values)
            if m is None:
                return False
            margin = float(m[0])
            values[col] = margin if transform is None else transform(margin)
            return True

        return score


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
    expit_one: Callable[[float], float] | None = field(default=None, compare=False)  # one margin

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

    def row_kernel(self) -> RowKernel | None:
        """The engine's walk and float32 sum (``_row_margins``), the binary expit in float32 or the
        multiclass softmax as score_columns' NumPy on one row; other rows take score_columns."""
        margins, expit = self._row_margins(), self.expit_one
        raw_col, prob_col = self.raw_prediction_col, self.probability_col
        pred_col = self.prediction_col
        if margins is None or not (raw_col or prob_col or pred_col):
            return None
        if self.trees is not None and self.trees.groups > 1:
            return self._softmax_kernel(margins)
        if expit is None:
            return None

        def score(values: dict[str, Any]) -> bool:
            m = margins(values)
            if m is None:
                return False
            margin = float(m[0])
            p1 = expit(margin)
            p0 = float(_ONE - _F32(p1))  # float32, as score_columns' _F32(1.0) - p1
            if raw_col:
                values[raw_col] = vector_of_row([-margin, margin], False)
            if prob_col:
                values[prob_col] = vector_of_row([p0, p1], False)
            if pred_col:
                values[pred_col] = 1.0 if p1 > p0 else 0.0
            return True

        return score

    def _softmax_kernel(self, margins: RowMargins) -> RowKernel:
        raw_col, prob_col = self.raw_prediction_col, self.probability_col
        pred_col = self.prediction_col
        exp, amax, asum, argmax = np.exp, np.max, np.sum, np.argmax

        def score(values: dict[str, Any]) -> bool:
            m = margins(values)
            if m is None:
                return False
            m = np.ascontiguousarray(m).reshape(1, -1)  # score_columns' (rows, groups) shape
            shifted = exp(m - amax(m, axis=1, keepdims=True))
            prob = shifted / asum(shifted, axis=1, keepdims=True)
            if raw_col:
                values[raw_col] = vector_of_row(m[0].tolist(), False)
            if prob_col:
                values[prob_col] = vector_of_row(prob[0].tolist(), False)
            if pred_col:
                values[pred_col] = float(argmax(prob, axis=1)[0])
            return True

        return score
