"""IndexToString: a column of label indices back to the label strings.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/StringIndexer.scala
(IndexToString lives there). Semantics copied from Spark:

* Labels come from the ``labels`` param when it is set and non-empty, otherwise from the input
  column's NominalAttribute values (e.g. a StringIndexer upstream, ``__unknown`` included). They
  are resolved once, at load time, by :meth:`IndexToString.bind`.
* The input is cast to double, then ``index.toInt`` (truncation toward zero; NaN gives 0; huge
  values saturate), so 1.9 reads label 1 and NaN reads label 0. An index outside
  ``[0, numLabels)`` fails with ``Unseen index: <double> ??``.
* A null index gives a null label (Spark's UDF takes a primitive double: null in, null out).

Spark 4.1 (SPARK-51963) replaced the UDF with built-ins, ``when(0 <= i && i < n, get(labels, i))
.otherwise(raise_error(printf("Unseen index: %s ??", i)))`` with ``i = cast(x as int)``; with
ANSI mode on (Spark 4's default) NaN and values outside the Int range fail the cast, and a null
index fails too (``Unseen index: null ??``). ``sql_expression`` selects this behaviour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np

from servelib.errors import ModelLoadError
from servelib.transformers.attributes import Attribute, Attrs
from servelib.transformers.base import (
    ABSENT,
    OnlineTransformer,
    RowKernel,
    Scored,
    invalid,
)
from servelib.transformers.batch import Batch
from servelib.transformers.feature.string_indexer import java_double_str


@dataclass(frozen=True)
class IndexToString(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.IndexToString"

    input_col: str = ""
    output_col: str = ""
    labels: tuple[str, ...] | None = None  # the labels param (None or empty: use the attribute)
    values: tuple[str, ...] | None = None  # what scoring uses, resolved by bind()
    sql_expression: bool = False  # Spark >= 4.1: ANSI int cast + raise_error, see docstring
    # values plus a trailing None (the label of a null index), built once
    _table: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = self.values or ()
        table = np.empty(len(values) + 1, dtype=object)
        table[: len(values)] = values
        object.__setattr__(self, "_table", table)

    def input_columns(self) -> Sequence[str]:
        return (self.input_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def bind(self, attrs: Attrs) -> IndexToString:
        if self.labels:
            return replace(self, values=self.labels)
        attr = attrs.get(self.input_col)
        if not isinstance(attr, Attribute) or attr.kind != "nominal" or attr.values is None:
            raise ModelLoadError(
                f"{self.name}: no labels param and input column {self.input_col!r} carries no "
                "nominal attribute with values (Spark takes the labels from a StringIndexer "
                "upstream in the same pipeline); set IndexToString.labels"
            )
        return replace(self, values=attr.values)

    def score_columns(self, batch: Batch) -> Scored:
        if self.values is None:  # pragma: no cover - load() always binds
            raise RuntimeError(f"{self.name} was not bound to its input attributes")
        x, null = batch.floats(self.input_col, self.name)
        n_labels = len(self.values)
        ok = (x > -1.0) & (x < n_labels)  # truncates into [0, n); NaN and null compare False
        if ok.all():
            return Scored({self.output_col: self._table[x.astype(np.intp)]})
        nan = np.isnan(x)  # NaN and null rows
        if self.sql_expression:  # ANSI int cast: NaN, null and huge values fail too
            bad = ~ok
        else:  # Scala's Double.toInt: NaN -> 0; a null index gives a null label
            bad = ~ok & ~nan if n_labels else ~ok
            if null is not None:
                bad &= ~null
        if bad.any():
            row = int(np.argmax(bad))
            raise invalid(self._reason(x[row], null is not None and null[row]), self,
                          self.input_col, batch, row)
        pos = np.where(nan, 0.0, x).astype(np.intp)
        if null is not None:
            pos[null] = n_labels
        return Scored({self.output_col: self._table[pos]})

    def row_kernel(self) -> RowKernel | None:
        """A float or int64 int index in range (truncated toward zero); before Spark 4.1 also
        NaN (label 0) and null (null). Unseen indices, and NaN/null under Spark 4.1's ANSI cast,
        take score_columns."""
        if not self.values:  # no labels: leave every row (and its error) to the batch path
            return None
        src, dst, labels = self.input_col, self.output_col, self.values
        n = len(labels)
        udf = not self.sql_expression  # Scala's Double.toInt: NaN -> 0; null in, null out

        def label(values: dict) -> bool:
            x = values.get(src, ABSENT)
            cls = x.__class__
            if cls is float:
                if -1.0 < x < n:
                    values[dst] = labels[int(x)]
                    return True
                if x != x and udf:
                    values[dst] = labels[0]
                    return True
                return False
            if cls is int and 0 <= x < n:  # exact as a double in this range
                values[dst] = labels[x]
                return True
            if x is None and udf:
                values[dst] = None
                return True
            return False

        return label

    def _reason(self, value: float, is_null: bool) -> str:
        if not self.sql_expression:
            return f"Unseen index: {java_double_str(float(value))} ??"
        if is_null:
            return "Unseen index: null ??"
        if not (np.floor(value) <= _INT_MAX and np.ceil(value) >= _INT_MIN):
            text = java_double_str(float(value))
            text += "D" if np.isfinite(value) else ""  # Spark prints the SQL literal
            return (f"[CAST_OVERFLOW] The value {text} of the type \"DOUBLE\" cannot be cast to "
                    '"INT" due to an overflow.')
        return f"Unseen index: {int(value)} ??"


_INT_MAX, _INT_MIN = 2147483647.0, -2147483648.0
