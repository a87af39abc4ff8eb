"""Batch (batch.py): column conversion from rows and Arrow, array<string> columns."""

from __future__ import annotations

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
