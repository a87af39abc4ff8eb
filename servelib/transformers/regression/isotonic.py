"""IsotonicRegressionModel: piecewise-linear interpolation between fitted boundaries.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/regression/IsotonicRegression.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/mllib/regression/IsotonicRegression.scala
(the same in v4.0.0). The feature is the double column itself or, for a vector column, entry
``featureIndex`` (a null vector or an index past its end fails). ``predict(x)`` runs
``java.util.Arrays.binarySearch(boundaries, x)`` (Double.compare order: -0.0 < 0.0, NaN above
+inf): below the first boundary the first prediction, past the last the last one, an exact hit
its own prediction, else ``y1 + (y2 - y1) * (x - x1) / (x2 - x1)`` between the neighbours.
Antitonic models store increasing boundaries with their predictions already turned back, so
``isotonic`` plays no part in scoring. A null double gives a null prediction (Spark's UDF on a
primitive argument returns null).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.attributes import Attribute, Attrs
from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.vectors import VectorColumn, row_values

_SIGN = 0x7FFFFFFFFFFFFFFF


def _order_key(x: float) -> int:
    """Double.compare's order as an int: doubleToLongBits (NaN canonical), negatives flipped."""
    bits = struct.unpack("<q", struct.pack("<d", float("nan") if x != x else x))[0]
    return bits if bits >= 0 else bits ^ _SIGN


def java_binary_search(keys: Sequence[int], x: float) -> int:
    """java.util.Arrays.binarySearch over boundaries given by their :func:`_order_key`s."""
    key = _order_key(x)
    low, high = 0, len(keys) - 1
    while low <= high:
        mid = (low + high) >> 1
        if keys[mid] < key:
            low = mid + 1
        elif keys[mid] > key:
            high = mid - 1
        else:
            return mid
    return -(low + 1)


@dataclass(frozen=True)
class IsotonicRegressionModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.regression.IsotonicRegressionModel"

    features_col: str = "features"
    prediction_col: str = "prediction"
    feature_index: int = 0
    boundaries: tuple[float, ...] = ()
    predictions: tuple[float, ...] = ()
    _keys: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", tuple(_order_key(b) for b in self.boundaries))

    def input_columns(self) -> Sequence[str]:
        return (self.features_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.prediction_col,)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        return {self.prediction_col: Attribute("numeric")}

    def predict_one(self, x: float) -> float:
        b, p = self.boundaries, self.predictions
        found = java_binary_search(self._keys, x)
        insert = -found - 1
        if insert == 0:
            return p[0]
        if insert == len(b):
            return p[-1]
        if found < 0:
            x1, y1, x2, y2 = b[insert - 1], p[insert - 1], b[insert], p[insert]
            return y1 + (y2 - y1) * (x - x1) / (x2 - x1)
        return p[found]

    def _feature(self, batch: Batch) -> tuple[list, np.ndarray | None]:
        col = batch.column(self.features_col, self.name)
        if isinstance(col, VectorColumn) or (col.dtype == object and any(
                v is not None and not isinstance(v, (int, float, np.number)) for v in col)):
            vecs = batch.vectors(self.features_col, self.name)
            if vecs.null is not None and vecs.null.any():
                raise invalid("null feature vector", self, self.features_col, batch,
                              int(np.argmax(vecs.null)))
            if len(vecs) and self.feature_index >= vecs.size:
                raise invalid(f"featureIndex {self.feature_index} is past the end of a vector "
                              f"of size {vecs.size}", self, self.features_col, batch, 0)
            if not len(vecs):
                return [], None
            return vecs.dense[:, self.feature_index].tolist(), None
        values, null = batch.floats(self.features_col, self.name)
        return values.tolist(), null

    def score_columns(self, batch: Batch) -> Scored:
        xs, null = self._feature(batch)
        out = [self.predict_one(x) for x in xs]
        if null is None:
            return Scored({self.prediction_col: np.array(out, dtype=np.float64)})
        col = np.empty(len(out), dtype=object)
        col[:] = [None if n else v for v, n in zip(out, null.tolist())]
        return Scored({self.prediction_col: col})

    def row_kernel(self) -> RowKernel | None:
        """A float (or int) feature or a vector long enough; null and other types take
        score_columns."""
        src, dst, index, predict = (self.features_col, self.prediction_col, self.feature_index,
                                    self.predict_one)

        def score(values: dict) -> bool:
            x = values.get(src, ABSENT)
            cls = x.__class__
            if cls is not float and cls is not int:
                vec = row_values(x)
                if vec is None or index >= len(vec):
                    return False
                x = vec[index]
            values[dst] = predict(float(x))
            return True

        return score
