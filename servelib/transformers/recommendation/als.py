"""ALSModel: the dot product of a user's and an item's latent factors, in single precision.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/recommendation/ALS.scala
(the same in v4.0.0). ``transform`` left-joins the user and item ids (``checkIntegers``: an
integral number within Int range; null fails with "Ids MUST NOT be Null", as does anything
else) with the factor tables and predicts ``dotProduct += a(i) * b(i)`` over the rank in Float
arithmetic (``0.0f`` first), or Float.NaN when either id is unknown. coldStartStrategy "drop" drops the rows whose prediction is
NaN; "nan" keeps them. The prediction column is a float (FloatType).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from servelib.transformers.attributes import Attribute, Attrs
from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch

_INT_RANGE = (-(2**31), 2**31 - 1)
_ZERO = np.float32(0.0)


def _int_id(value: Any) -> int:
    """checkIntegers for one value: the Int it names; ValueError otherwise (null included)."""
    if value is None:
        raise ValueError("Ids MUST NOT be Null")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"ALS only supports values in Integer range; value {value!r} was not "
                         "numeric")
    as_int = int(value) if value == value and abs(float(value)) != float("inf") else None
    if as_int is None or as_int != value or not _INT_RANGE[0] <= as_int <= _INT_RANGE[1]:
        raise ValueError(f"ALS only supports values in Integer range; value {value!r} is not "
                         "an integer in that range")
    return as_int


@dataclass(frozen=True)
class ALSModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.recommendation.ALSModel"

    user_col: str = "user"
    item_col: str = "item"
    prediction_col: str = "prediction"
    drop_cold: bool = False
    users: Mapping[int, int] = field(default_factory=dict, compare=False)  # id -> row
    items: Mapping[int, int] = field(default_factory=dict, compare=False)
    user_factors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32),
                                     compare=False)
    item_factors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32),
                                     compare=False)

    def input_columns(self) -> Sequence[str]:
        return (self.user_col, self.item_col)

    def output_columns(self) -> Sequence[str]:
        return (self.prediction_col,)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        return {self.prediction_col: Attribute("unresolved")}

    def _rows(self, batch: Batch, name: str, table: Mapping[int, int]) -> np.ndarray:
        out = np.full(batch.n, -1, dtype=np.int64)
        for i, value in enumerate(batch.objects(name, self.name).tolist()):
            try:
                key = _int_id(value)
            except ValueError as exc:
                raise invalid(str(exc), self, name, batch, i) from exc
            out[i] = table.get(key, -1)
        return out

    def score_columns(self, batch: Batch) -> Scored:
        u = self._rows(batch, self.user_col, self.users)
        v = self._rows(batch, self.item_col, self.items)
        known = (u >= 0) & (v >= 0)
        pred = np.full(batch.n, np.nan, dtype=np.float32)
        rank = self.user_factors.shape[1]
        if known.any():
            if rank:
                prod = self.user_factors[u[known]] * self.item_factors[v[known]]
                sums = np.add.accumulate(prod, axis=1, dtype=np.float32)[:, -1]
                pred[known] = sums + _ZERO
            else:
                pred[known] = _ZERO
        if self.drop_cold:
            return Scored({self.prediction_col: pred}, keep=~np.isnan(pred),
                          skip_reason="coldStartStrategy drop: unknown user or item, or a NaN "
                          "prediction", skip_column=self.user_col)
        return Scored({self.prediction_col: pred})

    def row_kernel(self) -> RowKernel | None:
        ucol, icol, dst = self.user_col, self.item_col, self.prediction_col
        users, items, uf, vf = self.users, self.items, self.user_factors, self.item_factors
        drop, (low, high) = self.drop_cold, _INT_RANGE

        def predict(values: dict) -> bool:
            a, b = values.get(ucol, ABSENT), values.get(icol, ABSENT)
            for key in (a, b):
                if key.__class__ is not int or not low <= key <= high:
                    return False  # the batch path casts or fails
            ru, ri = users.get(a), items.get(b)
            if ru is None or ri is None:
                if drop:
                    return False  # the batch path raises RowSkipped
                values[dst] = float("nan")
                return True
            s = float(np.add.accumulate(uf[ru] * vf[ri], dtype=np.float32)[-1] + _ZERO) \
                if uf.shape[1] else 0.0
            if s != s:
                return False
            values[dst] = s
            return True

        return predict
