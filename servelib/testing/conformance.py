"""Checks every servelib stage must pass (in the spirit of scikit-learn's estimator_checks).

Each check takes a loaded model and sample rows (the parity fixture's input rows, which include
nulls, NaN and unseen values) and returns a list of problems (empty when the check passes):

* single row == short list == the batch path on the same rows == Arrow batch, bit for bit (the
  first two take the row kernels where stages have them);
* row order does not change any row's result;
* an empty batch gives an empty result with the output columns;
* inputs are never mutated;
* a missing input column, a value of the wrong type, a null or a NaN in any input column give
  either a result or an InvalidInput naming the column — never any other exception — and the
  same outcome for the row alone (``score_instance``, a stage's row kernel when it has one) as
  on the batch path (``score_rows_as_batch``).

:func:`row_path_problems` and :func:`rows_path_problems` compare the row path with the batch path
exactly (result bits, or error class, message, column, stage and row): the property-based fuzzer
(tests/testing/test_fuzz_rows.py) runs them on mutated fixture rows.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from servelib.errors import InvalidInput, RowSkipped
from servelib.testing.parity import table_rows, to_table
from servelib.vectors import DenseVector, SparseVector

Rows = Sequence[Mapping[str, Any]]


def identical(a: Any, b: Any) -> bool:
    if a is b:  # a passed-through input value (a NumPy NaN is not equal to itself)
        return True
    if isinstance(a, (DenseVector, SparseVector)):
        return (
            type(a) is type(b)
            and a.size == b.size
            and _bits(a.toArray()) == _bits(b.toArray())
        )
    if isinstance(a, float) and isinstance(b, float):  # the sign of zero counts too
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1.0, a) == math.copysign(1.0, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _bits(values: np.ndarray) -> bytes:
    """The values' bytes with every NaN made one NaN: a NaN's sign and payload (which BLAS may
    set differently for one row and for several) are not values; Java's doubleToLongBits
    canonicalizes them too. The sign of zero still counts."""
    return np.where(np.isnan(values), np.nan, values).tobytes()


def _singles(model, rows: Rows) -> list[dict]:
    out = []
    for row in rows:
        try:
            out.append(model.score_instance(row))
        except RowSkipped:
            pass
    return out


def check_single_equals_batch(model, rows: Rows, schema: Mapping) -> list[str]:
    singles = _singles(model, rows)
    many = model.score_instances(rows)
    as_batch = model.score_rows_as_batch(rows)
    batch = table_rows(model.transform(to_table(list(rows), schema)))
    problems = []
    if not identical(singles, many):
        problems.append("score_instance and score_instances disagree")
    if not identical(many, as_batch):
        problems.append("score_instances and the batch path on the same rows disagree")
    if not identical(as_batch, batch):
        problems.append("score_instances and transform disagree")
    return problems


def check_order_invariance(model, rows: Rows, schema: Mapping) -> list[str]:
    forward = model.score_instances(rows)
    backward = model.score_instances(list(reversed(rows)))
    if not identical(forward, list(reversed(backward))):
        return ["reversing the rows changes results"]
    return []


def check_empty_batch(model, rows: Rows, schema: Mapping) -> list[str]:
    problems = []
    if model.score_instances([]) != []:
        problems.append("score_instances([]) is not []")
    table = model.transform(to_table([], schema))
    if table.num_rows != 0:
        problems.append("transform of an empty table returned rows")
    # the columns a non-empty table gets (RFormula adds no label when its column is absent)
    full = model.transform(to_table(rows, schema)).column_names if rows else ()
    missing = [c for c in model.output_columns() if c not in table.column_names and c in full]
    if missing:
        problems.append(f"transform of an empty table lacks output columns {missing}")
    return problems


def check_inputs_not_mutated(model, rows: Rows, schema: Mapping) -> list[str]:
    before = copy.deepcopy(list(rows))
    _singles(model, rows)
    model.score_instances(rows)
    table = to_table(list(rows), schema)
    snapshot = table.to_pylist()
    model.transform(table)
    problems = []
    if not identical([dict(r) for r in rows], before):
        problems.append("scoring mutated the input rows")
    if table.to_pylist() != snapshot and not _nan_equal(table, snapshot):
        problems.append("transform mutated the input table")
    return problems


def _nan_equal(table: pa.Table, snapshot: list) -> bool:
    return identical(table.to_pylist(), snapshot)


class _Unconvertible:
    def __repr__(self) -> str:
        return "<unconvertible object>"


def check_bad_values(model, rows: Rows, schema: Mapping) -> list[str]:
    """Missing column, wrong type, null, NaN: a result or InvalidInput naming the column."""
    problems = []
    if not rows:
        return ["no sample rows"]
    base = dict(rows[0])
    for column in model.input_columns():
        variants: list[tuple[str, Callable[[dict], None], bool]] = [
            ("missing", lambda r, c=column: r.pop(c, None), True),
            ("wrong type", lambda r, c=column: r.__setitem__(c, _Unconvertible()), True),
            ("null", lambda r, c=column: r.__setitem__(c, None), False),
            ("NaN", lambda r, c=column: r.__setitem__(c, float("nan")), False),
        ]
        for label, mutate, must_fail in variants:
            row = dict(base)
            mutate(row)
            if _outcome(lambda: [model.score_instance(row)]) != _outcome(
                    lambda: model.score_rows_as_batch([row])):
                problems.append(f"{label} {column!r}: score_instance and the batch path disagree")
            try:
                result = model.score_instance(row)
            except InvalidInput as exc:
                if exc.column is None and label in ("missing", "wrong type"):
                    problems.append(f"{label} {column!r}: error does not name a column: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001 - any other exception is the finding
                problems.append(f"{label} {column!r}: {type(exc).__name__}: {exc}")
                continue
            if label == "missing" and not set(model.output_columns()) <= result.keys():
                continue  # the stage left its output out, as Spark's StringIndexerModel does
            if must_fail:
                problems.append(f"{label} {column!r}: scored without an error")
    return problems


def _outcome(score: Callable[[], list]) -> tuple:
    """What scoring a row came to, comparably: its result (rows as identical() sees them), a
    skip, or the error's type and column."""
    try:
        rows = score()
    except RowSkipped:
        return ("skipped",)
    except InvalidInput as exc:
        return ("error", type(exc).__name__, exc.column)
    except Exception as exc:  # noqa: BLE001 - reported by the caller's own run
        return ("error", type(exc).__name__, None)
    return ("skipped",) if not rows else ("result", _Same(rows[0]))


def exact_outcome(score: Callable[[], Any]) -> tuple:
    """What scoring came to, comparably and exactly: its result (as identical() sees it), or
    the servelib error's class, message, column, stage and row. Any other exception is
    ``("foreign", ...)``, which no check accepts."""
    try:
        result = score()
    except InvalidInput as exc:
        return ("raised", type(exc).__name__, str(exc), exc.column, exc.stage, exc.row)
    except Exception as exc:  # noqa: BLE001 - the finding itself
        return ("foreign", type(exc).__name__, str(exc)[:300])
    return ("result", _Same(result))


def row_path_problems(model, row: Mapping[str, Any]) -> list[str]:
    """The row path (row kernels, each falling back to its stage's batch path) against the
    batch path alone on one row: same result bits, or the same error or skip."""
    return _differences("row path", exact_outcome(lambda: model.score_instance(row)),
                        "batch path", exact_outcome(lambda: model.score_instance_as_batch(row)))


def rows_path_problems(model, rows: Rows) -> list[str]:
    """score_instances (row by row for short lists) against the batch path on the same list."""
    return _differences("score_instances", exact_outcome(lambda: model.score_instances(rows)),
                        "batch path", exact_outcome(lambda: model.score_rows_as_batch(rows)))


def _differences(first: str, a: tuple, second: str, b: tuple) -> list[str]:
    """Foreign exceptions on either side, and any difference between the two outcomes."""
    problems = [f"{name} raised {o[1]}: {o[2]}" for name, o in ((first, a), (second, b))
                if o[0] == "foreign"]
    if a != b:
        problems.append(f"{first} {_shown(a)} != {second} {_shown(b)}")
    return problems


def _shown(outcome: tuple) -> str:
    if outcome[0] == "result":
        return repr(outcome[1].row)[:600]
    return repr(outcome)[:600]


class _Same:
    """Compares as equal to another result that identical() accepts."""

    def __init__(self, row: dict) -> None:
        self.row = row

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and identical(self.row, other.row)

    __hash__ = None  # type: ignore[assignment]


CHECKS = (
    check_single_equals_batch,
    check_order_invariance,
    check_empty_batch,
    check_inputs_not_mutated,
    check_bad_values,
)
