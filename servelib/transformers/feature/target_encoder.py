"""TargetEncoderModel (Spark 4.0+): each category of a numeric column -> its blended encoding.

https://github.com/apache/spark/blob/v4.0.0/mllib/src/main/scala/org/apache/spark/ml/feature/TargetEncoder.scala
The model keeps, per input column, ``category -> (count, stat)`` with the column's global
statistics under category ``Int.MaxValue`` and nulls under ``-1``. ``transform`` turns each
into an encoding with ``weight = count / (count + smoothing)``: binary target
``weight * (stat / count) + (1 - weight) * (globalStat / globalCount)``, continuous
``weight * stat + (1 - weight) * globalStat``; then casts the value to double and picks: null ->
the null category's encoding when training saw nulls, else the unseen one; a category
(``try_element_at`` over the other categories: numeric equality, -0.0 equals 0.0) -> its
encoding; anything else (unseen values, NaN, -1, Int.MaxValue) -> the unseen category's
encoding with handleInvalid "keep", a failure with "error". Output columns are doubles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.attributes import Attribute, Attrs
from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch

UNSEEN_CATEGORY = float(2**31 - 1)  # Int.MaxValue
NULL_CATEGORY = -1.0


def blend(count: float, stat: float, global_count: float, global_stat: float,
          smoothing: float, binary: bool) -> float:
    """One category's encoding, in Spark's order of operations."""
    weight = count / (count + smoothing)
    if binary:
        return weight * (stat / count) + (1 - weight) * (global_stat / global_count)
    return weight * stat + (1 - weight) * global_stat


@dataclass(frozen=True, eq=False)
class Encoding:
    """One column's encodings: seen categories, the null code (or None) and the unseen code."""

    codes: Mapping[float, float]  # without the null and unseen categories
    null_code: float | None
    unseen_code: float
    keys: np.ndarray = field(init=False)
    values: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        keys = sorted(self.codes)
        object.__setattr__(self, "keys", np.array(keys, dtype=np.float64))
        object.__setattr__(self, "values", np.array([self.codes[k] for k in keys]))


@dataclass(frozen=True)
class TargetEncoderModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.TargetEncoderModel"

    input_cols: tuple[str, ...] = ()
    output_cols: tuple[str, ...] = ()
    encodings: tuple[Encoding, ...] = ()
    keep_invalid: bool = False

    def input_columns(self) -> Sequence[str]:
        return self.input_cols

    def output_columns(self) -> Sequence[str]:
        return self.output_cols

    def output_attributes(self, attrs: Attrs) -> Attrs:
        return {c: Attribute("nominal", name=c) for c in self.output_cols}

    def _encode(self, batch: Batch, name: str, enc: Encoding) -> np.ndarray:
        x, null = batch.floats(name, self.name)
        out = np.full(x.shape[0], enc.unseen_code)
        found = np.zeros(x.shape[0], dtype=bool)
        if enc.keys.size:
            idx = np.minimum(np.searchsorted(enc.keys, x), enc.keys.size - 1)
            found = enc.keys[idx] == x  # NaN never equals a category
            out[found] = enc.values[idx[found]]
        unseen = ~found
        if null is not None:
            unseen &= ~null
            if enc.null_code is not None:
                out[null] = enc.null_code
            elif not self.keep_invalid and null.any():
                raise invalid("Unseen value NULL in feature (set handleInvalid to keep)", self,
                              name, batch, int(np.argmax(null)))
        if not self.keep_invalid and unseen.any():
            i = int(np.argmax(unseen))
            raise invalid(f"Unseen value {x[i]!r} in feature (set handleInvalid to keep)", self,
                          name, batch, i)
        return out

    def score_columns(self, batch: Batch) -> Scored:
        return Scored({dst: self._encode(batch, src, enc)
                       for src, dst, enc in zip(self.input_cols, self.output_cols,
                                                self.encodings)})

    def row_kernel(self) -> RowKernel | None:
        """ints, floats and None; what handleInvalid "error" fails on, and other types, take
        score_columns (which fails or names the type)."""
        plan = [(src, dst, dict(enc.codes), enc.null_code, enc.unseen_code)
                for src, dst, enc in zip(self.input_cols, self.output_cols, self.encodings)]
        keep = self.keep_invalid

        def encode(values: dict) -> bool:
            for src, dst, codes, null_code, unseen_code in plan:
                v = values.get(src, ABSENT)
                cls = v.__class__
                if v is None:
                    code = null_code
                elif cls is float or cls is int:
                    code = codes.get(float(v))  # dict lookup: -0.0 finds 0.0; NaN finds nothing
                else:
                    return False
                if code is None:
                    if not keep:
                        return False
                    code = unseen_code
                values[dst] = code
            return True

        return encode
