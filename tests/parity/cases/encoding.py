"""Parity cases for categorical encoding: StringIndexer, IndexToString, OneHotEncoder,
VectorIndexer."""

from __future__ import annotations

from tests.parity.cases import Case, case

# Ties in frequency are broken alphabetically by Spark; "" is an ordinary label when trained on.
COLORS = ["red", "red", "red", "blue", "blue", "green", "", "", "yellow", "yellow", "yellow",
          "yellow"]


def _colors(spark, empty=True):
    colors = [c for c in COLORS if empty or c]
    return spark.createDataFrame([(c,) for c in colors] + [(None,)], "color string")


def _color_test(spark, extra=()):
    rows = [("red",), ("blue",), ("green",), ("",), ("yellow",), ("purple",), (None,), (" red",),
            ("Red",)]
    return spark.createDataFrame(rows + list(extra), "color string")


def _string_indexer(order, handle, **cols):
    from pyspark.ml.feature import StringIndexer

    cols = cols or {"inputCol": "color", "outputCol": "color_idx"}
    return StringIndexer(stringOrderType=order, handleInvalid=handle, **cols)


@case("string_indexer_freq_desc_error")
def string_indexer_freq_desc_error(spark):
    test = spark.createDataFrame([("red",), ("blue",), ("green",), ("",), ("yellow",)],
                                 "color string")
    bad = spark.createDataFrame([("purple",), (None,), ("RED",)], "color string")
    return Case(_string_indexer("frequencyDesc", "error"), _colors(spark), test, bad=bad)


@case("string_indexer_freq_asc_keep")
def string_indexer_freq_asc_keep(spark):
    return Case(_string_indexer("frequencyAsc", "keep"), _colors(spark), _color_test(spark))


@case("string_indexer_alpha_desc_skip")
def string_indexer_alpha_desc_skip(spark):
    return Case(_string_indexer("alphabetDesc", "skip"), _colors(spark), _color_test(spark))


@case("string_indexer_alpha_asc_error")
def string_indexer_alpha_asc_error(spark):
    test = spark.createDataFrame([("red",), ("",), ("yellow",), ("blue",)], "color string")
    bad = spark.createDataFrame([("x",), (None,), ("Yellow",)], "color string")
    return Case(_string_indexer("alphabetAsc", "error"), _colors(spark), test, bad=bad)


def _two_columns(spark):
    rows = [("a", "x"), ("b", "x"), ("a", "y"), ("c", "y"), ("a", None), (None, "z"), ("b", "x")]
    return spark.createDataFrame(rows, _TWO)


def _two_columns_test(spark):
    rows = [("a", "x"), ("b", "y"), ("c", "z"), ("d", "x"), ("a", "w"), (None, "x"), ("a", None),
            ("", "")]
    return spark.createDataFrame(rows, _TWO)


_TWO = "s1 string, s2 string"
_MULTI = {"inputCols": ["s1", "s2"], "outputCols": ["i1", "i2"]}


@case("string_indexer_multi_skip")
def string_indexer_multi_skip(spark):
    stage = _string_indexer("alphabetAsc", "skip", **_MULTI)
    return Case(stage, _two_columns(spark), _two_columns_test(spark))


@case("string_indexer_multi_keep")
def string_indexer_multi_keep(spark):
    stage = _string_indexer("frequencyDesc", "keep", **_MULTI)
    return Case(stage, _two_columns(spark), _two_columns_test(spark))


@case("string_indexer_multi_error")
def string_indexer_multi_error(spark):
    stage = _string_indexer("frequencyAsc", "error", **_MULTI)
    test = spark.createDataFrame([("a", "x"), ("b", "y"), ("c", "z"), ("a", "z")], _TWO)
    bad = spark.createDataFrame([("a", "w"), ("d", "x"), (None, "x"), ("a", None)], _TWO)
    return Case(stage, _two_columns(spark), test, bad=bad)


_NUMERIC_SCHEMA = "n int, d double, l long"


@case("string_indexer_numeric_keep")
def string_indexer_numeric_keep(spark):
    """Numeric columns are cast to string: ints in decimal, doubles in Java's Double.toString."""
    train = spark.createDataFrame(
        [(1, 1.0, 10), (2, 0.5, 10), (10, 1e-4, 20), (1, 1.5e7, 20), (-3, 100.0, 30),
         (None, float("nan"), None), (2, 0.0, 3000000000), (1, 1e7 - 1, 30), (2, 2.5e-3, 10)],
        _NUMERIC_SCHEMA,
    )
    test = spark.createDataFrame(
        [(1, 1.0, 10), (2, 0.5, 20), (10, 1e-4, 30), (-3, 1.5e7, 3000000000), (7, 2.0, 40),
         (None, None, None), (1, float("nan"), 10), (1, -0.0, 10), (2, 1e7 - 1, 10),
         (2, 2.5e-3, 10), (1, 123456789.0, 10), (1, 1e21, 10), (1, -2.5e-7, 10)],
        _NUMERIC_SCHEMA,
    )
    stage = _string_indexer("frequencyDesc", "keep", inputCols=["n", "d", "l"],
                            outputCols=["n_idx", "d_idx", "l_idx"])
    return Case(stage, train, test)


@case("string_indexer_numeric_skip")
def string_indexer_numeric_skip(spark):
    train = spark.createDataFrame([(1, 1.0), (2, 0.5), (3, 1e-4), (1, 0.0)], "n int, d double")
    test = spark.createDataFrame(
        [(1, 1.0), (2, 0.5), (3, 1e-4), (1, 0.0), (1, -0.0), (4, 1.0), (1, float("nan")),
         (None, 1.0), (2, None), (1, 2.0)],
        "n int, d double",
    )
    stage = _string_indexer("alphabetAsc", "skip", inputCols=["n", "d"],
                            outputCols=["n_idx", "d_idx"])
    return Case(stage, train, test)


@case("string_indexer_numeric_error")
def string_indexer_numeric_error(spark):
    from pyspark.ml import Pipeline

    train = spark.createDataFrame([(1.0,), (0.5,), (1e-4,), (0.5,)], "d double")
    test = spark.createDataFrame([(1.0,), (0.5,), (1e-4,)], "d double")
    bad = spark.createDataFrame([(float("nan"),), (None,), (2.0,), (-0.5,)], "d double")
    stage = _string_indexer("frequencyDesc", "error", inputCol="d", outputCol="d_idx")
    return Case(Pipeline(stages=[stage]), train, test, bad=bad)


@case("index_to_string_from_indexer")
def index_to_string_from_indexer(spark):
    """Labels come from the StringIndexer's output attribute, "__unknown" included."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import IndexToString

    stages = [
        _string_indexer("frequencyDesc", "keep"),
        IndexToString(inputCol="color_idx", outputCol="color_back"),
    ]
    return Case(Pipeline(stages=stages), _colors(spark), _color_test(spark))


@case("index_to_string_labels_override")
def index_to_string_labels_override(spark):
    """An explicit labels param wins over the StringIndexer's attribute."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import IndexToString

    stages = [
        _string_indexer("alphabetAsc", "error"),
        IndexToString(inputCol="color_idx", outputCol="color_back",
                      labels=["L0", "L1", "L2", "L3", "L4"]),
    ]
    test = spark.createDataFrame([("red",), ("",), ("yellow",), ("blue",), ("green",)],
                                 "color string")
    return Case(Pipeline(stages=stages), _colors(spark), test)


def _spark_at_least(spark, major, minor):
    got = tuple(int(p) for p in spark.version.split(".")[:2])
    return got >= (major, minor)


@case("index_to_string_labels")
def index_to_string_labels(spark):
    """Spark < 4.1 runs a UDF (null -> null, NaN -> label 0); 4.1+ casts to int with ANSI on
    and raise_error()s, so null and NaN fail there."""
    from pyspark.ml.feature import IndexToString

    good = [(0.0,), (1.0,), (2.0,), (1.9,), (-0.5,), (2.999,), (-0.0,)]
    bad = [(3.0,), (-1.0,), (float("inf"),), (float("-inf"),), (1e10,), (-1.5,)]
    edge = [(float("nan"),), (None,)]
    if _spark_at_least(spark, 4, 1):
        bad += edge
    else:
        good += edge
    stage = IndexToString(inputCol="idx", outputCol="label", labels=["a", "b", ""])
    return Case(stage, None, spark.createDataFrame(good, "idx double"),
                bad=spark.createDataFrame(bad, "idx double"))


@case("index_to_string_int_input")
def index_to_string_int_input(spark):
    from pyspark.ml.feature import IndexToString

    good, bad = [(0,), (1,)], [(2,), (-1,)]
    (bad if _spark_at_least(spark, 4, 1) else good).append((None,))
    stage = IndexToString(inputCol="idx", outputCol="label", labels=["zero", "one"])
    return Case(stage, None, spark.createDataFrame(good, "idx int"),
                bad=spark.createDataFrame(bad, "idx int"))


def _ohe_train(spark):
    rows = [(0.0, 0.0), (1.0, 1.0), (2.0, 0.0), (1.0, 3.0), (0.0, 2.0)]
    return spark.createDataFrame(rows, "a double, b double")


def _ohe(drop_last, handle):
    from pyspark.ml.feature import OneHotEncoder

    return OneHotEncoder(inputCols=["a", "b"], outputCols=["a_vec", "b_vec"], dropLast=drop_last,
                         handleInvalid=handle)


_OHE_VALID = [(0.0, 0.0), (1.0, 1.0), (2.0, 3.0), (1.5, 2.9), (2.5, 0.5), (None, 1.0), (0.0, None)]
_OHE_INVALID = [(-1.0, 0.0), (3.0, 0.0), (0.0, 4.0), (float("nan"), 0.0), (-0.5, 0.0), (1e9, 0.0),
                (0.0, float("inf"))]


def _ohe_error_case(spark, drop_last):
    test = spark.createDataFrame(_OHE_VALID + [(-0.0, 0.0)], "a double, b double")
    bad = spark.createDataFrame(_OHE_INVALID, "a double, b double")
    return Case(_ohe(drop_last, "error"), _ohe_train(spark), test, bad=bad)


def _ohe_keep_case(spark, drop_last):
    test = spark.createDataFrame(_OHE_VALID + _OHE_INVALID, "a double, b double")
    return Case(_ohe(drop_last, "keep"), _ohe_train(spark), test)


@case("one_hot_drop_last_error")
def one_hot_drop_last_error(spark):
    return _ohe_error_case(spark, True)


@case("one_hot_no_drop_error")
def one_hot_no_drop_error(spark):
    return _ohe_error_case(spark, False)


@case("one_hot_drop_last_keep")
def one_hot_drop_last_keep(spark):
    return _ohe_keep_case(spark, True)


@case("one_hot_no_drop_keep")
def one_hot_no_drop_keep(spark):
    return _ohe_keep_case(spark, False)


@case("one_hot_single_column_int")
def one_hot_single_column_int(spark):
    from pyspark.ml.feature import OneHotEncoder

    train = spark.createDataFrame([(0,), (1,), (2,), (3,)], "k int")
    test = spark.createDataFrame([(0,), (3,), (2,), (None,)], "k int")
    bad = spark.createDataFrame([(4,), (-1,)], "k int")
    stage = OneHotEncoder(inputCol="k", outputCol="k_vec")
    return Case(stage, train, test, bad=bad)


@case("string_indexer_one_hot_pipeline")
def string_indexer_one_hot_pipeline(spark):
    """StringIndexer (keep) feeding OneHotEncoder: slot names come from the indexer's labels."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import OneHotEncoder

    stages = [
        _string_indexer("frequencyDesc", "keep", **_MULTI),
        OneHotEncoder(inputCols=["i1", "i2"], outputCols=["v1", "v2"]),
        OneHotEncoder(inputCol="i1", outputCol="w1", dropLast=False, handleInvalid="keep"),
    ]
    return Case(Pipeline(stages=stages), _two_columns(spark), _two_columns_test(spark))


@case("string_indexer_one_hot_error_pipeline")
def string_indexer_one_hot_error_pipeline(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import OneHotEncoder

    stages = [
        _string_indexer("alphabetAsc", "error"),
        OneHotEncoder(inputCol="color_idx", outputCol="color_vec", dropLast=True),
        OneHotEncoder(inputCol="color_idx", outputCol="color_all", dropLast=False),
    ]
    # no "" label here: OneHotEncoder names slots after labels and Spark rejects an empty name
    test = spark.createDataFrame([("red",), ("yellow",), ("blue",), ("green",)], "color string")
    bad = spark.createDataFrame([("purple",), (None,), ("",)], "color string")
    return Case(Pipeline(stages=stages), _colors(spark, empty=False), test, bad=bad)


def _vi_train(spark):
    from pyspark.ml.linalg import Vectors

    # f0 {0,1,2} categorical with 0; f1 continuous; f2 {-1,5} binary, no 0; f3 {0,2.5,-3} nominal
    rows = [
        Vectors.dense([0.0, 1.1, -1.0, 0.0]),
        Vectors.dense([1.0, 2.2, 5.0, 2.5]),
        Vectors.dense([2.0, 3.3, -1.0, -3.0]),
        Vectors.dense([1.0, 4.4, 5.0, 0.0]),
        Vectors.sparse(4, [1, 2], [5.5, 5.0]),
        Vectors.dense([0.0, 6.6, -1.0, 2.5]),
    ]
    return spark.createDataFrame([(v,) for v in rows], ["features"])


def _vi_test(spark, invalid=True):
    from pyspark.ml.linalg import Vectors

    rows = [
        Vectors.dense([0.0, 1.0, -1.0, 0.0]),
        Vectors.dense([2.0, -7.5, 5.0, -3.0]),
        Vectors.sparse(4, [0, 2], [1.0, 5.0]),
        Vectors.sparse(4, [1], [9.0]),  # f2 implicit zero: not a category, but Spark keeps it 0
        Vectors.dense([-0.0, float("nan"), 5.0, 2.5]),
        Vectors.sparse(4, [0, 1, 2, 3], [2.0, 1.0, -1.0, 2.5]),
    ]
    if invalid:
        rows += [
            Vectors.dense([3.0, 1.0, -1.0, 0.0]),
            Vectors.dense([0.0, 1.0, 0.0, 0.0]),  # dense 0.0 in f2 is looked up: unseen
            Vectors.sparse(4, [2], [7.0]),
            Vectors.dense([float("nan"), 1.0, 5.0, 0.0]),
            Vectors.sparse(4, [3], [1.0]),
        ]
    return spark.createDataFrame([(v,) for v in rows], ["features"])


def _vector_indexer(handle):
    from pyspark.ml.feature import VectorIndexer

    return VectorIndexer(inputCol="features", outputCol="indexed", maxCategories=3,
                         handleInvalid=handle)


@case("vector_indexer_error")
def vector_indexer_error(spark):
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.sql.types import StructField, StructType

    bad = spark.createDataFrame(
        [(Vectors.dense([3.0, 1.0, -1.0, 0.0]),), (Vectors.dense([0.0, 1.0, 0.0, 0.0]),),
         (Vectors.sparse(4, [2], [7.0]),), (Vectors.dense([float("nan"), 1.0, 5.0, 0.0]),),
         (Vectors.dense([0.0, 1.0, 5.0]),), (None,)],
        StructType([StructField("features", VectorUDT())]),
    )
    return Case(_vector_indexer("error"), _vi_train(spark), _vi_test(spark, invalid=False), bad=bad)


@case("vector_indexer_keep")
def vector_indexer_keep(spark):
    return Case(_vector_indexer("keep"), _vi_train(spark), _vi_test(spark))


@case("vector_indexer_skip")
def vector_indexer_skip(spark):
    from pyspark.ml import Pipeline

    return Case(Pipeline(stages=[_vector_indexer("skip")]), _vi_train(spark), _vi_test(spark))


@case("vector_indexer_all_categorical")
def vector_indexer_all_categorical(spark):
    """maxCategories above every slot's count: all slots categorical, 0.0 first, then sorted."""
    from pyspark.ml.feature import VectorIndexer
    from pyspark.ml.linalg import Vectors

    train = spark.createDataFrame(
        [(Vectors.dense([3.0, 0.5]),), (Vectors.dense([0.0, 0.25]),), (Vectors.dense([-2.0, 0.5]),),
         (Vectors.dense([10.0, 0.75]),)],
        ["features"],
    )
    test = spark.createDataFrame(
        [(Vectors.dense([3.0, 0.5]),), (Vectors.dense([0.0, 0.25]),),
         (Vectors.dense([-2.0, 0.75]),), (Vectors.dense([10.0, 0.5]),),
         (Vectors.sparse(2, [0], [-2.0]),), (Vectors.dense([4.0, 0.5]),)],
        ["features"],
    )
    stage = VectorIndexer(inputCol="features", outputCol="indexed", maxCategories=10,
                          handleInvalid="keep")
    return Case(stage, train, test)
