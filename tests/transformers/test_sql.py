"""SQLTransformer: what the subset refuses at load (naming the construct), Spark's value rules
that fixtures reach only partly, and the projection through every entry point."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from servelib.errors import InvalidInput, RowSkipped
from servelib.transformers.sql.compile import Refused, parse
from servelib.transformers.sql.transformer import SQLTransformer
from servelib.transformers.sql.values import java_double_str


def sql(statement: str, ansi: bool = False) -> SQLTransformer:
    return SQLTransformer("sql", statement=parse(statement), ansi=ansi)


@pytest.mark.parametrize("statement, construct", [
    ("SELECT a * 1.5 AS b FROM __THIS__", "decimal literal"),
    ("SELECT 1.5 + 2 AS b FROM __THIS__", "decimal literal"),
    ("SELECT 1.5 AS b FROM __THIS__", "DECIMAL column"),
    ("SELECT a + 1 FROM __THIS__", "alias"),
    ("SELECT a FROM t", "FROM __THIS__"),
    ("SELECT a FROM __THIS__ GROUP BY a", "GROUP"),
    ("SELECT a FROM __THIS__ ORDER BY a", "ORDER"),
    ("SELECT a FROM __THIS__ LIMIT 1", "LIMIT"),
    ("SELECT a FROM __THIS__ JOIN t ON true", "JOINS"),
    ("SELECT sin(a) AS s FROM __THIS__", "SIN"),
    ("SELECT a IN (1, 2) AS s FROM __THIS__", "IN"),
    ("SELECT a LIKE 'x%' AS s FROM __THIS__", "LIKE"),
    ("SELECT CAST(a AS FLOAT) AS s FROM __THIS__", "FLOAT"),
    ("SELECT CAST(a AS DECIMAL(10, 2)) AS s FROM __THIS__", "DECIMAL"),
    ("SELECT a, a FROM __THIS__", "duplicate"),
    ("SELECT round(a, b) AS r FROM __THIS__", "integer literal"),
    ("SELECT 99999999999999999999 AS r FROM __THIS__", "DECIMAL"),
    ("SELECT a FROM __THIS__; SELECT b FROM __THIS__", "one SELECT"),
    ("SELECT t.* FROM __THIS__", "only __THIS__"),
    ("SELECT * FROM __THIS__ t", "aliases"),
])
def test_refused_at_load_naming_the_construct(statement, construct):
    with pytest.raises(Refused, match=construct):
        parse(statement)


def test_qualified_star_and_columns():
    stage = sql("SELECT __THIS__.*, __THIS__.a + 1 AS b FROM __THIS__")
    assert stage.score_instance({"a": 1}) == {"a": 1, "b": 2}


def test_decimal_literal_where_no_decimal_comes_out():
    stage = sql("SELECT CAST(a AS DOUBLE) * 1.5 AS b, a > 1.5 AS c, 1.5D + 2 AS d FROM __THIS__")
    assert stage.score_instance({"a": 2}) == {"b": 3.0, "c": True, "d": 3.5}


def test_integer_and_double_rules():
    stage = sql("SELECT a + 1 AS s, a / 2 AS q, a div 2 AS d, a % 3 AS m, -a AS n FROM __THIS__")
    assert stage.score_instance({"a": -7}) == {"s": -6, "q": -3.5, "d": -3, "m": -1, "n": 7}
    with pytest.raises(InvalidInput, match="div takes int or bigint"):
        stage.score_instance({"a": 7.5})
    doubles = sql("SELECT a + 1 AS s, a % 3 AS m FROM __THIS__")
    assert doubles.score_instance({"a": -7.5}) == {"s": -6.5, "m": -1.5}


@pytest.mark.parametrize("ansi", [False, True])
def test_division_by_zero_and_overflow_follow_ansi(ansi):
    stage = sql("SELECT a / 0 AS q FROM __THIS__", ansi)
    over = sql("SELECT a * 4611686018427387904 AS p FROM __THIS__", ansi)
    if ansi:
        with pytest.raises(InvalidInput, match="DIVIDE_BY_ZERO"):
            stage.score_instance({"a": 1})
        with pytest.raises(InvalidInput, match="ARITHMETIC_OVERFLOW"):
            over.score_instance({"a": 4})
    else:
        assert stage.score_instance({"a": 1}) == {"q": None}
        assert over.score_instance({"a": 4}) == {"p": 0}  # wraps like a JVM long


def test_three_valued_logic_and_nan_ordering():
    stage = sql("SELECT a AND b AS x, a OR b AS o, NOT a AS n, f > 1e308 AS g, f = f AS e "
                "FROM __THIS__")
    assert stage.score_instance({"a": None, "b": False, "f": math.nan}) == {
        "x": False, "o": None, "n": None, "g": True, "e": True}


def test_where_drops_through_every_entry_point():
    stage = sql("SELECT *, a * 2 AS b FROM __THIS__ WHERE a > 0")
    rows = [{"a": 1}, {"a": -1}, {"a": None}, {"a": 3}]
    with pytest.raises(RowSkipped):
        stage.score_instance(rows[2])
    assert stage.score_instances(rows) == [{"a": 1, "b": 2}, {"a": 3, "b": 6}]
    assert stage.score_rows_as_batch(rows) == [{"a": 1, "b": 2}, {"a": 3, "b": 6}]
    assert stage.transform(pa.Table.from_pylist(rows)).to_pylist() == [
        {"a": 1, "b": 2}, {"a": 3, "b": 6}]


def test_projection_hides_unselected_columns():
    stage = sql("SELECT b, a + 1 AS c FROM __THIS__")
    row = {"a": 1, "b": "x", "z": 9.0}
    assert stage.score_instance(row) == {"b": "x", "c": 2}
    assert stage.score_instance_as_batch(row) == {"b": "x", "c": 2}
    assert stage.score_rows_as_batch([row]) == [{"b": "x", "c": 2}]
    assert stage.transform(pa.Table.from_pylist([row])).column_names == ["b", "c"]


def test_star_with_a_clashing_alias_is_refused_per_request():
    stage = sql("SELECT *, a + 1 AS a FROM __THIS__")
    with pytest.raises(InvalidInput, match="two"):
        stage.score_instance({"a": 1})


def test_type_errors_name_the_column():
    stage = sql("SELECT a + 1 AS b FROM __THIS__")
    with pytest.raises(InvalidInput, match="column 'b'"):
        stage.score_instance({"a": "text"})


def test_declared_integer_wraps_at_32_bits():
    stage = sql("SELECT a + 1 AS b FROM __THIS__").with_input_types({"a": "integer"})
    assert stage.score_instance({"a": 2**31 - 1}) == {"b": -(2**31)}
    assert sql("SELECT a + 1 AS b FROM __THIS__").score_instance({"a": 2**31 - 1}) == {"b": 2**31}


@pytest.mark.parametrize("value, text", [
    (1.0, "1.0"), (1e7, "1.0E7"), (1234567.5, "1234567.5"), (0.001, "0.001"),
    (0.0001, "1.0E-4"), (-0.0, "-0.0"), (math.nan, "NaN"), (-math.inf, "-Infinity"),
    (1.5e300, "1.5E300"), (123456789.0, "1.23456789E8"),
])
def test_double_to_string_is_javas(value, text):
    assert java_double_str(value) == text


def test_round_is_half_up_on_the_decimal_string():
    stage = sql("SELECT round(x, 2) AS r, round(i, -1) AS ri FROM __THIS__")
    assert stage.score_instance({"x": 2.675, "i": 15}) == {"r": 2.68, "ri": 20}
    assert stage.score_instance({"x": -2.5, "i": -15}) == {"r": -2.5, "ri": -20}


def test_string_functions():
    stage = sql("SELECT trim(s) AS t, substring(s, -3, 2) AS u, length(s) AS n, "
                "concat(s, NULL) AS c FROM __THIS__")
    assert stage.score_instance({"s": " äb\t "}) == {"t": "äb\t", "u": "b\t", "n": 5, "c": None}


def test_columnwise_doubles_equal_the_row_path_bit_for_bit():
    import random

    from servelib.transformers.batch import Batch

    stage = sql("SELECT *, x * y + 1 AS a, x / y AS b, x >= y OR NOT x < 2.5 AS c, -sqrt(x) AS d, "
                "x - 1.5D * y AS e FROM __THIS__ WHERE x <> y")
    special = [0.5, -0.0, 0.0, 1e308, -1e-310, math.inf, -math.inf, math.nan, 3.0, 2.5]
    rnd = random.Random(7)
    rows = [{"x": rnd.choice(special + [rnd.uniform(-9, 9)]),
             "y": rnd.choice(special[3:] + [rnd.uniform(-9, 9)])} for _ in range(200)]
    assert stage._columnwise(Batch.from_rows(rows)) is not None  # the NumPy path ran
    batch = stage.score_rows_as_batch(rows)
    one_by_one = [out for row in rows for out in stage.score_instances([row])]
    assert repr(batch) == repr(one_by_one)
    with_zero = rows + [{"x": 1.0, "y": 0.0}]  # a zero divisor: row by row (null)
    assert stage._columnwise(Batch.from_rows(with_zero)) is None
    assert stage.score_rows_as_batch(with_zero)[-1]["b"] is None


def _batch(stage: SQLTransformer, rows: list[dict], table: pa.Table | None) -> list[dict]:
    return stage.score_rows_as_batch(rows) if table is None else stage.transform(table).to_pylist()


def _row_path(stage, rows, table, monkeypatch) -> list[dict]:
    """The batch row by row: what the statement gives with the NumPy path switched off (one
    row at a time would type a Python row's None as null, not as its column's type)."""
    from servelib.transformers.sql import vectorized

    with monkeypatch.context() as m:
        m.setattr(vectorized, "evaluate", lambda *args: None)
        return _batch(stage, rows, table)


@pytest.mark.parametrize("source", ["rows", "arrow"])
def test_columnwise_nullable_doubles_equal_the_row_path(source, monkeypatch):
    """Null masks through arithmetic, comparisons, three-valued AND/OR/NOT, IS NULL, CASE WHEN
    and COALESCE, from Python rows and from an Arrow table (typed double)."""
    import random

    from servelib.transformers.batch import Batch

    stage = sql("SELECT *, x * 2.0D + y AS a, x / y AS q, (x > 0 AND y < 1) OR NOT x < -1 AS l, "
                "COALESCE(x, y, 0) AS c, "
                "CASE WHEN x > y THEN x WHEN y IS NULL THEN -1.0D END AS m, "
                "CASE WHEN x IS NULL THEN y > 0 ELSE false END AS b, x IS NOT NULL AS nn "
                "FROM __THIS__ WHERE x IS NOT NULL OR y > 0 OR NOT (x < 1)")
    special = [None, None, 0.5, -0.0, 1e308, math.inf, -math.inf, math.nan, 2.5]
    rnd = random.Random(11)
    rows = [{"x": rnd.choice(special + [rnd.uniform(-9, 9)]),
             "y": rnd.choice(special[:2] + special[4:] + [rnd.uniform(-9, 9)])} for _ in range(300)]
    schema = pa.schema([("x", pa.float64()), ("y", pa.float64())])
    table = None if source == "rows" else pa.Table.from_pylist(rows, schema=schema)
    batch = Batch.from_rows(rows) if table is None else Batch.from_table(table)
    assert stage._columnwise(batch) is not None  # the NumPy path ran
    assert repr(_batch(stage, rows, table)) == repr(_row_path(stage, rows, table, monkeypatch))


@pytest.mark.parametrize("source", ["rows", "int64", "int32"])
def test_columnwise_integers_equal_the_row_path(source, monkeypatch):
    """Integers next to doubles (widened, 2**53 + 1 rounding) and compared with integers
    (exactly, to the int64 limits), nulls included."""
    import random

    from servelib.transformers.batch import Batch

    stage = sql("SELECT *, i + x AS a, i * 1.5D AS b, CAST(j AS DOUBLE) AS c, i > j AS d, "
                "i = 3 AS e, COALESCE(i, x) AS f, CASE WHEN i > 0 THEN x ELSE j END AS g, "
                "j <= 9007199254740993 AS h FROM __THIS__ WHERE i IS NULL OR i >= -5")
    big = [-(2**31), 2**31 - 1] if source == "int32" else [2**53 + 1, 2**63 - 1, -(2**63)]
    ints = [None, 0, 3, -5, -6, 7, *big]
    rnd = random.Random(5)
    rows = [{"i": rnd.choice(ints), "j": rnd.choice(ints),
             "x": rnd.choice([None, 0.5, math.nan, -math.inf, rnd.uniform(-9, 9)])}
            for _ in range(300)]
    table = None
    if source != "rows":
        kind = pa.int64() if source == "int64" else pa.int32()
        table = pa.Table.from_pylist(rows, schema=pa.schema(
            [("i", kind), ("j", kind), ("x", pa.float64())]))
    batch = Batch.from_rows(rows) if table is None else Batch.from_table(table)
    assert stage._columnwise(batch) is not None  # the NumPy path ran
    assert repr(_batch(stage, rows, table)) == repr(_row_path(stage, rows, table, monkeypatch))


def test_columnwise_leaves_other_columns_to_the_row_path():
    from servelib.transformers.batch import Batch

    stage = sql("SELECT x + 1 AS a FROM __THIS__")
    assert stage._columnwise(Batch.from_rows([{"x": 1}, {"x": None}])) is None  # int arithmetic
    assert stage._columnwise(Batch.from_rows([{"x": 1}, {"x": 2.5}])) is None  # mixed types
    assert stage._columnwise(Batch.from_rows([{"x": None}, {"x": None}])) is None  # typed null
    assert stage.score_rows_as_batch([{"x": 1}, {"x": None}]) == [{"a": 2}, {"a": None}]
    near = sql("SELECT x > 1.5 AS a FROM __THIS__")  # an int against a decimal: as decimals
    assert near._columnwise(Batch.from_rows([{"x": 1}, {"x": 2}])) is None


def test_a_statement_outside_the_subset_fails_to_load(tmp_path):
    import json
    import shutil
    from pathlib import Path

    import servelib
    from servelib.errors import ModelLoadError

    src = Path(__file__).parents[1] / "parity/fixtures/spark-4.3/sql_subset/model"
    model = shutil.copytree(src, tmp_path / "model")
    (meta,) = (model / "metadata").glob("part-*")
    doc = json.loads(meta.read_text())
    doc["paramMap"]["statement"] = "SELECT _row, a IN (1, 2) AS x FROM __THIS__"
    meta.write_text(json.dumps(doc))
    with pytest.raises(ModelLoadError, match=r"SQLTransformer .*'a IN \(1, 2\)' \(In\)"):
        servelib.load(str(model))
