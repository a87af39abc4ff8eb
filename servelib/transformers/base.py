"""The OnlineTransformer protocol every stage implements, and helpers shared by stages.

A stage implements one scoring function, :meth:`OnlineTransformer.score_columns`, over a
:class:`~servelib.transformers.batch.Batch`. The three entry points (``score_instance`` for one
row, ``score_instances`` for a short list, ``transform`` for an Arrow table) all run that same
function, so online and batch scoring cannot drift (Michelangelo's OnlineTransformer).

One row through NumPy costs a microsecond or more per array call, tens of calls per stage. So a
stage may also offer a *row kernel* (:meth:`OnlineTransformer.row_kernel`): plain Python over
one row dict, built once from the same fitted state, that scores only the clean, common case
(the right types, no value that needs handleInvalid) and hands every other row back to
``score_columns``. A pipeline uses kernels only when every stage has one, and starts the row over
on the batch path the moment one kernel declines, so errors, skips and odd types always come
from the one scoring function. A kernel must give the batch path's bits: the conformance suite
compares ``score_instance`` with ``score_instances`` on every parity fixture's rows.

Column attributes (Spark's ML attribute metadata: nominal values, vector slot names and sizes) are
propagated once at load time through :meth:`bind` and :meth:`output_attributes`, the way Spark
propagates them through ``transformSchema`` at transform time.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from servelib.errors import InvalidInput, RowSkipped
from servelib.transformers.attributes import Attrs
from servelib.transformers.batch import Batch
from servelib.vectors import (
    VECTOR_ARROW_TYPE,
    DenseVector,
    RowVector,
    SparseVector,
    VectorColumn,
    vector_to_struct,
)

# Scores one row dict in place (plain Python values, vectors as RowVector); False: not the
# kernel's case, the row goes to score_columns (what the kernel wrote is thrown away).
RowKernel = Callable[[dict[str, Any]], bool]
ABSENT = object()  # what a kernel's ``values.get(column, ABSENT)`` gives for a missing column
# score_instances scores lists up to this long row by row through the kernel: per row it costs
# a tenth of what the batch path costs for a list of 10 (benchmarks/test_micro.py)
_KERNEL_ROWS = 32


class HandleInvalid(enum.Enum):
    """Spark's handleInvalid param."""

    ERROR = "error"
    SKIP = "skip"
    KEEP = "keep"


@dataclass
class Scored:
    """What a stage's scoring function returns: new columns, and rows to keep (skip mode)."""

    columns: dict[str, Any]
    keep: np.ndarray | None = None  # bool per row; None keeps all
    skip_reason: str = "Spark drops this row"
    skip_column: str | None = None


@dataclass(frozen=True)
class OnlineTransformer:
    """Base of every servelib stage. Subclasses are frozen dataclasses holding fitted state."""

    uid: str
    spark_class: ClassVar[str] = ""
    # Facts for `servelib inspect`, filled by loaders; never used for scoring.
    info: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False, kw_only=True)

    # ---- what each stage defines ---------------------------------------------------------
    def input_columns(self) -> Sequence[str]:
        raise NotImplementedError

    def output_columns(self) -> Sequence[str]:
        raise NotImplementedError

    def score_columns(self, batch: Batch) -> Scored:
        """The one scoring function: read input columns from ``batch``, return new columns."""
        raise NotImplementedError

    def bind(self, attrs: Attrs) -> OnlineTransformer:
        """Resolve anything that depends on upstream column attributes; default: nothing."""
        return self

    def with_input_types(self, types: Mapping[str, str]) -> OnlineTransformer:
        """This stage, told the Spark SQL types of input columns (schema JSON names: "double",
        "float", "integer", ...). Row dicts carry no schema, but some stages' outputs follow the
        input column's type (Imputer casts back to it); default: nothing to declare."""
        return self

    def output_attributes(self, attrs: Attrs) -> Attrs:
        """Attributes this stage attaches to its output columns; default: none."""
        return {}

    def row_kernel(self) -> RowKernel | None:
        """The one-row fast path for the common case (see the module docstring); default:
        none, every row goes through score_columns."""
        return None

    # ---- shared machinery ----------------------------------------------------------------
    @cached_property
    def name(self) -> str:
        """How errors name this stage: Spark's simple class name and uid."""
        return f"{self.spark_class.rsplit('.', 1)[-1]}({self.uid})"

    def run(self, batch: Batch) -> None:
        result = self.score_columns(batch)
        if result.keep is not None and not result.keep.all():
            if batch.single:
                raise RowSkipped(
                    f"Spark would skip this row: {result.skip_reason}",
                    column=result.skip_column,
                    stage=self.name,
                )
            batch.keep(result.keep)
            result.columns = {k: _take(v, result.keep) for k, v in result.columns.items()}
        for key, col in result.columns.items():
            batch.set(key, col)

    # ---- the three entry points ----------------------------------------------------------
    @cached_property
    def _kernel(self) -> RowKernel | None:
        return self.row_kernel()

    def score_instance(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Score one row; returns the row plus every output column (like Spark's transform)."""
        out = self._by_kernel(row)
        if out is not None:
            return out
        batch = Batch.from_rows((row,), single=True)
        self.run(batch)
        outputs = batch.outputs()
        out = dict(row)
        for key in self._produced:
            if key in outputs:
                out[key] = python_value(outputs[key], 0)
        return out

    def score_instances(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Score a short list of rows at once. Rows Spark would skip are dropped. Up to
        ``_KERNEL_ROWS`` rows go through the row kernel one by one when it takes every one of
        them; otherwise (and for longer lists) the list is scored as one batch."""
        rows = list(rows)
        if len(rows) <= _KERNEL_ROWS and self._kernel is not None:
            done = []
            for row in rows:
                out = self._by_kernel(row)
                if out is None:
                    break
                done.append(out)
            else:
                return done
        return self.score_rows_as_batch(rows)

    def score_rows_as_batch(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """score_instances through score_columns only, never the row kernel (what the
        conformance suite compares the kernels with)."""
        rows = list(rows)
        batch = Batch.from_rows(rows)
        self.run(batch)
        outputs = batch.outputs()
        produced = [k for k in self._produced if k in outputs]
        result = []
        for i, src in enumerate(batch.row_ids):
            out = dict(rows[src])
            for key in produced:
                out[key] = python_value(outputs[key], i)
            result.append(out)
        return result

    def transform(self, table: pa.Table) -> pa.Table:
        """Score an Arrow table; vector columns use Spark's VectorUDT struct layout."""
        batch = Batch.from_table(table)
        self.run(batch)
        outputs = batch.outputs()
        if batch.n != table.num_rows:
            table = table.take(pa.array(batch.row_ids, pa.int64()))
        for key in self._produced:
            if key in outputs:
                arr = arrow_column(outputs[key])
                if key in table.column_names:
                    table = table.set_column(table.column_names.index(key), key, arr)
                else:
                    table = table.append_column(key, arr)
        return table

    def _by_kernel(self, row: Mapping[str, Any]) -> dict[str, Any] | None:
        """The row scored by the row kernel, or None when there is none or it declines."""
        kernel = self._kernel
        if kernel is None:
            return None
        values = dict(row)
        if not kernel(values):
            return None
        for key in self._produced:
            value = values.get(key)
            if value.__class__ is RowVector:
                values[key] = value.finish()
        return values

    @cached_property
    def _produced(self) -> tuple[str, ...]:
        return tuple(self.all_output_columns())

    def all_output_columns(self) -> Iterable[str]:
        """Every column this stage (or, for a pipeline, any of its stages) writes."""
        return self.output_columns()


def _take(col: Any, mask: np.ndarray) -> Any:
    if isinstance(col, VectorColumn):
        return col.take(np.flatnonzero(mask))
    return col[mask]


def python_value(col: Any, i: int) -> Any:
    """Row ``i`` of a canonical column as a plain Python value (float, str, vector, None)."""
    if isinstance(col, VectorColumn):
        return col.row(i)
    value = col[i]
    if isinstance(value, np.generic):
        return value.item()
    return value


def arrow_column(col: Any) -> pa.Array:
    if isinstance(col, VectorColumn):
        return col.to_arrow()
    if col.dtype == object:
        values = col.tolist()
        if any(v and isinstance(v, list) and isinstance(v[0], (DenseVector, SparseVector))
               for v in values):  # arrays of vectors (LSH hashes): array<VectorUDT>
            return pa.array([None if v is None else [vector_to_struct(x) for x in v]
                              for v in values], pa.list_(VECTOR_ARROW_TYPE))
        return pa.array(values)
    return pa.array(col)


def invalid(message: str, stage: OnlineTransformer, column: str, batch: Batch, i: int | None):
    """An InvalidInput for row ``i`` of ``batch`` (numbered as in the caller's input)."""
    row = None if i is None else int(batch.row_ids[i])
    return InvalidInput(message, column=column, stage=stage.name, row=row)
