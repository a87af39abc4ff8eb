"""OneHotEncoderModel (Spark 3+): each category index to a SparseVector with at most one 1.0.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/OneHotEncoder.scala
Semantics copied from Spark's ``encoder`` UDF (identical in 3.5 and 4.x), per column with
``size`` = categorySizes[i]:

* The input is cast to double. A value ``v`` with ``0 <= v < size`` is valid and lands in slot
  ``v.toInt`` (so 1.5 sets slot 1: non-integers are truncated, not rejected). Negative values,
  values ``>= size`` and NaN are invalid: "error" fails (``Negative value`` / ``Unseen value``),
  "keep" moves them to the extra slot ``size``. Null input gives a null vector (the UDF takes a
  primitive double).
* Vector length: ``size - 1`` (dropLast), ``size`` (dropLast + keep: the extra invalid slot is
  the one dropped, so the last real category keeps its slot) or ``size + 1`` (keep, no dropLast).
  A slot at or past the length encodes as the all-zero vector. The output is always sparse.
* Output attributes (OneHotEncoderCommon): slot names are the input's nominal values (or
  ``"0".."n-1"`` from its numValues, binary values or ``"0","1"``), else ``"0".."size-1"``; the
  last name is dropped under dropLast without keep, ``invalidValues`` is appended under keep
  without dropLast. Names from the input must agree with the vector length (verifyNumOfValues).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from servelib.errors import InvalidInput, ModelLoadError
from servelib.sparse_column import CsrColumn, offsets_of
from servelib.transformers.attributes import Attribute, AttributeGroup, Attrs
from servelib.transformers.base import (
    ABSENT,
    OnlineTransformer,
    RowKernel,
    Scored,
    invalid,
)
from servelib.transformers.batch import Batch
from servelib.transformers.feature.string_indexer import java_double_str
from servelib.vectors import pooled, vector_of_row

_NUMBERS = (np.floating, np.integer, np.bool_)  # NumPy scalars the kernel reads as numbers


@dataclass(frozen=True)
class OneHotEncoderModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.OneHotEncoderModel"

    input_cols: tuple[str, ...] = ()
    output_cols: tuple[str, ...] = ()
    category_sizes: tuple[int, ...] = ()
    drop_last: bool = True
    keep_invalid: bool = False  # handleInvalid "keep" (Spark allows only "error" and "keep")
    _lengths: tuple[int, ...] = field(init=False, repr=False, compare=False)  # vector sizes

    def __post_init__(self) -> None:
        lengths = tuple(self.vector_size(s) for s in self.category_sizes)
        object.__setattr__(self, "_lengths", lengths)

    def input_columns(self) -> Sequence[str]:
        return self.input_cols

    def output_columns(self) -> Sequence[str]:
        return self.output_cols

    def vector_size(self, size: int) -> int:
        """Spark's getConfigedCategorySizes for one column."""
        if not self.drop_last and self.keep_invalid:
            return size + 1
        if self.drop_last and not self.keep_invalid:
            return size - 1
        return size

    def bind(self, attrs: Attrs) -> OneHotEncoderModel:
        self.output_attributes(attrs)  # Spark checks input metadata in transformSchema
        return self

    def output_attributes(self, attrs: Attrs) -> Attrs:
        out: dict[str, Any] = {}
        for src, dst, size in zip(self.input_cols, self.output_cols, self.category_sizes):
            names = _names_from_input(attrs.get(src), src, self.name)
            if names is None:
                names = tuple(str(i) for i in range(size))
            elif self.drop_last and not self.keep_invalid and len(names) <= 1:
                raise ModelLoadError(
                    f"{self.name}: the input column {src} should have at least two distinct values."
                )
            if self.drop_last and not self.keep_invalid:
                names = names[:-1]
            elif not self.drop_last and self.keep_invalid:
                names = names + ("invalidValues",)
            expected = self.vector_size(size)
            if len(names) != expected:
                raise ModelLoadError(
                    f"{self.name}: OneHotEncoderModel expected {expected} categorical values for "
                    f"input column {src}, but the input column had metadata specifying "
                    f"{len(names)} values."
                )
            if "" in names:  # BinaryAttribute.withName; Spark fails in transformSchema
                raise ModelLoadError(f"{self.name}: Cannot have an empty string for name.")
            slots = tuple(Attribute(kind="binary", name=name) for name in names)
            out[dst] = AttributeGroup(size=len(slots), attrs=slots)
        return out

    def score_columns(self, batch: Batch) -> Scored:
        out = {}
        for src, dst, size, length in zip(
            self.input_cols, self.output_cols, self.category_sizes, self._lengths
        ):
            x, null = batch.floats(src, self.name)
            valid = (x >= 0) & (x < size)  # NaN (and null) compare False: invalid
            slot = x
            if not valid.all():
                bad = ~valid if null is None else ~valid & ~null
                if not self.keep_invalid and bad.any():
                    raise self._error(batch, src, x, int(np.argmax(bad)))
                slot = np.where(valid, x, float(size))  # "keep": the extra slot `size`
                if null is not None:
                    slot[null] = -1.0  # matches no slot
            # one 1.0 where the slot is a column; slots past the vector give all zeros
            index = pooled(len(slot), np.int32)
            np.copyto(index, slot, casting="unsafe")  # truncated, as astype
            hit = (index >= 0) & (index < length)
            indices = index if hit.all() else index[hit]
            ones = pooled(indices.size, np.float64)
            ones.fill(1.0)
            out[dst] = CsrColumn(offsets_of(hit), indices, ones, length, null)
        return Scored(out)

    def row_kernel(self) -> RowKernel:
        """Every row in plain Python: a number (float, int, bool, NumPy) encoded, an invalid
        one kept or raised as the batch path raises it, null giving a null vector. Other types
        take score_columns."""
        keep = self.keep_invalid
        plan = tuple((src, dst, float(size), length) for src, dst, size, length
                     in zip(self.input_cols, self.output_cols, self.category_sizes, self._lengths))

        def encode(values: dict) -> bool:
            for src, dst, size, length in plan:
                x = values.get(src, ABSENT)
                cls = x.__class__
                if cls is not float:
                    if x is None:
                        values[dst] = None  # Spark's UDF over a primitive double: null out
                        continue
                    if not (cls is int or cls is bool or isinstance(x, _NUMBERS)):
                        return False
                    try:
                        x = float(x)  # cast to double as the batch path casts
                    except OverflowError:
                        return False
                if 0.0 <= x < size:  # False for NaN
                    slot = int(x)
                elif keep:
                    slot = int(size)
                else:
                    raise InvalidInput(_message(x), column=src, stage=self.name, row=0)
                vec = [0.0] * length
                if slot < length:
                    vec[slot] = 1.0
                values[dst] = vector_of_row(vec, True)
            return True

        return encode

    def _error(self, batch: Batch, src: str, x: np.ndarray, row: int) -> Exception:
        return invalid(_message(float(x[row])), self, src, batch, row)


def _message(x: float) -> str:
    value = java_double_str(x)
    if x < 0:
        return (f"Negative value: {value}. Input can't be negative. To handle invalid values, "
                "set Param handleInvalid to keep")
    return f"Unseen value: {value}. To handle unseen values, set Param handleInvalid to keep."


def _names_from_input(attr: Any, src: str, stage: str) -> tuple[str, ...] | None:
    """OneHotEncoderCommon.genOutputAttrNames."""
    if not isinstance(attr, Attribute):
        return None
    if attr.kind == "nominal":
        if attr.values is not None:
            return tuple(attr.values)
        if attr.num_values is not None:
            return tuple(str(i) for i in range(attr.num_values))
        return None
    if attr.kind == "binary":
        return tuple(attr.values) if attr.values is not None else ("0", "1")
    if attr.kind == "numeric":
        raise ModelLoadError(f"{stage}: The input column {src} cannot be continuous-value.")
    return None
