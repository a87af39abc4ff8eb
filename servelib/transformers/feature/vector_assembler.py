"""VectorAssembler: numbers, booleans and vectors concatenated into one vector.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/VectorAssembler.scala
Semantics (identical in Spark 3.5 and 4.x):

* Numbers and booleans are cast to double; vectors contribute their values in order.
* handleInvalid="error": a null (number or vector) or a NaN *number* fails; NaN inside a vector
  passes. "skip": ``na.drop(inputCols)`` drops rows with a null anywhere or a NaN in a number
  column (NaN inside a vector is kept). "keep": NaN stays, a null number gives one NaN and a null
  vector gives ``size`` NaNs, where ``size`` comes from the column's attribute metadata
  (VectorSizeHint or the stage that made it); with any vector input of unknown size Spark refuses
  "keep" outright, so do we (at load time when the column is known to be a vector, else on the
  first request that shows it).
* The output is ``Vectors.sparse(...).compressed``: Spark's dense/sparse rule on the non-zero count
  (NaN counts as non-zero; the rule changed in Spark 4.0: ``spark4``, set by the loader). A -0.0
  copied from a dense input vector stays -0.0 here where Spark stores 0.0 (equal as numbers).
* Output attributes: number column -> its own attribute renamed to the column (numeric when it has
  none); vector slot -> ``<col>_<slot name>`` or ``<col>_<i>``, keeping nominal/binary slots.

A request carries no schema, so an input with no upstream attributes may be a number or a vector:
it is taken as a number when slot names are built at load time, and looked at per request
(downstream VectorSlicer checks the size it resolved names against). Spark infers such vector
sizes from the first row of the whole DataFrame; here each batch must hold one size per column.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import accumulate
from typing import Any, ClassVar

import numpy as np

from servelib.errors import InvalidInput, ModelLoadError, RowSkipped
from servelib.transformers.attributes import Attribute, AttributeGroup, Attrs
from servelib.transformers.base import (
    ABSENT,
    HandleInvalid,
    OnlineTransformer,
    RowKernel,
    Scored,
    invalid,
)
from servelib.transformers.batch import Batch
from servelib.transformers.feature.assembly import assemble
from servelib.vectors import VectorColumn, compressed_row_is_sparse, row_values, vector_of_row

NAN_MESSAGE = (
    'Encountered NaN while assembling a row with handleInvalid = "error". Consider removing '
    'NaNs from dataset or using handleInvalid = "keep" or "skip".'
)
NULL_MESSAGE = (
    'Encountered null while assembling a row with handleInvalid = "error". Consider removing '
    'nulls from dataset or using handleInvalid = "keep" or "skip".'
)
KEEP_MESSAGE = (
    'Can not infer column lengths with handleInvalid = "keep". Consider using VectorSizeHint '
    "to add metadata for columns: [{}]."
)
_SCALARS = (int, float, np.number, np.bool_, Decimal, str, bytes)
_NUMBERS = (np.floating, np.integer, np.bool_)  # NumPy scalars a kernel reads as numbers
SKIP_REASON = "a null or NaN input (handleInvalid='skip')"


def group_size(group: AttributeGroup) -> int | None:
    """Spark's ``AttributeGroup.size`` (None for Spark's -1)."""
    if group.size is not None:
        return group.size
    return None if group.attrs is None else len(group.attrs)


def holds_vectors(col: Any) -> bool | None:
    """True for a vector column, False for numbers (or strings), None when every value is null."""
    if isinstance(col, VectorColumn):
        return True
    if col.dtype != object:
        return False
    for value in col:
        if value is not None:
            return not isinstance(value, _SCALARS)
    return None


@dataclass(frozen=True)
class VectorAssembler(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.VectorAssembler"

    input_cols: tuple[str, ...] = ()
    output_col: str = ""
    handle_invalid: HandleInvalid = HandleInvalid.ERROR
    spark4: bool = False  # written by Spark >= 4.0: its ``compressed`` size rule
    # Bound from upstream attributes: per input True = vector, False = number, None = not known
    # (a request column: taken as a number until a request shows a vector), and its width in the
    # output (a vector's metadata size; None when unknown).
    vector: tuple[bool | None, ...] = ()
    widths: tuple[int | None, ...] = ()
    declared: frozenset[str] = frozenset()  # request columns with a declared (scalar) SQL type

    def __post_init__(self) -> None:
        if not self.vector:  # unbound: every input taken as a number
            object.__setattr__(self, "vector", (None,) * len(self.input_cols))
            object.__setattr__(self, "widths", (1,) * len(self.input_cols))

    def input_columns(self) -> Sequence[str]:
        return self.input_cols

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    # ---- load time -----------------------------------------------------------------------
    def bind(self, attrs: Attrs) -> VectorAssembler:
        vector, widths = [], []
        for col in self.input_cols:
            attr = attrs.get(col)
            if isinstance(attr, AttributeGroup):
                size = group_size(attr)
                if size is None and self.handle_invalid is HandleInvalid.KEEP:
                    raise ModelLoadError(f"{self.name}: " + KEEP_MESSAGE.format(col))
                vector.append(True)
                widths.append(size)
            else:
                known = isinstance(attr, Attribute) or col in self.declared
                vector.append(False if known else None)
                widths.append(1)
        return replace(self, vector=tuple(vector), widths=tuple(widths))

    def with_input_types(self, types: Mapping[str, str]) -> VectorAssembler:
        """Request columns with a declared SQL type are numbers (vectors have no simple type)."""
        declared = self.declared | {c for c in self.input_cols if c in types}
        vector = tuple(False if v is None and c in declared else v
                       for c, v in zip(self.input_cols, self.vector))
        return replace(self, vector=vector, declared=frozenset(declared))

    def output_attributes(self, attrs: Attrs) -> Attrs:
        slots: list[Attribute] = []
        for col in self.input_cols:
            attr = attrs.get(col)
            if isinstance(attr, AttributeGroup):
                if attr.attrs is not None:
                    slots += [_renamed(a, f"{col}_{i if a.name is None else a.name}")
                              for i, a in enumerate(attr.attrs)]
                elif attr.size is not None:
                    slots += [Attribute("numeric", f"{col}_{i}") for i in range(attr.size)]
                else:  # Spark sizes it from the data's first row: unknown at load time
                    return {self.output_col: AttributeGroup()}
            else:
                slots.append(_renamed(attr, col) if isinstance(attr, Attribute) else
                             Attribute("numeric", col))
        return {self.output_col: AttributeGroup(len(slots), tuple(slots))}

    # ---- scoring ---------------------------------------------------------------------------
    def score_columns(self, batch: Batch) -> Scored:
        n = batch.n
        keep_mode = self.handle_invalid is HandleInvalid.KEEP
        columns: list[Any] = []  # float64 array for a number input, VectorColumn for a vector
        widths: list[int] = []
        for j, name in enumerate(self.input_cols):
            is_vector = self.vector[j]
            if is_vector is None and not batch.is_source_number(name):
                is_vector = holds_vectors(batch.column(name, self.name))
            if not is_vector:
                columns.append(batch.floats(name, self.name)[0])  # nulls arrive as NaN
                widths.append(1)
                continue
            vc = batch.vectors(name, self.name)
            meta = self.widths[j] if self.vector[j] else None
            if keep_mode and meta is None:
                raise invalid(KEEP_MESSAGE.format(name), self, name, batch, None)
            has_values = n > 0 and (vc.null is None or not vc.null.all())
            width = vc.size if has_values else (meta or 0)
            if keep_mode and vc.null is not None and has_values and width != meta:
                raise invalid(f"vectors of size {width} but null rows take the metadata size "
                              f"{meta}: rows of different sizes", self, name, batch, None)
            columns.append(vc)
            widths.append(width)

        offsets = (0, *accumulate(widths))
        bad = None  # rows with a null vector
        for j, col in enumerate(columns):
            if isinstance(col, VectorColumn) and col.null is not None and col.null.any():
                if self.handle_invalid is HandleInvalid.ERROR:
                    i = int(np.argmax(col.null))
                    raise invalid(NULL_MESSAGE, self, self.input_cols[j], batch, i)
                bad = col.null if bad is None else bad | col.null
        if keep_mode:
            return self._scored(columns, widths, offsets, n)
        nan = None  # rows with a null or NaN number
        for col in columns:
            if not isinstance(col, VectorColumn):
                nan = np.isnan(col) if nan is None else nan | np.isnan(col)
        if self.handle_invalid is HandleInvalid.ERROR:
            if nan is not None and nan.any():
                self._raise_number(batch, columns, int(np.argmax(nan)))
            return self._scored(columns, widths, offsets, n)
        drop = nan if bad is None else (bad if nan is None else bad | nan)
        column = None
        if n == 1 and drop is not None and drop[0]:  # name the first bad column for one row
            column = next(name for col, name in zip(columns, self.input_cols) if _bad_first(col))
        return self._scored(columns, widths, offsets, n, keep=None if drop is None else ~drop,
                            column=column)

    def row_kernel(self) -> RowKernel:
        """Floats, ints, booleans, NumPy numbers, vectors (ours, lists, JSON dicts) and nulls
        and NaN in every mode: "keep" assembles them, "skip" raises RowSkipped and "error"
        the batch path's error, naming the column the batch path names. Other types, ints
        beyond the doubles and vectors in a column known to hold numbers take score_columns."""
        mode = self.handle_invalid
        keep = mode is HandleInvalid.KEEP
        plan = tuple(zip(self.input_cols, self.vector, self.widths))
        spark4 = self.spark4

        def assemble(values: dict) -> bool:
            out: list[float] = []
            null_vector = bad_number = None  # the first such column (error / skip)
            for name, is_vector, width in plan:
                v = values.get(name, ABSENT)
                cls = v.__class__
                if cls is float and not is_vector:
                    if v != v and bad_number is None:
                        bad_number = (name, NAN_MESSAGE)
                    out.append(v)
                elif (cls is int or cls is bool) and not is_vector:
                    try:
                        out.append(float(v))  # int64 -> double rounds as Python does
                    except OverflowError:
                        return False
                elif v is None:  # a number unless known to be a vector, as in the batch path
                    if keep:
                        out.extend([math.nan] * (width if is_vector else 1))
                    elif is_vector:
                        null_vector = null_vector or name
                    elif bad_number is None:
                        bad_number = (name, NULL_MESSAGE)
                elif isinstance(v, _NUMBERS) and not is_vector:
                    x = float(v)
                    if x != x and bad_number is None:
                        bad_number = (name, NAN_MESSAGE)
                    out.append(x)
                else:
                    vec = row_values(v)
                    if vec is None or is_vector is False or (is_vector is None and keep):
                        return False
                    out.extend(vec)
            if not keep and (null_vector or bad_number):
                if mode is HandleInvalid.SKIP:
                    first = next(n for n, *_ in plan if n == null_vector or
                                 (bad_number and n == bad_number[0]))
                    raise RowSkipped(f"Spark would skip this row: {SKIP_REASON}",
                                     column=first, stage=self.name)
                if null_vector:  # found while assembling, before any number is looked at
                    raise InvalidInput(NULL_MESSAGE, column=null_vector, stage=self.name, row=0)
                raise InvalidInput(bad_number[1], column=bad_number[0], stage=self.name, row=0)
            values[self.output_col] = vector_of_row(out, compressed_row_is_sparse(out, spark4))
            return True

        return assemble

    def _scored(self, columns: list[Any], widths: list[int], offsets: tuple[int, ...], n: int,
                keep: np.ndarray | None = None, column: str | None = None) -> Scored:
        vectors = assemble(columns, widths, offsets, n, self.spark4)
        return Scored({self.output_col: vectors}, keep=keep, skip_reason=SKIP_REASON,
                      skip_column=column)

    def _raise_number(self, batch: Batch, columns: list[Any], i: int) -> None:
        """Name the first number column that is null or NaN in row ``i`` (error mode)."""
        for j, col in enumerate(columns):
            if not isinstance(col, VectorColumn) and np.isnan(col[i]):
                name = self.input_cols[j]
                null = batch.floats(name, self.name)[1]
                message = NULL_MESSAGE if null is not None and null[i] else NAN_MESSAGE
                raise invalid(message, self, name, batch, i)


def _bad_first(col: Any) -> bool:
    """Whether row 0 of an input column makes "skip" drop the row."""
    if isinstance(col, VectorColumn):
        return col.null is not None and bool(col.null[0])
    return bool(np.isnan(col[0]))


def _renamed(attr: Attribute, name: str) -> Attribute:
    # An unresolved attribute reads back from Spark's metadata as a default numeric one.
    kind = "numeric" if attr.kind == "unresolved" else attr.kind
    return replace(attr, kind=kind, name=name)
