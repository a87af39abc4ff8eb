"""Parity cases for numeric feature transformers."""

from __future__ import annotations

from tests.parity.cases import Case, case


def _doubles(spark):
    rows = [(0.5, -1.0), (1.5, 0.0), (float("nan"), 2.0), (None, 0.25), (0.0, -0.5)]
    return spark.createDataFrame(rows, "x double, y double")


@case("binarizer_multi_column")
def binarizer_multi_column(spark):
    from pyspark.ml.feature import Binarizer

    df = _doubles(spark)
    stage = Binarizer(inputCols=["x", "y"], outputCols=["bx", "by"], thresholds=[0.5, -0.5])
    return Case(stage, None, df)


@case("binarizer_vector")
def binarizer_vector(spark):
    from pyspark.ml.feature import Binarizer
    from pyspark.ml.linalg import Vectors

    rows = [
        (Vectors.dense([0.1, 0.9, float("nan"), 0.0]),),
        (Vectors.sparse(4, [1], [2.0]),),
        (Vectors.dense([-1.0, 0.0, 0.0, 3.0]),),
    ]
    df = spark.createDataFrame(rows, ["v"])
    pos = Binarizer(inputCol="v", outputCol="pos", threshold=0.5)
    neg = Binarizer(inputCol="v", outputCol="neg", threshold=-0.5)
    from pyspark.ml import Pipeline

    return Case(Pipeline(stages=[pos, neg]), df, df)


# ---- Bucketizer -------------------------------------------------------------------------------
_INF = float("inf")
_NAN = float("nan")


@case("bucketizer_inf_splits")
def bucketizer_inf_splits(spark):
    """±inf splits: every double has a bucket; -0.0 vs a 0.0 split follows Java's binarySearch."""
    from pyspark.ml.feature import Bucketizer

    xs = [-_INF, -3.0, -1.0, -0.5, -0.0, 0.0, 0.25, 1.0, 7.5, _INF, None]
    df = spark.createDataFrame([(x,) for x in xs], "x double")
    stage = Bucketizer(splits=[-_INF, -1.0, 0.0, 1.0, _INF], inputCol="x", outputCol="b")
    bad = spark.createDataFrame([(_NAN,)], "x double")  # handleInvalid=error
    return Case(stage, None, df, bad=bad)


@case("bucketizer_keep")
def bucketizer_keep(spark):
    """Finite splits, keep: NaN -> extra bucket; the last edge is inclusive; outside -> error."""
    from pyspark.ml.feature import Bucketizer

    xs = [0.0, 0.5, 1.0, 1.999, 2.0, 4.0, 5.0, _NAN, None]
    df = spark.createDataFrame([(x,) for x in xs], "x double")
    stage = Bucketizer(splits=[0.0, 1.0, 2.0, 5.0], inputCol="x", outputCol="b",
                       handleInvalid="keep")
    bad = spark.createDataFrame([(-0.001,), (5.5,), (-_INF,), (_INF,)], "x double")
    return Case(stage, None, df, bad=bad)


@case("bucketizer_skip")
def bucketizer_skip(spark):
    """skip drops NaN and null inputs; a NaN/null in another column does not matter."""
    from pyspark.ml.feature import Bucketizer

    rows = [(0.5, 1.0), (_NAN, 1.0), (None, 2.0), (1.5, None), (2.5, _NAN), (3.0, 0.0)]
    df = spark.createDataFrame(rows, "x double, other double")
    stage = Bucketizer(splits=[0.0, 1.0, 2.0, 3.0], inputCol="x", outputCol="b",
                       handleInvalid="skip")
    bad = spark.createDataFrame([(3.5, 0.0)], "x double, other double")
    return Case(stage, None, df, bad=bad)


def _multi_df(spark):
    rows = [
        (0.5, -2.0, 1, 0.0),
        (1.5, 0.0, 3, 1.0),
        (_NAN, 2.0, 0, 2.0),
        (2.0, _NAN, 2, 3.0),
        (None, 1.0, 5, 4.0),
        (1.0, None, None, 5.0),
        (0.0, 3.0, 9, _NAN),
    ]
    return spark.createDataFrame(rows, "x double, y double, n int, z double")


def _multi_bucketizer(handle_invalid):
    from pyspark.ml.feature import Bucketizer

    return Bucketizer(
        inputCols=["x", "y", "n"],
        outputCols=["bx", "by", "bn"],
        splitsArray=[[0.0, 1.0, 2.0], [-_INF, 0.0, 1.0, _INF], [0.0, 2.0, 4.0, 10.0]],
        handleInvalid=handle_invalid,
    )


@case("bucketizer_multi_keep")
def bucketizer_multi_keep(spark):
    df = _multi_df(spark)
    bad = spark.createDataFrame([(0.5, 0.0, 11, 0.0), (-1.0, 0.0, 1, 0.0)],
                                "x double, y double, n int, z double")
    return Case(_multi_bucketizer("keep"), None, df, bad=bad)


@case("bucketizer_multi_error")
def bucketizer_multi_error(spark):
    df = _multi_df(spark).where("NOT (isnan(x) OR isnan(y))")
    bad = spark.createDataFrame([(_NAN, 0.0, 1, 0.0), (0.5, _NAN, 1, 0.0), (0.5, 0.0, -1, 0.0)],
                                "x double, y double, n int, z double")
    return Case(_multi_bucketizer("error"), None, df, bad=bad)


@case("bucketizer_multi_skip_pipeline")
def bucketizer_multi_skip_pipeline(spark):
    """Multi-column skip (drops NaN/null in any input column) followed by a single-column stage."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import Bucketizer

    df = _multi_df(spark)
    second = Bucketizer(splits=[-_INF, 2.5, _INF], inputCol="z", outputCol="bz",
                        handleInvalid="keep")
    return Case(Pipeline(stages=[_multi_bucketizer("skip"), second]), df, df)


# ---- vector transformers ----------------------------------------------------------------------
def _vectors(spark):
    from pyspark.ml.linalg import Vectors

    rows = [
        (Vectors.dense([3.0, -4.0, 0.0, 1.5]),),
        (Vectors.sparse(4, [1, 3], [-2.0, 0.5]),),
        (Vectors.dense([0.0, 0.0, 0.0, 0.0]),),
        (Vectors.sparse(4, [], []),),
        (Vectors.dense([1e-3, 2.5, -7.25, 1e3]),),
        (Vectors.dense([_NAN, 2.0, -1.0, 0.0]),),
        (Vectors.sparse(4, [0], [-6.0]),),
    ]
    return spark.createDataFrame(rows, ["v"])


def _bad_vectors(spark, size_ok=True):
    from pyspark.ml.linalg import VectorUDT, Vectors
    from pyspark.sql.types import StructField, StructType

    schema = StructType([StructField("v", VectorUDT(), True)])
    rows = [(None,)]
    if not size_ok:
        rows.append((Vectors.dense([1.0, 2.0]),))
    return spark.createDataFrame(rows, schema)


@case("normalizer_default")
def normalizer_default(spark):
    """p = 2 (the default), single stage."""
    from pyspark.ml.feature import Normalizer

    return Case(Normalizer(inputCol="v", outputCol="n2"), None, _vectors(spark),
                bad=_bad_vectors(spark))


@case("normalizer_p_pipeline")
def normalizer_p_pipeline(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import Normalizer

    stages = [
        Normalizer(inputCol="v", outputCol="n1", p=1.0),
        Normalizer(inputCol="v", outputCol="n2", p=2.0),
        Normalizer(inputCol="v", outputCol="ninf", p=_INF),
        Normalizer(inputCol="v", outputCol="n3", p=3.0),
    ]
    df = _vectors(spark)
    return Case(Pipeline(stages=stages), df, df)


@case("elementwise_product")
def elementwise_product(spark):
    """Sparse rows stay sparse (only stored values are scaled, so 0 * inf stays 0 there)."""
    from pyspark.ml.feature import ElementwiseProduct
    from pyspark.ml.linalg import Vectors

    stage = ElementwiseProduct(scalingVec=Vectors.dense([2.0, 0.0, -0.5, _INF]),
                               inputCol="v", outputCol="p")
    return Case(stage, None, _vectors(spark), bad=_bad_vectors(spark, size_ok=False))


@case("elementwise_product_pipeline")
def elementwise_product_pipeline(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import ElementwiseProduct, Normalizer
    from pyspark.ml.linalg import Vectors

    stages = [
        ElementwiseProduct(scalingVec=Vectors.sparse(4, [0, 3], [1.5, -3.0]),
                           inputCol="v", outputCol="p"),
        Normalizer(inputCol="p", outputCol="np", p=1.0),
    ]
    df = _vectors(spark)
    return Case(Pipeline(stages=stages), df, df)


def _poly_vectors(spark):
    from pyspark.ml.linalg import Vectors

    rows = [
        (Vectors.dense([2.0, -1.0, 0.5]),),
        (Vectors.dense([0.0, 3.0, -2.0]),),
        (Vectors.sparse(3, [0, 2], [-1.5, 4.0]),),
        (Vectors.sparse(3, [1], [0.3]),),
        (Vectors.sparse(3, [], []),),
        (Vectors.dense([0.0, 0.0, 0.0]),),
        (Vectors.dense([_INF, 0.0, 2.0]),),
        (Vectors.dense([0.0, _INF, _NAN]),),
        (Vectors.sparse(3, [0, 1], [_INF, -2.0]),),
        (Vectors.dense([1e-200, 1e-200, 1e150]),),
    ]
    return spark.createDataFrame(rows, ["v"])


@case("poly_expansion_degree2")
def poly_expansion_degree2(spark):
    from pyspark.ml.feature import PolynomialExpansion

    return Case(PolynomialExpansion(inputCol="v", outputCol="p"), None, _poly_vectors(spark),
                bad=_bad_vectors(spark))


@case("poly_expansion_degree3_pipeline")
def poly_expansion_degree3_pipeline(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import PolynomialExpansion

    stages = [
        PolynomialExpansion(inputCol="v", outputCol="p3", degree=3),
        PolynomialExpansion(inputCol="v", outputCol="p1", degree=1),
    ]
    df = _poly_vectors(spark)
    return Case(Pipeline(stages=stages), df, df)


def _dct_vectors(spark, size):
    from pyspark.ml.linalg import Vectors

    rows = [
        (Vectors.dense([1.0] * size),),
        (Vectors.dense([float(i) - 1.5 for i in range(size)]),),
        (Vectors.dense([(-1.0) ** i * (i + 0.25) for i in range(size)]),),
        (Vectors.sparse(size, [1], [2.0]),),
        (Vectors.dense([0.0] * size),),
        (Vectors.dense([0.1 * (i * i % 5) - 0.3 for i in range(size)]),),
    ]
    return spark.createDataFrame(rows, ["v"])


@case("dct_forward")
def dct_forward(spark):
    from pyspark.ml.feature import DCT

    return Case(DCT(inputCol="v", outputCol="d"), None, _dct_vectors(spark, 8),
                bad=_bad_vectors(spark))


@case("dct_forward_odd")
def dct_forward_odd(spark):
    from pyspark.ml.feature import DCT

    return Case(DCT(inputCol="v", outputCol="d"), None, _dct_vectors(spark, 5))


@case("dct_inverse_pipeline")
def dct_inverse_pipeline(spark):
    """Forward then inverse DCT, plus an inverse straight from the input."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import DCT

    stages = [
        DCT(inputCol="v", outputCol="d"),
        DCT(inputCol="d", outputCol="back", inverse=True),
        DCT(inputCol="v", outputCol="inv", inverse=True),
    ]
    df = _dct_vectors(spark, 6)
    return Case(Pipeline(stages=stages), df, df)


@case("vector_sizes_pipeline")
def vector_sizes_pipeline(spark):
    """ElementwiseProduct's output carries a size attribute; the stages reading it pass sizes on."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import DCT, ElementwiseProduct, Normalizer, PolynomialExpansion
    from pyspark.ml.linalg import Vectors

    stages = [
        ElementwiseProduct(scalingVec=Vectors.dense([1.5, -2.0, 0.5, 1.0]), inputCol="v",
                           outputCol="p"),
        Normalizer(inputCol="p", outputCol="pn", p=1.0),
        PolynomialExpansion(inputCol="p", outputCol="pp", degree=2),
        DCT(inputCol="p", outputCol="pd"),
        DCT(inputCol="pd", outputCol="pdi", inverse=True),
    ]
    df = _vectors(spark)
    return Case(Pipeline(stages=stages), df, df)
