"""What the text stages share: one function per row, mapped over the column by the batch path
and called on the row dict by the row kernel, so the two cannot differ.

Spark runs these stages as Scala UDFs over one row at a time (strings and arrays have no
vectorised form in Spark either), so the per-row function is the specification here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.sparse_column import CsrColumn
from servelib.vectors import EntriesVector


class BadValue(Exception):
    """A value Spark's UDF fails on; the caller names the stage, the row and (unless given
    here) the column."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column


NULL_INPUT = "null input (Spark's UDF fails on null)"


def string_list(value: Any) -> list:
    """An array<string> value as a list; BadValue for null or anything else. Elements may be
    None (Spark arrays hold nulls)."""
    if value.__class__ is list:
        items = value
    elif value is None:
        raise BadValue(NULL_INPUT)
    elif isinstance(value, (tuple, np.ndarray)):
        items = list(value)
    else:
        raise BadValue(f"expected an array of strings, got {type(value).__name__} {value!r}")
    for item in items:
        if item is not None and item.__class__ is not str:
            if not isinstance(item, str):
                raise BadValue(f"expected an array of strings, got element {item!r}")
            return [t if t is None else str(t) for t in items]  # e.g. NumPy's str_
    return items


def string(value: Any) -> str:
    if value.__class__ is str:
        return value
    if value is None:
        raise BadValue(NULL_INPUT)
    if isinstance(value, str):
        return str(value)
    raise BadValue(f"expected a string, got {type(value).__name__} {value!r}")


def utf16_len(s: str) -> int:
    """Java's ``String.length()``: UTF-16 code units (a character beyond U+FFFF counts twice)."""
    n = len(s)
    if s.isascii():
        return n
    return n + sum(1 for ch in s if ord(ch) > 0xFFFF)


@dataclass(frozen=True)
class RowwiseStage(OnlineTransformer):
    """A one-input, one-output stage whose output for a row depends on that row alone.

    Subclasses give :meth:`per_row` (value -> output, BadValue for what Spark rejects) and, for
    vector outputs, :meth:`to_column` / :meth:`to_row`."""

    input_col: str = ""
    output_col: str = ""

    def input_columns(self) -> Sequence[str]:
        return (self.input_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def per_row(self) -> Callable[[Any], Any]:
        raise NotImplementedError

    def to_column(self, outputs: list) -> Any:
        col = np.empty(len(outputs), dtype=object)
        col[:] = outputs
        return col

    def to_row(self, output: Any) -> Any:
        return output

    def score_columns(self, batch: Batch) -> Scored:
        func = self.per_row()
        outputs = []
        for i, value in enumerate(batch.objects(self.input_col, self.name)):
            try:
                outputs.append(func(value))
            except BadValue as exc:
                raise invalid(str(exc), self, self.input_col, batch, i) from None
        return Scored({self.output_col: self.to_column(outputs)})

    def row_kernel(self) -> RowKernel:
        """The same per-row function; a value Spark rejects takes score_columns, which raises."""
        func, to_row, src, dst = self.per_row(), self.to_row, self.input_col, self.output_col

        def kernel(values: dict) -> bool:
            value = values.get(src, ABSENT)
            if value is ABSENT:
                return False
            try:
                values[dst] = to_row(func(value))
            except BadValue:
                return False
            return True

        return kernel


def sparse_column(rows: list[dict[int, float]], size: int) -> CsrColumn:
    """Per-row {index: value} maps as a column of SparseVectors (Spark's ``Vectors.sparse``)."""
    n = len(rows)
    counts = np.fromiter(map(len, rows), dtype=np.int64, count=n)
    total = int(counts.sum())
    indices = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=total)
    values = np.fromiter(chain.from_iterable(r.values() for r in rows), dtype=np.float64,
                         count=total)
    return CsrColumn.of_entries(np.repeat(np.arange(n), counts), indices, values, n, size)


def sparse_row(entries: dict[int, float], size: int) -> EntriesVector:
    return EntriesVector(size, entries)
