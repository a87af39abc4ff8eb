"""Batch (batch.py): column conversion from rows and Arrow, array<string> columns."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from servelib.errors import InvalidInput
from servelib.transformers.batch import Batch


def test_equal_length_lists_stay_one_value_per_row():
    for batch in (Batch.from_rows([{"t": ["a", "b"]}, {"t": ["c", "d"]}]),
                  Batch.from_table(pa.table({"t": [["a", "b"], ["c", "d"]]}))):
        col = batch.column("t")
        assert col.shape == (2,) and list(col) == [["a", "b"], ["c", "d"]]


def test_string_lists_from_rows_and_arrow():
    rows = Batch.from_rows([{"t": ("a", "b")}, {"t": None}, {"t": []}])
    assert list(rows.string_lists("t", "S")) == [["a", "b"], None, []]
    table = Batch.from_table(pa.table({"t": pa.array([["x"], None], pa.list_(pa.string()))}))
    assert list(table.string_lists("t", "S")) == [["x"], None]


@pytest.mark.parametrize("bad", [[1, 2], "ab", 3.0, ["a", 1]])
def test_string_lists_name_the_bad_row(bad):
    batch = Batch.from_rows([{"t": ["a"]}, {"t": bad}])
    with pytest.raises(InvalidInput, match="expected an array of strings") as err:
        batch.string_lists("t", "S")
    assert err.value.column == "t"


NUMBERS_WITH_NULLS = {
    "f64": pa.array([1.5, None, float("nan"), -0.0], pa.float64()),
    "f32": pa.array([0.1, None, 3.0, None], pa.float32()),
    "i32": pa.array([7, None, -3, 2**31 - 1], pa.int32()),
    "i64": pa.array([2**53 + 1, None, -(2**63), 5], pa.int64()),
    "u8": pa.array([None, 255, 0, 1], pa.uint8()),
    "b": pa.array([True, None, False, True], pa.bool_()),
}


@pytest.mark.parametrize("name", sorted(NUMBERS_WITH_NULLS))
def test_arrow_numbers_with_nulls_decode_as_their_python_values(name):
    """Column-wise decoding of a nullable Arrow number column gives the floats and null mask
    the per-value path gives for the same values as Python objects."""
    arr = NUMBERS_WITH_NULLS[name]
    values, null = Batch.from_table(pa.table({name: arr})).floats(name, "S")
    want, want_null = Batch.from_rows([{name: v} for v in arr.to_pylist()]).floats(name, "S")
    assert values.tobytes() == want.tobytes()
    assert null.tolist() == want_null.tolist() == [v is None for v in arr.to_pylist()]


def test_arrow_numbers_after_dropped_rows():
    """A column first read after a stage dropped rows (skip) is decoded for the rows left."""
    batch = Batch.from_table(pa.table({"x": pa.array([1, None, 3, None], pa.int32())}))
    batch.keep(np.array([True, True, False, True]))
    values, null = batch.floats("x", "S")
    assert values[0] == 1.0 and np.isnan(values[1:]).all() and null.tolist() == [False, True, True]
