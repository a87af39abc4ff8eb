"""FeatureHasher: several numeric, string and boolean columns hashed into one SparseVector.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/FeatureHasher.scala
(the same in v4.0.0). For each input column in order, a non-null value adds to slot
``nonNegativeMod(murmur3(key), numFeatures)`` (:mod:`servelib.transformers.text.murmur3`):

* a numeric column not in ``categoricalCols``: key = the column name, value = the number as a
  double (NaN included);
* strings, booleans and numeric columns in ``categoricalCols``: key = ``"name=" + value``
  with Java's ``toString`` (``true``, ``1``, ``1.0``, ``1.0E-4``; a float column prints
  Float.toString), value 1.0.

A slot's first value is stored as is, later ones added (``OpenHashMap.changeValue``); nulls
are skipped. Row dicts carry no schema: a Python bool is a boolean, an int an integral
number, a float a double unless declared "float" (:meth:`with_input_types`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.feature.string_indexer import java_double_str, java_float_str
from servelib.transformers.text.common import BadValue, sparse_column, sparse_row
from servelib.transformers.text.murmur3 import TermIndex


@dataclass(frozen=True)
class FeatureHasher(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.FeatureHasher"

    input_cols: tuple[str, ...] = ()
    output_col: str = ""
    num_features: int = 1 << 18
    categorical_cols: frozenset[str] = frozenset()
    float_cols: frozenset[str] = frozenset()  # declared Spark "float" columns

    def input_columns(self) -> Sequence[str]:
        return self.input_cols

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def with_input_types(self, types: Mapping[str, str]) -> FeatureHasher:
        floats = frozenset(c for c in self.input_cols if types.get(c) == "float")
        return replace(self, float_cols=floats) if floats != self.float_cols else self

    def per_row(self, float_cols: frozenset[str]) -> Callable[[Sequence[Any]], dict[int, float]]:
        index = TermIndex(self.num_features)
        plan = tuple((name, name in self.categorical_cols, index(name),
                      java_float_str if name in float_cols else java_double_str)
                     for name in self.input_cols)

        def hash_row(values: Sequence[Any]) -> dict[int, float]:
            out: dict[int, float] = {}
            for (name, categorical, name_slot, fmt), x in zip(plan, values):
                if x is None:
                    continue
                cls = x.__class__
                if cls is str:
                    slot, value = index(f"{name}={x}"), 1.0
                elif cls is bool or cls is np.bool_:
                    slot, value = index(f"{name}={'true' if x else 'false'}"), 1.0
                elif isinstance(x, (int, np.integer)):
                    slot, value = ((index(f"{name}={int(x)}"), 1.0) if categorical
                                   else (name_slot, float(x)))
                elif isinstance(x, (float, np.floating)):
                    slot, value = ((index(f"{name}={fmt(float(x))}"), 1.0) if categorical
                                   else (name_slot, float(x)))
                else:
                    raise BadValue(f"expected a number, string or boolean, got "
                                   f"{type(x).__name__} {x!r}", column=name)
                old = out.get(slot)
                out[slot] = value if old is None else old + value
            return out

        return hash_row

    def score_columns(self, batch: Batch) -> Scored:
        floats = self.float_cols | {c for c in self.input_cols
                                    if batch.source_type(c) == pa.float32()}
        hash_row = self.per_row(frozenset(floats))
        columns = [batch.objects(c, self.name) for c in self.input_cols]
        rows = []
        for i, values in enumerate(zip(*columns)):
            try:
                rows.append(hash_row(values))
            except BadValue as exc:
                raise invalid(str(exc), self, exc.column or "", batch, i) from None
        if not columns:
            rows = [{} for _ in range(batch.n)]
        return Scored({self.output_col: sparse_column(rows, self.num_features)})

    def row_kernel(self) -> RowKernel:
        hash_row, cols, dst, size = (self.per_row(self.float_cols), self.input_cols,
                                     self.output_col, self.num_features)

        def kernel(values: dict) -> bool:
            row = [values.get(c, ABSENT) for c in cols]
            if any(v is ABSENT for v in row):
                return False
            try:
                values[dst] = sparse_row(hash_row(row), size)
            except BadValue:
                return False
            return True

        return kernel
