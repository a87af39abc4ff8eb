"""MultilayerPerceptronClassificationModel: affine layers with sigmoids between, softmax on top.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/classification/MultilayerPerceptronClassifier.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/ann/Layer.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/ann/BreezeUtil.scala
(the same in v4.0.0). ``FeedForwardTopology.multiLayerPerceptron(layers, softmaxOnTop=true)``:
an AffineLayer per pair of sizes, a sigmoid ``1 / (1 + exp(-x))`` after every one but the last,
SoftmaxLayerWithCrossEntropyLoss on top. An affine layer is ``dgemm(W, x)`` then ``+ b``: the
products of one output are added in input order (BLAS's column loop), then the bias.
``weights`` holds each layer's W (numOut x numIn, column-major) followed by its b.
rawPrediction is the last affine output; probability is the layer's softmax (max by ``>`` from
Double.MinValue, ``exp(x - max)``, each divided by the left-to-right sum). ``predict`` (neither
raw nor probability produced) is the argmax of that softmax and ignores thresholds.
A size other than the first layer's fails (``A & B Dimension mismatch!``), as does null.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.batch import Batch
from servelib.transformers.classification.common import (
    MIN_DOUBLE,
    MIN_DOUBLE_ROW,
    ClassificationModel,
    RowRule,
    compile_linear,
    exp_row,
    linear_sums,
    row_argmax,
    spark_argmax,
)

Layer = tuple[np.ndarray, np.ndarray]  # (W: out x in, b: out)


def affine_row(w: np.ndarray, b: np.ndarray) -> Callable[[list[float]], list[float] | None]:
    """``linear_sums(x, w, b)`` for one row of Python floats (None for a NaN output): straight-
    line code for a small layer, a loop in the same order for a large one."""
    compiled = compile_linear(w, b.tolist())
    if compiled is not None:
        return compiled
    rows, bias = w.tolist(), b.tolist()

    def loop(x: list[float]) -> list[float] | None:
        out = []
        for wk, bk in zip(rows, bias):
            s = x[0] * wk[0]
            for j in range(1, len(wk)):
                s += x[j] * wk[j]
            m = s + bk
            if m != m:
                return None
            out.append(m)
        return out

    return loop


def mlp_softmax(raw: np.ndarray) -> np.ndarray:
    """SoftmaxLayerModelWithCrossEntropyLoss.eval over rows."""
    mx = np.fmax.reduce(raw, axis=1, initial=MIN_DOUBLE)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(raw - mx[:, None])
        total = np.add.accumulate(e, axis=1)[:, -1]
        return e / total[:, None]


def mlp_softmax_row(raw: list[float]) -> list[float]:
    mx = MIN_DOUBLE_ROW
    for v in raw:
        if v > mx:
            mx = v
    e = [exp_row(v - mx) for v in raw]
    total = e[0]
    for v in e[1:]:
        total += v
    if total == 0.0 or total != total or math.isinf(total):
        return list(mlp_softmax(np.array([raw]))[0])  # 0/0 and inf/inf: NumPy's quiet NaN
    return [v / total for v in e]


@dataclass(frozen=True)
class MultilayerPerceptronClassificationModel(ClassificationModel):
    spark_class: ClassVar[str] = (
        "org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel")

    probability_col: str = "probability"
    layers: tuple[Layer, ...] = field(default=(), compare=False)

    def predict_raw(self, x: np.ndarray, batch: Batch) -> np.ndarray:
        last = len(self.layers) - 1
        with np.errstate(over="ignore", invalid="ignore"):
            for i, (w, b) in enumerate(self.layers):
                x = linear_sums(x, w, b)
                if i < last:
                    x = 1.0 / (1.0 + np.exp(-x))
        return x

    def raw_to_probability(self, raw: np.ndarray) -> np.ndarray:
        return mlp_softmax(raw)

    def predict(self, raw: np.ndarray) -> np.ndarray:
        return spark_argmax(mlp_softmax(raw))

    # ---- the row kernel -------------------------------------------------------------------
    def raw_row(self) -> Callable[[list[float]], list[float] | None] | None:
        steps = [affine_row(w, b) for w, b in self.layers]
        *hidden, top = steps

        def raw(x: list[float]) -> list[float] | None:
            for step in hidden:
                h = step(x)
                if h is None:
                    return None
                x = [1.0 / (1.0 + exp_row(-v)) for v in h]
            return top(x)

        return raw

    def probability_row(self, raw: list[float]) -> list[float]:
        return mlp_softmax_row(raw)

    def prediction_rules(self) -> tuple[RowRule, RowRule, RowRule]:
        from_raw, from_probability, _ = super().prediction_rules()

        def predict(raw: list[float]) -> float:
            return row_argmax(mlp_softmax_row(raw))

        return from_raw, from_probability, predict
