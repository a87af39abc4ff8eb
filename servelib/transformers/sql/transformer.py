"""SQLTransformer: a SELECT over ``__THIS__`` (see compile.py for the subset).

Spark runs the statement as SQL over the input DataFrame; its output has exactly the SELECT
list's columns (``*`` keeps every input column), and WHERE drops rows. Spark's filter runs below
the projection, so a row WHERE drops never raises an ANSI error in a SELECT expression.
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/SQLTransformer.scala
https://github.com/apache/spark/blob/v4.0.0/mllib/src/main/scala/org/apache/spark/ml/feature/SQLTransformer.scala

Input types: rows carry no schema, so a column's Spark type comes from a declaration
(:meth:`with_input_types`), an Arrow table's type, or its values (Python int is LongType, float
DoubleType, str, bool). Byte, short, float, decimal and date columns are refused when an
expression reads them; a column selected as is passes through whatever it holds (vectors too).
Expressions are bound once per distinct set of input types (cached) to plain Python functions
that both the row kernel and score_columns run, row by row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from servelib.errors import InvalidInput, RowSkipped
from servelib.transformers.base import OnlineTransformer, RowKernel, Scored
from servelib.transformers.batch import Batch, object_column
from servelib.transformers.sql import vectorized
from servelib.transformers.sql.compile import Statement
from servelib.transformers.sql.nodes import Col, Env, Fn
from servelib.transformers.sql.values import SqlError, conform, kind_of
from servelib.vectors import VectorColumn

_DECLARED = {"integer": "int", "long": "bigint", "double": "double", "string": "string",
             "boolean": "boolean"}
_ARROW = {"int32": "int", "int64": "bigint", "double": "double", "string": "string",
          "large_string": "string", "bool": "boolean", "null": "null"}
_DTYPES = {"float64": "double", "int64": "bigint", "int32": "int", "bool": "boolean"}
_WHERE = "the statement's WHERE"


@dataclass(frozen=True)
class Plan:
    """The statement bound to one set of input column types."""

    where: Fn | None
    computed: tuple[tuple[str, Fn, str], ...]  # output name, function, Spark type


@dataclass(frozen=True)
class SQLTransformer(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.SQLTransformer"

    statement: Statement = field(kw_only=True)
    ansi: bool = field(kw_only=True)  # the model's Spark line's spark.sql.ansi.enabled default
    declared: Mapping[str, str] = field(default_factory=dict, kw_only=True)

    def input_columns(self) -> Sequence[str]:
        return self.statement.columns()

    def output_columns(self) -> Sequence[str]:
        return [name for name, _ in self.statement.items]

    def with_input_types(self, types: Mapping[str, str]) -> SQLTransformer:
        return replace(self, declared=dict(types))

    def drops_rows(self) -> bool:
        # WHERE drops rows and a projection hides columns: both hold whatever outputs= wants
        return self.statement.where is not None or not self.statement.star

    @cached_property
    def _reads(self) -> tuple[str, ...]:
        """Columns the computed expressions and WHERE read (not plain pass-through columns)."""
        seen: dict[str, None] = {}
        for _, node in self.statement.items:
            if not isinstance(node, Col):
                seen.update(dict.fromkeys(sorted(node.columns())))
        if self.statement.where is not None:
            seen.update(dict.fromkeys(sorted(self.statement.where.columns())))
        return tuple(seen)

    @cached_property
    def _plans(self) -> dict[tuple[str, ...], Plan | tuple[str, str]]:
        return {}

    def _plan(self, kinds: tuple[str, ...]) -> Plan:
        """The statement bound to these column types, cached; a type error (cached as its
        message and column) raises InvalidInput."""
        hit = self._plans.get(kinds)
        if hit is None:
            hit = self._bound(kinds)
            if len(self._plans) < 64:
                self._plans[kinds] = hit
        if isinstance(hit, tuple):
            raise InvalidInput(hit[0], column=hit[1], stage=self.name)
        return hit

    def _bound(self, kinds: tuple[str, ...]) -> Plan | tuple[str, str]:
        env = Env({c: i for i, c in enumerate(self._reads)}, dict(zip(self._reads, kinds)),
                  self.ansi)
        where = None
        column = _WHERE
        try:
            if self.statement.where is not None:
                where, kind = self.statement.where.bind(env)
                if kind not in ("boolean", "null"):
                    return f"{_WHERE} is a {kind}, not a boolean", column
            computed = []
            for column, node in self.statement.items:
                if not isinstance(node, Col):
                    computed.append((column, *node.bind(env)))
        except SqlError as e:
            return str(e), column
        return Plan(where, tuple(computed))

    def _inferred(self, name: str, value_kinds: set[str], source: str | None) -> str:
        """An undeclared column's type: the Arrow type, else the one kind its values share."""
        if source is not None:
            return source
        found = value_kinds - {"null"}
        if len(found) > 1:
            raise InvalidInput(f"values of several types {sorted(found)} in one column",
                               column=name, stage=self.name)
        return found.pop() if found else "null"

    def _declared_kind(self, name: str) -> str | None:
        declared = self.declared.get(name)
        if declared is None:
            return None
        kind = _DECLARED.get(declared)
        if kind is None:
            raise InvalidInput(f"SQLTransformer reads double, integer, long, string and boolean "
                               f"columns, not {declared}", column=name, stage=self.name)
        return kind

    # ---- batch path --------------------------------------------------------------------------
    def score_columns(self, batch: Batch) -> Scored:
        fast = self._columnwise(batch)
        if fast is not None:
            return fast
        columns, kinds = [], []
        for name in self._reads:
            values, kind = self._column(batch, name)
            columns.append(values)
            kinds.append(kind)
        plan = self._plan(tuple(kinds))
        rows = list(zip(*columns)) if columns else [()] * batch.n
        keep = None
        if plan.where is not None:
            keep = np.array([self._eval(plan.where, v, _WHERE, batch, i) is True
                             for i, v in enumerate(rows)], dtype=bool)
        out: dict[str, Any] = {}
        computed = {name: (fn, kind) for name, fn, kind in plan.computed}
        for name, node in self.statement.items:
            if isinstance(node, Col):
                out[name] = self._passed(batch, node.name)
                continue
            if self.statement.star and batch.has(name):
                raise InvalidInput("SELECT * already has a column of this name: Spark's "
                                   "output would hold two", column=name, stage=self.name)
            fn, kind = computed[name]
            # rows WHERE drops are not evaluated (Spark filters below the projection)
            values = [self._eval(fn, v, name, batch, i) if keep is None or keep[i] else None
                      for i, v in enumerate(rows)]
            out[name] = _canonical(values, kind)
        visible = None if self.statement.star else tuple(self.output_columns())
        return Scored(out, keep=keep, skip_reason=_WHERE + " is not true", visible=visible)

    def _passed(self, batch: Batch, column: str) -> Any:
        """A selected input column as it is (a declared type is checked all the same)."""
        if column in self.declared and column not in self._reads:
            self._column(batch, column)
        return batch.column(column, self.name)

    def _columnwise(self, batch: Batch) -> Scored | None:
        """The statement in NumPy when it reads only double and integer columns (nulls allowed)
        and uses only what vectorized.py computes bit for bit as the row path does; else None."""
        columns: vectorized.Columns = {}
        for name in self._reads:
            col = self._operand(batch, name)
            if col is None:
                return None
            columns[name] = col
        keep = None
        if self.statement.where is not None:
            where = vectorized.evaluate(self.statement.where, columns, batch.n)
            if where is None or where[0].dtype != bool:
                return None
            keep = where[0].copy() if where[1] is None else where[0] & ~where[1]
        out: dict[str, Any] = {}
        for name, node in self.statement.items:
            if isinstance(node, Col):
                out[name] = self._passed(batch, node.name)
                continue
            value = vectorized.evaluate(node, columns, batch.n)
            if value is None or (self.statement.star and batch.has(name)):
                return None
            data, null = value
            if null is None:
                out[name] = data.copy()
            else:  # the row path's column of Python values with None, bit for bit
                values = data.tolist()
                for i in np.flatnonzero(null).tolist():
                    values[i] = None
                out[name] = object_column(values)
        visible = None if self.statement.star else tuple(self.output_columns())
        return Scored(out, keep=keep, skip_reason=_WHERE + " is not true", visible=visible)

    def _operand(self, batch: Batch, name: str) -> vectorized.Value | None:
        """A double or integer column as NumPy values and a null mask, when the row path would
        read it with that type too; None for anything else (declared integers wrap or fail
        row by row; strings, booleans, vectors; Python rows of mixed types)."""
        if self.declared.get(name, "double") != "double":
            return None
        col = batch.column(name, self.name)
        if isinstance(col, VectorColumn):
            return None
        if col.dtype == np.float64:
            return vectorized.Value(col, "double")
        if col.dtype in (np.int64, np.int32) and name not in self.declared:
            return vectorized.Value(col.astype(np.int64, copy=False), "int")
        if col.dtype != object:
            return None
        source = batch.source_type(name)
        if source is None:  # Python rows: the row path types the column by its values
            kinds = {type(v) for v in col.tolist()} - {type(None)}
            kind = {frozenset({float}): "double", frozenset({int}): "int"}.get(frozenset(kinds))
        else:
            kind = {"double": "double", "int32": "int", "int64": "int"}.get(str(source))
        if kind is None or kind == "int" and name in self.declared:
            return None  # no values but nulls (typed null), mixed types, a declared conversion
        null = np.equal(col, None)  # elementwise in C over the Python values checked above
        try:
            data = np.where(null, np.nan if kind == "double" else 0, col).astype(
                np.float64 if kind == "double" else np.int64)
        except OverflowError:  # a Python int beyond 64 bits: row by row
            return None
        return vectorized.Value(data, kind, null if null.any() else None)

    def _eval(self, fn: Fn, values: tuple, column: str, batch: Batch, i: int) -> Any:
        try:
            return fn(values)
        except SqlError as e:
            raise InvalidInput(str(e), column=column, stage=self.name,
                               row=int(batch.row_ids[i])) from None

    def _column(self, batch: Batch, name: str) -> tuple[list, str]:
        col = batch.column(name, self.name)
        if isinstance(col, VectorColumn):
            return [col.row(i) for i in range(batch.n)], "other"
        values = col.tolist()
        kind = self._declared_kind(name)
        if kind is not None:
            for i, v in enumerate(values):
                try:
                    values[i] = conform(v, kind)
                except SqlError as e:
                    raise InvalidInput(str(e), column=name, stage=self.name,
                                       row=int(batch.row_ids[i])) from None
            return values, kind
        if col.dtype != object:
            kind = _DTYPES.get(str(col.dtype))
            if kind is None:
                raise InvalidInput(f"SQLTransformer does not read {col.dtype} columns",
                                   column=name, stage=self.name)
            return values, kind
        values = [v.item() if isinstance(v, np.generic) else v for v in values]
        source = batch.source_type(name)
        arrow = None
        if source is not None:
            arrow = _ARROW.get(str(source))
            if arrow is None:
                raise InvalidInput(f"SQLTransformer does not read {source} columns",
                                   column=name, stage=self.name)
        return values, self._inferred(name, {_value_kind(v) for v in values}, arrow)

    # ---- row kernel --------------------------------------------------------------------------
    def row_kernel(self) -> RowKernel | None:
        reads, items, star = self._reads, self.statement.items, self.statement.star
        try:
            declared = {k: self._declared_kind(k) for k in self.declared}
        except InvalidInput:
            return None  # an unsupported declared type: the batch path raises it
        checked = tuple((c, declared[c]) for c in self.statement.columns() if c in declared)
        name = self.name

        def kernel(values: dict) -> bool:
            try:
                for c, kind in checked:
                    conform(values[c], kind)
                row = tuple(values[c] if c not in declared else conform(values[c], declared[c])
                            for c in reads)
                kinds = tuple(declared.get(c) or kind_of(v) for c, v in zip(reads, row))
            except (KeyError, SqlError):
                return False
            plan = self._plans.get(kinds)
            if plan is None:
                plan = self._bound(kinds)
                if len(self._plans) < 64:
                    self._plans[kinds] = plan
            if not isinstance(plan, Plan):
                return False
            try:
                if plan.where is not None and plan.where(row) is not True:
                    raise RowSkipped(f"Spark would skip this row: {_WHERE} is not true",
                                     stage=name)
                computed = {c: fn(row) for c, fn, _ in plan.computed}
            except SqlError:
                return False
            if star:
                if any(c in values for c in computed):
                    return False
                values.update(computed)
                return True
            out = {c: values[node.name] if isinstance(node, Col) else computed[c]
                   for c, node in items}
            values.clear()
            values.update(out)
            return True

        return kernel


def _value_kind(value: Any) -> str:
    try:
        return kind_of(value)
    except SqlError:
        return "other"


def _canonical(values: list, kind: str) -> Any:
    if None not in values:
        if kind == "double":
            return np.array(values, dtype=np.float64)
        if kind in ("int", "bigint"):
            return np.array(values, dtype=np.int64)
        if kind == "boolean":
            return np.array(values, dtype=bool)
    return object_column(values)
