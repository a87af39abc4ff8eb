"""`servelib parity`: does servelib score a user's own model and rows exactly as Spark does?

Both sides score the same rows: servelib through ``transform``, Spark either live (PySpark's own
``PipelineModel.load(...).transform``, in a local JVM, when the ``spark`` extra is installed) or
from output Spark wrote earlier (``--expected``: Parquet or JSON lines, no JVM). Rows are matched
by a key column (``--key``) or, without one, by position (then neither side may drop rows).
Every output column of the model is compared: strings and booleans exactly, numbers and vector
entries to ``rtol`` relative (and ``atol`` absolute) difference, vector sizes exactly. NaN equals
only NaN, an infinity only itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from servelib.errors import InvalidInput
from servelib.vectors import DenseVector, SparseVector

ROW = "__servelib_row__"  # carried through Spark too, so a plain column name


@dataclass
class ColumnReport:
    name: str
    compared: int = 0
    mismatches: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    first: list[tuple[Any, Any, Any]] = field(default_factory=list)  # (row, servelib, spark)


@dataclass
class ParityReport:
    rows: int
    columns: list[ColumnReport]
    only_servelib: list[Any]  # rows one side kept and the other dropped
    only_spark: list[Any]

    @property
    def ok(self) -> bool:
        return not (self.only_servelib or self.only_spark) and all(
            c.mismatches == 0 for c in self.columns)


def compare(ours: Sequence[Mapping[str, Any]], spark: Sequence[Mapping[str, Any]],
            columns: Iterable[str], key: str, *, rtol: float, atol: float, show: int,
            progress: Any = None) -> ParityReport:
    """Compare rows matched by ``key`` over ``columns``."""
    theirs = {r[key]: r for r in spark}
    mine = {r[key]: r for r in ours}
    reports = [ColumnReport(c) for c in columns]
    for row_key, row in mine.items():
        other = theirs.get(row_key)
        if other is not None:
            for rep in reports:
                _compare_value(rep, row_key, row.get(rep.name), other.get(rep.name), rtol, atol, show)
        if progress is not None:
            progress.update(1)
    return ParityReport(
        rows=len(mine),
        columns=reports,
        only_servelib=[k for k in mine if k not in theirs],
        only_spark=[k for k in theirs if k not in mine],
    )


def _compare_value(rep: ColumnReport, row: Any, ours: Any, spark: Any, rtol: float, atol: float,
                   show: int) -> None:
    rep.compared += 1
    equal, abs_diff, rel_diff = _diff(ours, spark, rtol, atol)
    rep.max_abs = max(rep.max_abs, abs_diff)
    rep.max_rel = max(rep.max_rel, rel_diff)
    if not equal:
        rep.mismatches += 1
        if len(rep.first) < show:
            rep.first.append((row, ours, spark))


def _diff(a: Any, b: Any, rtol: float, atol: float) -> tuple[bool, float, float]:
    """(equal within tolerance, absolute difference, relative difference)."""
    if isinstance(a, (DenseVector, SparseVector)) or isinstance(b, (DenseVector, SparseVector)):
        if not (isinstance(a, (DenseVector, SparseVector)) and isinstance(b, (DenseVector, SparseVector))):
            return False, math.inf, math.inf
        if a.size != b.size:
            return False, math.inf, math.inf
        worst = (True, 0.0, 0.0)
        for x, y in zip(a.toArray().tolist(), b.toArray().tolist()):
            eq, ad, rd = _number_diff(x, y, rtol, atol)
            worst = (worst[0] and eq, max(worst[1], ad), max(worst[2], rd))
        return worst
    if isinstance(a, bool) or isinstance(b, bool) or not (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
    ):
        return a == b and type(a) is type(b), 0.0 if a == b else math.inf, 0.0 if a == b else math.inf
    return _number_diff(float(a), float(b), rtol, atol)


def _number_diff(x: float, y: float, rtol: float, atol: float) -> tuple[bool, float, float]:
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or math.isinf(y):
        same = (math.isnan(x) and math.isnan(y)) or x == y
        return same, 0.0 if same else math.inf, 0.0 if same else math.inf
    abs_diff = abs(x - y)
    scale = max(abs(x), abs(y))
    rel_diff = abs_diff / scale if scale else 0.0
    return abs_diff <= atol + rtol * scale, abs_diff, rel_diff


def keyed(rows: Sequence[Mapping[str, Any]], key: str | None) -> list[dict[str, Any]]:
    """Rows with the matching key in ``ROW``: the ``key`` column, or the position."""
    out = []
    for i, row in enumerate(rows):
        if key is not None and key not in row:
            raise InvalidInput(f"--key column {key!r} is missing from a row ({sorted(row)[:10]})")
        out.append({**row, ROW: row[key] if key is not None else i})
    return out


def print_report(report: ParityReport, out: Any) -> None:
    status = "PARITY" if report.ok else "MISMATCH"
    print(f"{status}: {report.rows} rows compared on {len(report.columns)} output columns", file=out)
    width = max((len(c.name) for c in report.columns), default=6)
    print(f"  {'column':<{width}}  {'mismatches':>10}  {'max abs diff':>12}  {'max rel diff':>12}",
          file=out)
    for c in report.columns:
        print(f"  {c.name:<{width}}  {c.mismatches:>10}  {c.max_abs:>12.3g}  {c.max_rel:>12.3g}",
              file=out)
    for c in report.columns:
        for row, ours, spark in c.first:
            print(f"  row {row} column {c.name!r}: servelib {ours!r} != Spark {spark!r}", file=out)
    for name, rows in (("servelib", report.only_servelib), ("Spark", report.only_spark)):
        if rows:
            print(f"  rows only {name} kept: {rows[:20]}{' ...' if len(rows) > 20 else ''}", file=out)


def report_json(report: ParityReport) -> dict[str, Any]:
    from servelib.jsonrows import to_json

    return to_json({
        "parity": report.ok,
        "rows": report.rows,
        "columns": [
            {"name": c.name, "compared": c.compared, "mismatches": c.mismatches,
             "max_abs_diff": c.max_abs, "max_rel_diff": c.max_rel,
             "first_mismatches": [{"row": r, "servelib": o, "spark": s} for r, o, s in c.first]}
            for c in report.columns
        ],
        "rows_only_servelib": report.only_servelib,
        "rows_only_spark": report.only_spark,
    })
