"""Parity cases for the vector scalers (Standard, MinMax, MaxAbs, Robust) and the Imputer.

Vector columns are built directly with pyspark.ml.linalg.Vectors (no VectorAssembler). Feature 1
is constant in the training data (zero std / range), feature 4 is always zero there (zero
maxAbs too), feature 2 is mostly zero, and the
test rows mix dense and sparse vectors with NaN entries.
"""

from __future__ import annotations

from tests.parity.cases import Case, case

NAN = float("nan")


def _vectors(spark):
    from pyspark.ml.linalg import Vectors

    train = [
        Vectors.dense([1.0, 3.0, 0.0, -2.0, 0.0]),
        Vectors.dense([2.5, 3.0, 0.0, 4.0, 0.0]),
        Vectors.sparse(5, [1, 3], [3.0, 0.5]),
        Vectors.dense([-1.5, 3.0, 7.0, 1.0, 0.0]),
        Vectors.sparse(5, [0, 1], [4.0, 3.0]),
        Vectors.dense([0.3, 3.0, 0.0, -0.7, 0.0]),
    ]
    test = train + [
        Vectors.dense([NAN, 3.0, 1.0, 2.0, 0.0]),
        Vectors.sparse(5, [0, 2, 4], [NAN, -5.0, 2.0]),
        Vectors.sparse(5, [], []),
        Vectors.dense([0.0, 0.0, 0.0, 0.0, 0.0]),
        Vectors.dense([10.0, -3.0, 2.0, 1e6, -4.0]),
        Vectors.sparse(5, [1], [4.0]),
        Vectors.sparse(5, [4], [NAN]),
    ]
    return (
        spark.createDataFrame([(v,) for v in train], ["v"]),
        spark.createDataFrame([(v,) for v in test], ["v"]),
    )


def _bad_vectors(spark, *extra):
    """A null vector (Spark's UDFs fail on it) plus stage-specific rows Spark rejects."""
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql.types import StructField, StructType

    schema = StructType([StructField("v", VectorUDT(), True)])
    return spark.createDataFrame([(None,), *[(v,) for v in extra]], schema)


@case("scaler_standard_all_flags")
def scaler_standard_all_flags(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import StandardScaler

    train, test = _vectors(spark)
    stages = [
        StandardScaler(inputCol="v", outputCol=f"s_{int(m)}{int(s)}", withMean=m, withStd=s)
        for m in (False, True)
        for s in (False, True)
    ]
    return Case(Pipeline(stages=stages), train, test)


@case("scaler_standard_single")
def scaler_standard_single(spark):
    from pyspark.ml.feature import StandardScaler
    from pyspark.ml.linalg import Vectors

    train, test = _vectors(spark)
    bad = _bad_vectors(spark, Vectors.dense([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))  # too long
    return Case(StandardScaler(inputCol="v", outputCol="scaled"), train, test, bad=bad)


@case("scaler_standard_centered_single")
def scaler_standard_centered_single(spark):
    from pyspark.ml.feature import StandardScaler
    from pyspark.ml.linalg import Vectors

    train, test = _vectors(spark)
    bad = _bad_vectors(spark, Vectors.sparse(6, [5], [1.0]))  # too long
    stage = StandardScaler(inputCol="v", outputCol="scaled", withMean=True, withStd=True)
    return Case(stage, train, test, bad=bad)


@case("scaler_standard_nan_train")
def scaler_standard_nan_train(spark):
    """A NaN in the training data makes that feature's mean and std NaN."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import StandardScaler
    from pyspark.ml.linalg import Vectors

    train, test = _vectors(spark)
    train = train.union(spark.createDataFrame([(Vectors.dense([NAN, 3.0, 1.0, 1.0, 0.0]),)], ["v"]))
    stages = [
        StandardScaler(inputCol="v", outputCol="a", withMean=True, withStd=True),
        StandardScaler(inputCol="v", outputCol="b", withMean=False, withStd=True),
    ]
    return Case(Pipeline(stages=stages), train, test)


@case("scaler_identity_null")
def scaler_identity_null(spark):
    """Neither centering nor scaling: Spark hands the vector back as is, null included."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import RobustScaler, StandardScaler
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.sql.types import StructField, StructType

    train, _ = _vectors(spark)
    schema = StructType([StructField("v", VectorUDT(), True)])
    test = spark.createDataFrame(
        [(Vectors.dense([1.0, NAN, 0.0, 2.0, 0.0]),), (None,), (Vectors.sparse(5, [3], [NAN]),)],
        schema,
    )
    stages = [
        StandardScaler(inputCol="v", outputCol="s", withMean=False, withStd=False),
        RobustScaler(inputCol="v", outputCol="r", withCentering=False, withScaling=False),
    ]
    return Case(Pipeline(stages=stages), train, test)


@case("scaler_short_vectors")
def scaler_short_vectors(spark):
    """Spark loops over the INPUT's length: vectors shorter than the model are scored."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import MaxAbsScaler, RobustScaler, StandardScaler
    from pyspark.ml.linalg import Vectors

    train, _ = _vectors(spark)
    test = spark.createDataFrame(
        [(Vectors.dense([1.0, 2.0, NAN, -1.0]),), (Vectors.sparse(4, [0, 3], [2.0, 5.0]),)], ["v"]
    )
    stages = [
        StandardScaler(inputCol="v", outputCol="s11", withMean=True, withStd=True),
        StandardScaler(inputCol="v", outputCol="s10", withMean=True, withStd=False),
        StandardScaler(inputCol="v", outputCol="s01", withMean=False, withStd=True),
        MaxAbsScaler(inputCol="v", outputCol="m"),
        RobustScaler(inputCol="v", outputCol="r", withCentering=True),
    ]
    return Case(Pipeline(stages=stages), train, test)


@case("scaler_long_sparse_vectors")
def scaler_long_sparse_vectors(spark):
    """Scaling a SparseVector only touches its stored entries: a longer one scores if they fit."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import MaxAbsScaler, StandardScaler
    from pyspark.ml.linalg import Vectors

    train, _ = _vectors(spark)
    test = spark.createDataFrame(
        [(Vectors.sparse(7, [0, 3], [2.0, NAN]),), (Vectors.sparse(7, [], []),)], ["v"]
    )
    bad = _bad_vectors(spark, Vectors.sparse(7, [6], [1.0]), Vectors.dense([1.0] * 7))
    stages = [
        StandardScaler(inputCol="v", outputCol="s"),
        MaxAbsScaler(inputCol="v", outputCol="m"),
    ]
    return Case(Pipeline(stages=stages), train, test, bad=bad)


@case("scaler_min_max")
def scaler_min_max(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import MinMaxScaler

    train, test = _vectors(spark)
    stages = [
        MinMaxScaler(inputCol="v", outputCol="mm"),
        MinMaxScaler(inputCol="v", outputCol="mm_custom", min=-1.0, max=3.0),
        MinMaxScaler(inputCol="v", outputCol="mm_zero", min=-2.0, max=2.0),
    ]
    return Case(Pipeline(stages=stages), train, test)


@case("scaler_min_max_single")
def scaler_min_max_single(spark):
    from pyspark.ml.feature import MinMaxScaler
    from pyspark.ml.linalg import Vectors

    train, test = _vectors(spark)
    bad = _bad_vectors(spark, Vectors.dense([1.0, 2.0, 3.0]), Vectors.sparse(6, [0], [1.0]))
    stage = MinMaxScaler(inputCol="v", outputCol="scaled", min=0.5, max=10.0)
    return Case(stage, train, test, bad=bad)


@case("scaler_max_abs_single")
def scaler_max_abs_single(spark):
    from pyspark.ml.feature import MaxAbsScaler
    from pyspark.ml.linalg import Vectors

    train, test = _vectors(spark)
    bad = _bad_vectors(spark, Vectors.dense([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    return Case(MaxAbsScaler(inputCol="v", outputCol="scaled"), train, test, bad=bad)


@case("scaler_robust_all_flags")
def scaler_robust_all_flags(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import RobustScaler

    train, test = _vectors(spark)
    stages = [
        RobustScaler(inputCol="v", outputCol=f"r_{int(c)}{int(s)}", withCentering=c, withScaling=s)
        for c in (False, True)
        for s in (False, True)
    ]
    return Case(Pipeline(stages=stages), train, test)


@case("scaler_robust_single")
def scaler_robust_single(spark):
    from pyspark.ml.feature import RobustScaler

    train, test = _vectors(spark)
    stage = RobustScaler(
        inputCol="v", outputCol="scaled", lower=0.1, upper=0.9, withCentering=True
    )
    return Case(stage, train, test, bad=_bad_vectors(spark))


@case("scaler_chain")
def scaler_chain(spark):
    """Each scaler feeds the next, so dense/sparse forms and attributes flow through."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

    train, test = _vectors(spark)
    stages = [
        MaxAbsScaler(inputCol="v", outputCol="a"),
        StandardScaler(inputCol="a", outputCol="b"),
        RobustScaler(inputCol="b", outputCol="c", withCentering=True),
        MinMaxScaler(inputCol="c", outputCol="d", min=-1.0, max=1.0),
        StandardScaler(inputCol="d", outputCol="e", withMean=True),
    ]
    return Case(Pipeline(stages=stages), train, test)


# ---- Imputer -----------------------------------------------------------------------------------

_NUMERIC_SCHEMA = "d double, f float, i int, l long, s short"


def _numbers(spark):
    train = [
        (1.0, 1.5, 1, 10, 3),
        (2.5, 2.25, 2, 10, 3),
        (None, None, None, None, None),
        (NAN, NAN, 4, 30, 7),
        (-1.0, -1.0, -1, -1, -1),
        (2.5, 0.1, 2, 20, 4),
        (7.25, 3.3, 5, 21, 5),
        (2.5, 0.1, 1, 21, 3),
    ]
    test = train + [
        (NAN, None, None, 5, None),
        (0.1, 0.1, 0, 0, 0),
        (1e300, -2.5, 2147483647, 9007199254740993, -32768),
    ]
    return (
        spark.createDataFrame(train, _NUMERIC_SCHEMA),
        spark.createDataFrame(test, _NUMERIC_SCHEMA),
    )


_COLS = ["d", "f", "i", "l", "s"]


@case("imputer_strategies_multi")
def imputer_strategies_multi(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import Imputer

    train, test = _numbers(spark)
    stages = [
        Imputer(inputCols=_COLS, outputCols=[f"{c}_{s}" for c in _COLS], strategy=s)
        for s in ("mean", "median", "mode")
    ]
    return Case(Pipeline(stages=stages), train, test)


@case("imputer_custom_missing_value")
def imputer_custom_missing_value(spark):
    """missingValue=-1: -1 and null are imputed, NaN is kept (and skipped when fitting)."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import Imputer

    train, test = _numbers(spark)
    stages = [
        Imputer(inputCols=_COLS, outputCols=[f"{c}_{s}" for c in _COLS], strategy=s,
                missingValue=-1.0)
        for s in ("mean", "median", "mode")
    ]
    return Case(Pipeline(stages=stages), train, test)


@case("imputer_fractional_missing_value")
def imputer_fractional_missing_value(spark):
    """missingValue=0.1 matches the double 0.1 but not the float 0.1f (compared as doubles)."""
    from pyspark.ml.feature import Imputer

    train, test = _numbers(spark)
    stage = Imputer(inputCols=["d", "f"], outputCols=["d_out", "f_out"], missingValue=0.1)
    return Case(stage, train, test)


@case("imputer_single_int")
def imputer_single_int(spark):
    from pyspark.ml.feature import Imputer

    train, test = _numbers(spark)
    return Case(Imputer(inputCol="i", outputCol="i_out"), train, test)


@case("imputer_single_float_median")
def imputer_single_float_median(spark):
    from pyspark.ml.feature import Imputer

    train, test = _numbers(spark)
    return Case(Imputer(inputCol="f", outputCol="f_out", strategy="median"), train, test)


@case("imputer_single_double_mode_in_place")
def imputer_single_double_mode_in_place(spark):
    """The output column replaces the input column."""
    from pyspark.ml.feature import Imputer

    train, test = _numbers(spark)
    return Case(Imputer(inputCol="d", outputCol="d", strategy="mode"), train, test)
