"""Big tables scored as row ranges in threads (threads.py, base.transform): the same table, bit for
bit, as one run on every parity fixture; the same rows skipped; the same error (first in stage
order, then row order, numbered in the whole table); no nested splitting; SERVELIB_THREADS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pytest

import servelib
from servelib.errors import InvalidInput
from servelib.testing.parity import input_types, read_rows, to_table
from servelib.transformers import threads
from servelib.transformers.base import OnlineTransformer, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.pipeline import PipelineModel
from tests.parity.test_golden import CASE_DIRS
from tests.transformers.tree.test_engine import _bits

ROOT = Path(__file__).parents[2]


@pytest.fixture
def split(monkeypatch):
    """Every table of two rows or more scored as three ranges; counts the ranges scored."""
    monkeypatch.setattr(threads, "THREADS", 3)
    monkeypatch.setattr(threads, "SPLIT_ROWS", 2)
    calls: list[int] = []
    scored = OnlineTransformer._transform

    def counted(self, table, wanted):
        calls.append(table.num_rows)
        return scored(self, table, wanted)

    monkeypatch.setattr(OnlineTransformer, "_transform", counted)
    return calls


def _outcome(model, table: pa.Table, **kw):
    try:
        return model.transform(table, **kw)
    except (InvalidInput, ValueError, TypeError) as exc:
        return type(exc), str(exc)


def _single(model, table: pa.Table, monkeypatch, **kw):
    with monkeypatch.context() as m:
        m.setattr(threads, "THREADS", 1)
        return _outcome(model, table, **kw)


@pytest.mark.parametrize("fixture", CASE_DIRS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_ranges_give_the_single_run_on_every_fixture(fixture, split, monkeypatch):
    schema = json.loads((fixture / "schema.json").read_text())
    model = servelib.load(str(fixture / "model")).with_input_types(input_types(schema))
    rows = read_rows(fixture / "input.jsonl")
    try:
        table = to_table(rows + read_rows(fixture / "bad.jsonl"), schema)
    except (pa.ArrowException, ValueError, TypeError):  # bad rows of another type
        table = to_table(rows, schema)
    want = _single(model, table, monkeypatch)
    split.clear()
    _same(_outcome(model, table), want)
    if isinstance(want, pa.Table) and len(split) != 4:  # 4: schemas differed, one run again
        assert sorted(split) == sorted(b - a for a, b in threads.ranges(table.num_rows))
    last = list(model.output_columns())[-1:]
    if last:
        _same(_outcome(model, table, outputs=last),
              _single(model, table, monkeypatch, outputs=last))


def _same(got, want) -> None:
    if isinstance(want, pa.Table):  # NaN by its bits (Table.equals finds NaN != NaN)
        assert isinstance(got, pa.Table) and got.schema.equals(want.schema, check_metadata=True)
        assert _bits(got.to_pylist()) == _bits(want.to_pylist())
    else:
        assert got == want


@dataclass(frozen=True)
class _Check(OnlineTransformer):
    """Raises for a negative value in ``column`` (or, with ``skip``, drops the row); writes
    ``column + "_out"``, a string that is null for even values (so a range of even values
    infers another Arrow type)."""

    spark_class: ClassVar[str] = "test.Check"
    column: str = "a"
    skip: bool = False

    def input_columns(self):
        return (self.column,)

    def output_columns(self):
        return (f"{self.column}_out",)

    def drops_rows(self):
        return self.skip

    def score_columns(self, batch: Batch) -> Scored:
        x, _ = batch.floats(self.column, self.name)
        out = np.array([None if v % 2 == 0 else f"odd {v}" for v in x.tolist()], dtype=object)
        if self.skip:
            return Scored({f"{self.column}_out": out}, keep=x >= 0)
        if (x < 0).any():
            raise invalid("negative", self, self.column, batch, int(np.argmax(x < 0)))
        return Scored({f"{self.column}_out": out})


def _table(a: list[float], b: list[float]) -> pa.Table:
    return pa.table({"a": pa.array(a, pa.float64()), "b": pa.array(b, pa.float64())})


def test_the_error_is_the_single_runs_first_in_stage_then_row_order(split, monkeypatch):
    model = PipelineModel.build("p", [_Check("check_a", column="a"),
                                      _Check("check_b", column="b")])
    # rows 0-1, 2-3, 4-5: range 0 fails in stage b (row 1), range 2 in stage a (row 5)
    table = _table([1, 1, 1, 1, 1, -1], [1, -1, 1, 1, 1, 1])
    with pytest.raises(InvalidInput) as single, monkeypatch.context() as m:
        m.setattr(threads, "THREADS", 1)
        model.transform(table)
    split.clear()
    with pytest.raises(InvalidInput) as ranged:
        model.transform(table)
    assert str(ranged.value) == str(single.value)
    assert "Check(check_a)" in str(ranged.value) and ranged.value.row == 5
    assert sorted(split) == [2, 2, 2, 6]  # three ranges, then the whole table again


def test_skipped_rows_and_inferred_types_as_the_single_run(split, monkeypatch):
    model = PipelineModel.build("p", [_Check("skip_a", column="a", skip=True),
                                      _Check("check_b", column="b")])
    table = _table([2, -1, 2, 4, -3, 5, 7], [2, 4, 6, 8, 1, 3, 5])
    want = _single(model, table, monkeypatch)
    split.clear()
    got = model.transform(table)
    _same(got, want)
    assert got.column("a").to_pylist() == [2, 2, 4, 5, 7]
    # range 0 holds only even values (null strings): its schema differs, so one run again
    assert split[-1] == table.num_rows
    same = _table([1, -1, 3, 5, -3, 5, 7], [1, 3, 5, 7, 1, 3, 5])
    want = _single(model, same, monkeypatch)
    split.clear()
    _same(model.transform(same), want)
    assert len(split) == 3  # no second run


def test_a_range_is_not_split_again(monkeypatch):
    monkeypatch.setattr(threads, "THREADS", 2)
    inner = threads.map_ranges(lambda a, b: threads.ranges(10**6),
                               threads.ranges(10**6))
    assert inner == [[(0, 10**6)], [(0, 10**6)]]
    assert threads.ranges(10**6) == [(0, 500_000), (500_000, 10**6)]
    assert threads.ranges(threads.SPLIT_ROWS - 1) == [(0, threads.SPLIT_ROWS - 1)]
    assert threads.ranges(0) == [(0, 0)]


def test_map_ranges_waits_for_every_range_and_raises_the_first(monkeypatch):
    monkeypatch.setattr(threads, "THREADS", 3)
    done = []

    def score(a, b):
        if a == 0:
            raise KeyError("first")
        done.append(a)
        return a

    with pytest.raises(KeyError, match="first"):
        threads.map_ranges(score, [(0, 1), (1, 2), (2, 3)])
    assert sorted(done) == [1, 2]


@pytest.mark.parametrize("value, expect", [("1", "1"), ("3", "3"), ("", None), ("0", "error"),
                                           ("two", "error")])
def test_servelib_threads_from_the_environment(value, expect):
    env = {**os.environ, "SERVELIB_THREADS": value, "PYTHONPATH": str(ROOT)}
    code = "from servelib.transformers import threads; print(threads.THREADS)"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, check=False)
    if expect == "error":
        assert run.returncode != 0 and "SERVELIB_THREADS must be a positive integer" in run.stderr
    elif expect is None:
        assert 1 <= int(run.stdout) <= 4
    else:
        assert run.stdout.strip() == expect
