"""The OnlineTransformer protocol every stage implements, and helpers shared by stages.

A stage implements one scoring function, :meth:`OnlineTransformer.score_columns`, over a
:class:`~servelib.transformers.batch.Batch`. The three entry points (``score_instance`` for one
row, ``score_instances`` for a short list, ``transform`` for an Arrow table) all run that same
function, so online and batch scoring cannot drift (Michelangelo's OnlineTransformer).

One row through NumPy costs a microsecond or more per array call, tens of calls per stage. So a
stage may also offer a *row kernel* (:meth:`OnlineTransformer.row_kernel`): plain Python over
one row dict, built once from the same fitted state, that scores every row Spark accepts in the
forms users send (ints, bools and NumPy scalars for numbers, nulls and NaN where the stage
defines them, vectors as lists or dicts) and declines what is rare (most errors, odd types).
A declined row is scored by that stage's ``score_columns`` on the row alone
(:meth:`OnlineTransformer.score_row`), and the pipeline goes on with the next stage's kernel:
a fallback costs one stage's batch path, and errors and skips come from the one scoring
function. A kernel must give the batch path's bits and errors: the conformance suite and a
property-based fuzzer (tests/testing/test_fuzz_rows.py) compare both on every parity fixture.

Rows are scored as a Spark DataFrame would hold them, one type per column: a short list is scored
row by row, so a list mixing kinds in one column (numbers and vectors, vectors of two sizes) can
score where the batch path, which sees the whole column, refuses it. ``outputs`` (every entry
point) returns exactly the named columns and runs only the stages they need (see
:meth:`PipelineModel.for_outputs`).

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
from servelib.transformers import threads
from servelib.transformers.attributes import Attrs
from servelib.transformers.batch import Batch, brief
from servelib.transformers.text.token_column import TokenColumn
from servelib.vectors import (
    VECTOR_ARROW_TYPE,
    DenseVector,
    EntriesVector,
    SparseVector,
    VectorColumn,
    vector_to_struct,
)

# Scores one row dict in place (plain Python values; vectors as vector_of_row makes them, or
# EntriesVector) and returns True, or raises the InvalidInput / RowSkipped score_columns raises
# for the row; False: rare input the kernel leaves to score_columns on the row (what it wrote to
# the stage's outputs is replaced).
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
    # The columns visible after this stage, in order, when it projects (SQLTransformer's
    # SELECT list); None keeps every column. Later stages' outputs are appended to it.
    visible: tuple[str, ...] | None = None
    dropped: tuple[str, ...] = ()  # columns this stage removes (ColumnPruner)


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
        if result.visible is not None:
            batch.project(result.visible)
        if result.dropped:
            batch.drop(result.dropped)

    # ---- the three entry points ----------------------------------------------------------
    @cached_property
    def _kernel(self) -> RowKernel | None:
        return self.row_kernel()

    def score_instance(
        self, row: Mapping[str, Any], outputs: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Score one row; returns the row plus every output column (like Spark's transform),
        or exactly the columns named in ``outputs`` (see :meth:`for_outputs`)."""
        model, wanted = self._selecting(outputs)
        values = dict(row if row.__class__ is dict else _mapping(row, "score_instance"))
        model.score_row(values)
        return model._finished(values, wanted)

    def score_instances(
        self, rows: Sequence[Mapping[str, Any]], outputs: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """Score a short list of rows at once. Rows Spark would skip are dropped. Up to
        ``_KERNEL_ROWS`` rows are scored one by one on the row path (see :meth:`score_row`);
        when one of them raises an error the list is scored again as one batch, so the error
        is the one the batch path raises (the first in stage order, not row order). Longer
        lists, and lists for a model with a stage that has no kernel, are scored as one
        batch."""
        model, wanted = self._selecting(outputs)
        rows = _row_list(rows)
        if len(rows) <= _KERNEL_ROWS and model._kernel is not None:  # every stage has one
            done = []
            try:
                for row in rows:
                    values = dict(row)
                    try:
                        model.score_row(values)
                    except RowSkipped:
                        continue
                    done.append(model._finished(values, wanted))
            except InvalidInput:
                pass
            else:
                return done
        return model._rows_as_batch(rows, wanted)

    def score_rows_as_batch(
        self, rows: Sequence[Mapping[str, Any]], outputs: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """score_instances through score_columns only, never the row kernel (what the
        conformance suite compares the kernels with)."""
        model, wanted = self._selecting(outputs)
        return model._rows_as_batch(_row_list(rows), wanted)

    def score_instance_as_batch(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """score_instance through score_columns only, never a row kernel (what the fuzzer
        compares the row path with, errors and skips included)."""
        values = dict(_mapping(row, "score_instance"))
        self._row_as_batch(values)
        return values

    def transform(self, table: pa.Table, outputs: Sequence[str] | None = None) -> pa.Table:
        """Score an Arrow table; vector columns use Spark's VectorUDT struct layout. With
        ``outputs``, the table holds exactly those columns.

        A big table is scored as row ranges in threads (threads.py, ``SERVELIB_THREADS``) and
        the ranges' tables concatenated: the same rows and values as one run (every stage
        scores rows independently). When a range raises, or the ranges' schemas differ (an
        object column's Arrow type inferred from its values), the whole table is scored again
        as one range, so errors are the ones a single run raises: the first in stage order,
        then row order, with the row numbered in the whole table."""
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        if not isinstance(table, pa.Table):
            raise TypeError(f"transform takes a pyarrow.Table, got {type(table).__name__}")
        model, wanted = self._selecting(outputs)
        parts = threads.ranges(table.num_rows)
        if len(parts) == 1:
            return model._transform(table, wanted)
        try:
            tables = threads.map_ranges(
                lambda a, b: model._transform(table.slice(a, b - a), wanted), parts)
        except Exception:  # noqa: BLE001 - the single run raises it again, numbered as one
            return model._transform(table, wanted)
        if any(not t.schema.equals(tables[0].schema, check_metadata=True) for t in tables):
            return model._transform(table, wanted)
        return pa.concat_tables(tables)

    def _transform(self, table: pa.Table, wanted: tuple[str, ...] | None) -> pa.Table:
        batch = Batch.from_table(table)
        self.run(batch)
        scored = batch.outputs()
        if batch.n != table.num_rows:
            table = table.take(pa.array(batch.row_ids, pa.int64()))
        names = table.column_names  # kept here: the property builds a new list every call
        for key in self._produced:
            if key in scored and (wanted is None or key in wanted):
                arr = arrow_column(scored[key])
                if key in names:
                    table = table.set_column(names.index(key), key, arr)
                else:
                    table = table.append_column(key, arr)
                    names.append(key)
        if batch.visible is not None:  # a projection (SQLTransformer); unwanted outputs absent
            table = table.select([k for k in batch.visible if k in table.column_names])
        if batch.hidden:
            table = table.drop_columns([k for k in batch.hidden if k in table.column_names])
        if wanted is None:
            return table
        _check_present(wanted, table.column_names)
        return table.select(list(wanted))

    # ---- one row ---------------------------------------------------------------------------
    def score_row(self, values: dict[str, Any]) -> bool:
        """Score one row dict in place: by the row kernel, or, when there is none or it
        declines, by this stage's batch path on the row alone (so a declined row costs one
        stage's batch path, not the pipeline's). Raises what the batch path raises. True when
        the kernel scored it."""
        kernel = self._kernel
        if kernel is not None:
            inplace = self._inplace
            saved = [values.get(k, ABSENT) for k in inplace] if inplace else None
            if kernel(values):
                return True
            if saved:  # the kernel may have overwritten an input it then declined to score
                for key, value in zip(inplace, saved):
                    if value is ABSENT:
                        values.pop(key, None)
                    else:
                        values[key] = value
        self._row_as_batch(values)
        return False

    def _row_as_batch(self, values: dict[str, Any]) -> None:
        batch = Batch.from_rows((values,), single=True)
        self.run(batch)
        scored = batch.outputs()
        for key in self._produced:
            if key in scored:
                values[key] = python_value(scored[key], 0)
        if batch.visible is not None:
            kept = {key: values[key] for key in batch.visible}
            values.clear()
            values.update(kept)
        for key in batch.hidden:
            values.pop(key, None)

    def _finished(self, values: dict[str, Any], wanted: tuple[str, ...] | None) -> dict:
        """A scored row as returned: row vectors made Spark vectors; only ``wanted`` columns."""
        if wanted is None:
            for key in self._produced:
                value = values.get(key)
                if value.__class__ is EntriesVector:
                    values[key] = value.finish()
            return values
        _check_present(wanted, values)
        out = {}
        for key in wanted:
            value = values[key]
            out[key] = value.finish() if value.__class__ is EntriesVector else value
        return out

    def _rows_as_batch(self, rows: list[Mapping[str, Any]], wanted: tuple[str, ...] | None):
        batch = Batch.from_rows(rows)
        self.run(batch)
        scored = batch.outputs()
        produced = [k for k in self._produced if k in scored]
        result = []
        for i, src in enumerate(batch.row_ids):
            out = dict(rows[src])
            for key in produced:
                out[key] = python_value(scored[key], i)
            if batch.visible is not None:
                out = {key: out[key] for key in batch.visible}
            for key in batch.hidden:
                out.pop(key, None)
            result.append(out if wanted is None else self._finished(out, wanted))
        return result

    # ---- wanted output columns -------------------------------------------------------------
    def for_outputs(self, outputs: Sequence[str]) -> OnlineTransformer:
        """This model reduced to what ``outputs`` needs; a single stage is itself (a pipeline
        drops the stages no wanted column depends on)."""
        return self

    def _selecting(self, outputs: Sequence[str] | None):
        if outputs is None:
            return self, None
        if isinstance(outputs, str) or not isinstance(outputs, Sequence):
            raise TypeError(f"outputs is a list of column names, got {type(outputs).__name__}")
        wanted = tuple(outputs)
        for name in wanted:
            if not isinstance(name, str):
                raise TypeError(f"outputs is a list of column names, got {brief(name)}")
        return self.for_outputs(wanted), wanted

    @cached_property
    def _produced(self) -> tuple[str, ...]:
        return tuple(self.all_output_columns())

    @cached_property
    def _inplace(self) -> tuple[str, ...]:
        """Output columns this stage also reads (Imputer in place, say)."""
        inputs = set(self.input_columns())
        return tuple(k for k in self._produced if k in inputs)

    def drops_rows(self) -> bool:
        """Whether this stage may drop rows (handleInvalid="skip"): such a stage runs even
        when no wanted output column depends on it, as Spark's filter survives a select."""
        mode = getattr(self, "handle_invalid", None)
        return mode is HandleInvalid.SKIP or mode == "skip"

    def all_output_columns(self) -> Iterable[str]:
        """Every column this stage (or, for a pipeline, any of its stages) writes."""
        return self.output_columns()


def _mapping(row: Any, entry: str) -> Mapping[str, Any]:
    if not isinstance(row, Mapping):
        raise TypeError(f"{entry} takes a row as a mapping of column name to value (a dict), "
                        f"got {type(row).__name__}")
    return row


def _row_list(rows: Any) -> list[Mapping[str, Any]]:
    if isinstance(rows, (Mapping, str, bytes)) or not isinstance(rows, Iterable):
        raise TypeError("score_instances takes a list of rows (dicts of column name to "
                        f"value), got {type(rows).__name__}")
    rows = list(rows)
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(f"score_instances takes a list of rows (dicts of column name to "
                            f"value); row {i} is a {type(row).__name__}")
    return rows


def _check_present(wanted: tuple[str, ...], columns: Any) -> None:
    for name in wanted:
        if name not in columns:
            raise InvalidInput("no such output column: neither an output of the model nor "
                               "a column of the input", column=name)


def _take(col: Any, mask: np.ndarray) -> Any:
    if isinstance(col, (VectorColumn, TokenColumn)):
        return col.take(np.flatnonzero(mask))
    return col[mask]


def python_value(col: Any, i: int) -> Any:
    """Row ``i`` of a canonical column as a plain Python value (float, str, vector, None)."""
    if isinstance(col, (VectorColumn, TokenColumn)):
        return col.row(i)
    value = col[i]
    if isinstance(value, np.generic):
        return value.item()
    return value


def arrow_column(col: Any) -> pa.Array:
    if isinstance(col, (VectorColumn, TokenColumn)):
        return col.to_arrow()
    if col.dtype == object:
        values = col.tolist()
        if any(v and isinstance(v, list) and isinstance(v[0], (DenseVector, SparseVector))
               for v in values):  # arrays of vectors (LSH hashes): array<VectorUDT>
            return pa.array([None if v is None else [vector_to_struct(x) for x in v]
                              for v in values], pa.list_(VECTOR_ARROW_TYPE))
        arr = pa.array(values)
        if pa.types.is_list(arr.type) and pa.types.is_null(arr.type.value_type):
            # only empty (or all-null) arrays: Spark's array<string> columns (text stages)
            return arr.cast(pa.list_(pa.string()))
        return arr
    return pa.array(col)


def invalid(message: str, stage: OnlineTransformer, column: str, batch: Batch, i: int | None):
    """An InvalidInput for row ``i`` of ``batch`` (numbered as in the caller's input)."""
    row = None if i is None else int(batch.row_ids[i])
    return InvalidInput(message, column=column, stage=stage.name, row=row)
