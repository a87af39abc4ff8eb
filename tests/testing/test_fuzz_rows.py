"""Property-based fuzzing of the row path against the batch path on every parity fixture.

For each committed fixture (both Spark versions), hypothesis takes a fixture input row, mutates
one to three input columns (nulls, NaN, infinities, -0.0, booleans, ints, NumPy scalars, ints
beyond int64 and beyond the doubles, strings in number columns, numbers in string columns,
vectors as lists, JSON dicts, Spark vectors of the right or wrong size, unseen categories, odd
objects) and checks that ``score_instance`` (row kernels, each falling back to its stage's batch
path) and the batch path alone give the same bits, or the same error (class, message, column,
stage, row), and that nothing but InvalidInput / RowSkipped is ever raised. A second property
scores the mutated row inside a short list (row by row) against the batch path on the list,
with mutations that keep each column one kind of value, as a Spark DataFrame column is.

The regular run takes a few examples per spark-4.3 fixture; ``SERVELIB_FUZZ_EXAMPLES=500`` runs
that many per fixture of both Spark versions, with fresh random draws.
"""

from __future__ import annotations

import json
import math
import os
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import servelib
from servelib.testing.conformance import row_path_problems, rows_path_problems
from servelib.testing.parity import input_types, read_rows
from servelib.vectors import DenseVector, SparseVector
from tests.parity.test_golden import CASE_DIRS

LONG = "SERVELIB_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("SERVELIB_FUZZ_EXAMPLES", "2"))
# the regular run fuzzes one Spark version's fixtures (the stages are the same); a long run both
FUZZED = CASE_DIRS if LONG else [p for p in CASE_DIRS if p.parent.name == "spark-4.3"]
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not LONG,  # the regular run is reproducible
    suppress_health_check=list(HealthCheck),
)

_floats = st.floats(allow_nan=True, allow_infinity=True)
_special = st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 0.0, 1.0, -1.0, 0.5, 1e308])
_ints = st.one_of(st.integers(-5, 5), st.sampled_from([2**31, 2**53 + 1, 2**63 - 1, 2**63,
                                                       -(2**63) - 1, 10**400]))
_numpy = st.one_of(
    _floats.map(np.float64), _floats.map(lambda x: np.float32(x) if abs(x) < 3e38 else
                                         np.float32(np.nan)),
    st.integers(-5, 5).map(np.int64), st.integers(-5, 5).map(np.int32),
    st.booleans().map(np.bool_),
)
_numbers = st.one_of(_special, _floats, _ints, st.booleans(), _numpy)
_odd = st.sampled_from([Decimal("1.5"), object(), b"1", (1.0,), {"a": 1}, [1.0, "x"],
                        "x" * 100_000])


def _vectors(size: int, other_sizes: bool = True):
    values = st.lists(st.one_of(_special, _floats), min_size=size, max_size=size)
    sizes = st.sampled_from(sorted({0, max(size - 1, 0), size + 1}) if other_sizes else [size])
    return st.one_of(
        values.map(DenseVector),
        values.map(list),
        values.map(lambda v: {"type": 1, "size": None, "indices": None, "values": v}),
        values.map(lambda v: SparseVector(len(v), [i for i, x in enumerate(v) if x != 0],
                                          [x for x in v if x != 0])),
        values.map(lambda v: {"type": 0, "size": len(v), "indices": [i for i, x in enumerate(v)
                                                                      if x != 0],
                              "values": [x for x in v if x != 0]}),
        sizes.flatmap(lambda n: st.lists(_special, min_size=n, max_size=n)),
        st.lists(_ints, min_size=size, max_size=size),
    )


def _strings(labels: list[str]):
    known = st.sampled_from(labels) if labels else st.just("a")
    return st.one_of(known, st.sampled_from(["", "unseen-zz", "NaN", "1.0", "1", "true"]),
                     st.text(max_size=5))


def _same_kind(kind: str, column: list):
    """Values of the column's own kind (a DataFrame column's type), nulls included."""
    if kind == "vector":
        sizes = [v.size for v in column if isinstance(v, (DenseVector, SparseVector))]
        # no null: alone, a null does not show whether its column holds vectors or numbers
        # (a stage without input attributes scores it as a number), in a list the others do
        return _vectors(sizes[0] if sizes else 3, other_sizes=False)
    if kind == "string":
        return st.one_of(st.none(), _strings([v for v in column if isinstance(v, str)]))
    if kind == "boolean":
        return st.one_of(st.none(), st.booleans())
    return st.one_of(st.none(), _special, _floats, st.integers(-5, 5), _numpy)


def _any_value(kind: str, column: list):
    return st.one_of(_same_kind(kind, column), st.none(), _numbers, _strings([]), _vectors(3), _odd,
                     st.sampled_from(["__missing__"]))


def _kind(spark_type) -> str:
    if isinstance(spark_type, dict):
        return "vector" if spark_type.get("type") == "udt" else "other"
    return {"string": "string", "boolean": "boolean"}.get(spark_type, "number")


@pytest.fixture(scope="module", params=FUZZED, ids=lambda p: f"{p.parent.name}/{p.name}")
def case(request):
    path = request.param
    schema = json.loads((path / "schema.json").read_text())
    model = servelib.load(str(path / "model")).with_input_types(input_types(schema))
    rows = read_rows(path / "input.jsonl")
    kinds = {f["name"]: _kind(f["type"]) for f in schema["fields"]}
    columns = [c for c in model.input_columns() if c in kinds]
    return model, rows, kinds, columns


def _mutated(data, rows, kinds, columns, value_of) -> dict:
    row = dict(data.draw(st.sampled_from(rows), label="base row"))
    if not columns:
        return row
    chosen = data.draw(st.lists(st.sampled_from(columns), min_size=1, max_size=3, unique=True),
                       label="columns")
    for name in chosen:
        value = data.draw(value_of(kinds[name], [r.get(name) for r in rows]), label=name)
        if value == "__missing__":
            row.pop(name, None)
        else:
            row[name] = value
    return row


@SETTINGS
@given(data=st.data())
def test_row_path_equals_batch_path_on_mutated_rows(case, data):
    model, rows, kinds, columns = case
    row = _mutated(data, rows, kinds, columns, _any_value)
    problems = row_path_problems(model, row)
    assert not problems, "\n".join(problems)


@SETTINGS
@given(data=st.data())
def test_short_lists_equal_the_batch_path(case, data):
    model, rows, kinds, columns = case
    row = _mutated(data, rows, kinds, columns, _same_kind)
    others = data.draw(st.lists(st.sampled_from(rows), max_size=3), label="other rows")
    listed = [*others, row] if data.draw(st.booleans(), label="last") else [row, *others]
    problems = rows_path_problems(model, listed)
    assert not problems, "\n".join(problems)
