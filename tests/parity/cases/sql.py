"""Parity cases for SQLTransformer: the supported subset on clean and dirty rows (nulls, NaN,
strings, rows WHERE drops), ANSI errors (Spark 4.x) against nulls and wrapping (Spark 3.5), and a
projection inside a pipeline."""

from __future__ import annotations

from tests.parity.cases import Case, case

NAN = float("nan")

SUBSET = """
SELECT _row, i + 1 AS i1, l * 2 AS l2, x / d AS q, i div 2 AS idiv, i % 3 AS imod, -x AS nx,
  CASE WHEN x > 1.0D THEN 'big' WHEN x IS NULL THEN 'none' END AS size,
  CASE i WHEN 3 THEN 1.5D WHEN 0 THEN 2 ELSE i END AS ci,
  IF(b, 1, 0) AS bi, COALESCE(x, 0.0D) AS x0, CAST(i AS STRING) AS istr,
  CAST(x AS STRING) AS xstr, CAST(l AS DOUBLE) AS ld, CAST(b AS INT) AS bint,
  x > 1.5 AS gt, x = x AS self, (b AND x > 0) OR s IS NULL AS logic, NOT b AS nb,
  round(x, 1) AS r1, round(i, -1) AS ri, floor(x) AS fl, ceil(x) AS ce, abs(i) AS ai,
  sqrt(x) AS sq, exp(d) AS ex, ln(x) AS lnx, log(2.0D, x) AS lg, pow(x, 2) AS p2,
  lower(s) AS lo, upper(s) AS up, length(s) AS len, concat(s, '-', s) AS cc,
  substring(s, 2, 3) AS sub, substr(s, -2) AS tail, trim(s) AS tr
FROM __THIS__ WHERE i IS NULL OR i >= -5
"""


def _df(spark, rows, schema):
    return spark.createDataFrame(rows, schema)


@case("sql_subset")
def sql_subset(spark):
    from pyspark.ml.feature import SQLTransformer

    schema = "i int, l long, x double, d double, s string, b boolean"
    test = _df(spark, [
        (3, 10, 2.25, 2.0, " Ab c ", True),
        (-7, -3, -0.5, 4.0, "äÖü", False),  # dropped by WHERE
        (None, 5, None, 1.0, None, None),
        (0, 0, 1e7, 0.5, "", True),
        (2, 9007199254740993, 0.0001, -1.0, "x", False),
        (-5, 1, 0.05, 3.0, "hello world", None),
        (5, 7, NAN, 2.0, "NaN", True),
        (-6, 1, 2.5, 1.0, "dropped", True),  # dropped by WHERE
        (15, -1, -2.5, 0.25, "  ", False),
    ], schema)
    return Case(SQLTransformer(statement=SUBSET), None, test)


DIRTY = """
SELECT *, x / d AS q, i div j AS idiv, i % j AS imod, CAST(x AS INT) AS xi,
  CAST(s AS DOUBLE) AS sd, CAST(t AS BOOLEAN) AS tb, i * 1000000 AS big
FROM __THIS__
"""


@case("sql_dirty")
def sql_dirty(spark):
    """Division by zero, bad casts and int overflow: null and wrapping in Spark 3.5; errors
    under Spark 4's default ANSI mode (there the dirty rows are `bad`)."""
    from pyspark.ml.feature import SQLTransformer

    schema = "i int, j int, x double, d double, s string, t string"
    clean = [
        (1, 2, 1.5, 2.0, "1.5", "true"),
        (7, -2, -3.7, 4.0, " 2e3 ", " NO "),
        (None, 3, None, None, None, None),
        (-7, 2, -0.0, 8.0, "Infinity", "y"),
        (-9, 4, 2147483647.9, 1.0, "-inf", "0"),
    ]
    dirty = [
        (1, 0, 1.0, 1.0, "1", "t"),  # div and % by zero
        (2, 1, 1.0, 0.0, "1", "t"),  # / by zero
        (3, 1, NAN, 1.0, "1", "t"),  # CAST(NaN AS INT)
        (4, 1, 3e10, 1.0, "1", "t"),  # CAST out of int range
        (5, 1, 1.0, 1.0, "abc", "t"),  # CAST('abc' AS DOUBLE)
        (6, 1, 1.0, 1.0, "1", "maybe"),  # CAST('maybe' AS BOOLEAN)
        (3000, 1, 1.0, 1.0, "1", "t"),  # int overflow in i * 1000000
    ]
    ansi = spark.conf.get("spark.sql.ansi.enabled") == "true"
    test = _df(spark, clean if ansi else clean + dirty, schema)
    bad = _df(spark, dirty, schema) if ansi else None
    return Case(SQLTransformer(statement=DIRTY), None, test, bad=bad)


@case("sql_pipeline")
def sql_pipeline(spark):
    """A projection then a WHERE inside a pipeline: later stages see only the selected columns."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import SQLTransformer, StringIndexer, VectorAssembler

    schema = "x double, d double, city string"
    train = _df(spark, [(1.0, 0.0, "a"), (2.0, 1.0, "b"), (3.0, 2.0, "a")], schema)
    test = _df(spark, [
        (1.5, 9.0, "a"), (None, 1.0, "b"), (NAN, 2.0, "zz"), (-2.0, 0.0, None), (4.0, 3.0, "b"),
    ], schema)
    pipe = Pipeline(stages=[
        SQLTransformer(statement="SELECT _row, x * 2.0D AS x2, city FROM __THIS__ "
                                 "WHERE x IS NOT NULL"),
        StringIndexer(inputCol="city", outputCol="ci", handleInvalid="keep"),
        VectorAssembler(inputCols=["x2", "ci"], outputCol="features", handleInvalid="keep"),
    ])
    return Case(pipe, train.withColumn("_row", train.x.cast("long")), test)
