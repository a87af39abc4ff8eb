"""Compare servelib with outputs PySpark produced (fixture directories of make_fixtures.py).

A fixture directory holds ``model/``, ``schema.json``, ``input.jsonl``, ``expected.jsonl`` and
optionally ``bad.jsonl``. :func:`check_fixture` scores the input through all three entry points
and compares every output column: strings, indices and labels exactly, doubles to relative 1e-9.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from servelib.errors import InvalidInput, RowSkipped
from servelib.vectors import (
    VECTOR_ARROW_TYPE,
    DenseVector,
    SparseVector,
    is_vector_struct,
    vector_from_struct,
)

RTOL = 1e-9
ROW_ID = "_row"


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("$vector") == "dense":
            return DenseVector([decode(v) for v in value["values"]])
        if value.get("$vector") == "sparse":
            return SparseVector(value["size"], value["indices"], [decode(v) for v in value["values"]])
        if "$float" in value:
            return float(value["$float"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [{k: decode(v) for k, v in json.loads(line).items()} for line in path.read_text().splitlines() if line]


def arrow_type(spark_type: Any) -> pa.DataType:
    """Spark schema JSON type -> Arrow type (what a user's Parquet would hold)."""
    simple = {
        "double": pa.float64(), "float": pa.float32(), "integer": pa.int32(), "long": pa.int64(),
        "short": pa.int16(), "byte": pa.int8(), "string": pa.string(), "boolean": pa.bool_(),
    }
    if isinstance(spark_type, str):
        return simple[spark_type]
    if spark_type.get("type") == "udt" and "Vector" in spark_type.get("class", spark_type.get("pyClass", "")):
        return VECTOR_ARROW_TYPE
    if spark_type.get("type") == "array":
        return pa.list_(arrow_type(spark_type["elementType"]))
    raise ValueError(f"no Arrow type for Spark type {spark_type}")


def to_table(rows: list[dict[str, Any]], schema_json: Mapping[str, Any]) -> pa.Table:
    fields = [pa.field(f["name"], arrow_type(f["type"])) for f in schema_json["fields"]]
    columns = []
    for f in fields:
        values = [r.get(f.name) for r in rows]
        if f.type == VECTOR_ARROW_TYPE:
            values = [_vector_struct(v) for v in values]
        columns.append(pa.array(values, f.type))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _vector_struct(v: Any) -> dict | None:
    if v is None:
        return None
    if isinstance(v, SparseVector):
        return {"type": 0, "size": v.size, "indices": v.indices.tolist(), "values": v.values.tolist()}
    return {"type": 1, "size": None, "indices": None, "values": v.toArray().tolist()}


def table_rows(table: pa.Table) -> list[dict[str, Any]]:
    vec_cols = [n for n in table.column_names if is_vector_struct(table.schema.field(n).type)]
    types = {n: table.schema.field(n).type for n in table.column_names}
    vec_lists = [n for n, t in types.items()  # array<VectorUDT> (LSH hashes)
                 if pa.types.is_list(t) and is_vector_struct(t.value_type)]
    rows = table.to_pylist()
    for row in rows:
        for name in vec_cols:
            row[name] = vector_from_struct(row[name])
        for name in vec_lists:
            if row[name] is not None:
                row[name] = [vector_from_struct(v) for v in row[name]]
    return rows


def same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, (DenseVector, SparseVector)):
        return (
            type(actual) is type(expected)
            and expected.size == actual.size
            and _close_array(expected.toArray(), actual.toArray())
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, float) or (isinstance(expected, int) and isinstance(actual, float)):
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            return False
        return _close(float(expected), float(actual))
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(
            same(e, a) for e, a in zip(expected, actual)
        )
    return type(expected) is type(actual) and expected == actual


def _close(e: float, a: float) -> bool:
    if math.isnan(e) or math.isnan(a):
        return math.isnan(e) and math.isnan(a)
    if math.isinf(e) or math.isinf(a):
        return e == a  # inf - x <= RTOL * inf would accept any finite value
    return e == a or abs(e - a) <= RTOL * max(abs(e), abs(a))


def _close_array(e: np.ndarray, a: np.ndarray) -> bool:
    if e.shape != a.shape:
        return False
    if np.array_equal(e, a, equal_nan=True):  # the usual case, without a Python loop over
        return True  # 2^18 hashed slots
    return all(_close(x, y) for x, y in zip(e.tolist(), a.tolist()))


def same_normwise(expected: Any, actual: Any) -> bool:
    """Vectors equal to RTOL relative to the larger of their largest magnitudes, not entry by
    entry. Only for output columns a stage lists in ``normwise_output_columns()``, each with its
    reason in the stage's docstring (DCT: FFT rounding noise on entries that are 0 in exact
    arithmetic)."""
    if not isinstance(expected, (DenseVector, SparseVector)):
        return same(expected, actual)
    if type(actual) is not type(expected) or expected.size != actual.size:
        return False
    e, a = expected.toArray(), actual.toArray()
    special = ~np.isfinite(e) | ~np.isfinite(a)  # NaN must meet NaN and inf the same inf
    if not np.array_equal(e[special], a[special], equal_nan=True):
        return False
    e, a = e[~special], a[~special]
    scale = max(np.abs(e).max(initial=0.0), np.abs(a).max(initial=0.0))
    return bool(np.all(np.abs(e - a) <= RTOL * scale))


def normwise_columns(model: Any) -> frozenset[str]:
    """Output columns of the stages (at any pipeline depth) that declare a normwise comparison."""
    found: set[str] = set()
    todo = [model]
    while todo:
        stage = todo.pop()
        todo.extend(getattr(stage, "stages", ()))
        declared = getattr(stage, "normwise_output_columns", None)
        if declared is not None:
            found.update(declared())
    return frozenset(found)


def compare_rows(
    expected: list[dict], actual: list[dict], where: str, normwise: frozenset[str] = frozenset()
) -> list[str]:
    problems = []
    by_id = {r[ROW_ID]: r for r in actual}
    if sorted(by_id) != sorted(r[ROW_ID] for r in expected):
        problems.append(
            f"{where}: rows kept {sorted(by_id)} but Spark kept {sorted(r[ROW_ID] for r in expected)}"
        )
    for exp in expected:
        got = by_id.get(exp[ROW_ID])
        if got is None:
            continue
        if set(got) != set(exp):
            problems.append(f"{where} row {exp[ROW_ID]}: columns {sorted(got)} != Spark {sorted(exp)}")
        for key, value in exp.items():
            check = same_normwise if key in normwise else same
            if key in got and not check(value, got[key]):
                problems.append(f"{where} row {exp[ROW_ID]} column {key!r}: {got[key]!r} != Spark {value!r}")
    return problems


def input_types(schema_json: Mapping[str, Any]) -> dict[str, str]:
    """Spark's simple type name of each scalar input column (``{"age": "integer"}``)."""
    return {f["name"]: f["type"] for f in schema_json["fields"] if isinstance(f["type"], str)}


def check_fixture(fixture: Path) -> list[str]:
    """All disagreements between servelib and PySpark for one fixture; empty when at parity."""
    import servelib

    schema = json.loads((fixture / "schema.json").read_text())
    # declared as a server knows its request schema: row dicts carry no Spark types
    model = servelib.load(str(fixture / "model")).with_input_types(input_types(schema))
    inputs = read_rows(fixture / "input.jsonl")
    expected = read_rows(fixture / "expected.jsonl")
    kept = {r[ROW_ID] for r in expected}
    problems: list[str] = []

    single = []
    for row in inputs:
        try:
            single.append(model.score_instance(row))
        except RowSkipped:
            if row[ROW_ID] in kept:
                problems.append(f"score_instance raised RowSkipped on row {row[ROW_ID]} Spark kept")
        else:
            if row[ROW_ID] not in kept:
                problems.append(f"score_instance scored row {row[ROW_ID]} that Spark skipped")
    nw = normwise_columns(model)
    problems += compare_rows(expected, [r for r in single if r[ROW_ID] in kept], "score_instance", nw)
    problems += compare_rows(expected, model.score_instances(inputs), "score_instances", nw)
    problems += compare_rows(
        expected, table_rows(model.transform(to_table(inputs, schema))), "transform", nw
    )

    for bad in read_rows(fixture / "bad.jsonl"):
        row = bad["row"]
        for entry, call in (
            ("score_instance", lambda: model.score_instance(row)),
            ("score_instances", lambda: model.score_instances([row])),
            ("transform", lambda: model.transform(to_table([row], schema))),
        ):
            try:
                call()
            except RowSkipped as exc:
                problems.append(f"{entry}: Spark fails on {row} ({bad['spark_error']}) but we skip: {exc}")
            except InvalidInput:
                pass
            else:
                problems.append(f"{entry}: Spark fails on {row} ({bad['spark_error']}) but we scored it")
    return problems
