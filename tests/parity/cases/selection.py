"""Parity cases for feature selection and projection: ChiSqSelector, UnivariateFeatureSelector,
VarianceThresholdSelector, PCA (dense, sparse and NaN rows; null and short vectors fail)."""

from __future__ import annotations

from tests.parity.cases import Case, case

NAN = float("nan")


def _rows(n: int = 30, width: int = 5) -> list[tuple[list[float], float]]:
    """Small-integer features (chi-squared needs categories), a 3-class label tied to two of
    them and a near-constant feature the variance threshold drops."""
    rows = []
    for i in range(n):
        label = float(i % 3)
        x = [float((i * (j + 2) + j) % (3 + j)) for j in range(width)]
        x[1] = label + float(i % 2)
        x[3] = 2.0 * label
        x[width - 1] = 1.0 if i % 10 == 0 else 0.0
        rows.append((x, label))
    return rows


def _train(spark, width: int = 5):
    from pyspark.ml.linalg import Vectors

    return spark.createDataFrame(
        [(Vectors.dense(x), y) for x, y in _rows(width=width)], ["features", "label"])


def _test(spark, width: int = 5):
    from pyspark.ml.linalg import Vectors

    rows = [Vectors.dense(x) for x, _ in _rows(5, width)]
    rows += [Vectors.sparse(width, [1, 3], [2.0, 4.0]), Vectors.sparse(width, [], []),
             Vectors.sparse(width, [0, width - 1], [NAN, 7.5]),
             Vectors.dense([NAN, -1.5, 0.0, 3.25, 1.0][:width]),
             Vectors.dense([1e300, -0.0, 2.0, -4.0, 0.5][:width])]
    return spark.createDataFrame([(v,) for v in rows], ["features"])


def _bad(spark, width: int = 5):
    """A null vector and a dense vector shorter than the selected slots."""
    from pyspark.ml.linalg import VectorUDT, Vectors
    from pyspark.sql.types import StructField, StructType

    rows = [(None,), (Vectors.dense([1.0, 2.0]),)]
    return spark.createDataFrame(rows, StructType([StructField("features", VectorUDT())]))


@case("chisq_selector")
def chisq_selector(spark):
    from pyspark.ml.feature import ChiSqSelector

    sel = ChiSqSelector(numTopFeatures=3, outputCol="selected")
    return Case(sel, _train(spark), _test(spark), bad=_bad(spark))


@case("chisq_selector_pipeline")
def chisq_selector_pipeline(spark):
    """Assembled slots keep their names through the selector (attributes), then a classifier."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import ChiSqSelector, VectorAssembler, VectorSlicer

    cols = ["a", "b", "c", "d", "e"]
    train = spark.createDataFrame([(*x, y) for x, y in _rows()], [*cols, "label"])
    test = spark.createDataFrame([tuple(x) for x, _ in _rows(6)] + [(NAN, 1.0, 2.0, 0.0, 1.0)],
                                 cols)
    stages = [VectorAssembler(inputCols=cols, outputCol="features", handleInvalid="keep"),
              ChiSqSelector(selectorType="fpr", fpr=0.2, outputCol="selected"),
              VectorSlicer(inputCol="selected", outputCol="named", names=["b"]),
              LogisticRegression(featuresCol="selected", maxIter=10)]
    return Case(Pipeline(stages=stages), train, test)


@case("univariate_selector")
def univariate_selector(spark):
    from pyspark.ml.feature import UnivariateFeatureSelector

    sel = (UnivariateFeatureSelector(outputCol="selected").setFeatureType("continuous")
           .setLabelType("categorical").setSelectionMode("numTopFeatures")
           .setSelectionThreshold(2))
    return Case(sel, _train(spark), _test(spark), bad=_bad(spark))


@case("univariate_selector_pipeline")
def univariate_selector_pipeline(spark):
    """F-value regression with a percentile, then chi-squared with fwe, chained."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import UnivariateFeatureSelector

    stages = [
        UnivariateFeatureSelector(outputCol="s1").setFeatureType("continuous")
        .setLabelType("continuous").setSelectionMode("percentile").setSelectionThreshold(0.6),
        UnivariateFeatureSelector(featuresCol="s1", outputCol="s2").setFeatureType("categorical")
        .setLabelType("categorical").setSelectionMode("fwe").setSelectionThreshold(0.5),
    ]
    return Case(Pipeline(stages=stages), _train(spark), _test(spark))


@case("variance_threshold_selector")
def variance_threshold_selector(spark):
    from pyspark.ml.feature import VarianceThresholdSelector

    sel = VarianceThresholdSelector(varianceThreshold=0.5, outputCol="selected")
    return Case(sel, _train(spark), _test(spark), bad=_bad(spark))


@case("pca")
def pca(spark):
    from pyspark.ml.feature import PCA

    return Case(PCA(k=3, inputCol="features", outputCol="pca"), _train(spark), _test(spark),
                bad=_bad(spark))


@case("pca_pipeline")
def pca_pipeline(spark):
    """Full rank (k = width) after a scaler, sparse rows through the scaler's output."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import PCA, StandardScaler

    stages = [StandardScaler(inputCol="features", outputCol="scaled", withMean=False),
              PCA(k=4, inputCol="scaled", outputCol="pca")]
    return Case(Pipeline(stages=stages), _train(spark, 4), _test(spark, 4))


# ---- TargetEncoder (Spark 4.0+) ---------------------------------------------------------------
def _categories(spark):
    from pyspark.sql.types import DoubleType, IntegerType, StructField, StructType

    rows = []
    for i in range(36):
        c1 = None if i % 11 == 0 else float(i % 4)
        rows.append((c1, (i * 7) % 5, float((i * 5) % 3 == 0), 0.5 * (i % 6) - 1.0))
    schema = StructType([StructField("c1", DoubleType()), StructField("c2", IntegerType()),
                         StructField("label", DoubleType()), StructField("y", DoubleType())])
    return spark.createDataFrame(rows, schema)


def _category_test(spark, unseen: bool = True):
    from pyspark.sql.types import DoubleType, IntegerType, StructField, StructType

    rows = [(0.0, 0), (1.0, 4), (3.0, 2), (None, 1), (2.0, 3)]
    if unseen:
        rows += [(9.0, 1), (1.0, 17), (NAN, 0), (-1.0, 2)]
    schema = StructType([StructField("c1", DoubleType()), StructField("c2", IntegerType())])
    return spark.createDataFrame(rows, schema)


@case("target_encoder_binary_keep", since=(4, 0))
def target_encoder_binary_keep(spark):
    from pyspark.ml.feature import TargetEncoder

    te = TargetEncoder(inputCols=["c1", "c2"], outputCols=["e1", "e2"], targetType="binary",
                       handleInvalid="keep", smoothing=2.0)
    return Case(te, _categories(spark), _category_test(spark))


@case("target_encoder_continuous_error", since=(4, 0))
def target_encoder_continuous_error(spark):
    """A single input column, continuous target, unseen values fail."""
    from pyspark.ml.feature import TargetEncoder
    from pyspark.sql.types import DoubleType, IntegerType, StructField, StructType

    te = TargetEncoder(inputCol="c2", outputCol="e2", labelCol="y", targetType="continuous",
                       handleInvalid="error")
    schema = StructType([StructField("c1", DoubleType()), StructField("c2", IntegerType())])
    bad = spark.createDataFrame([(None, 9), (1.0, -3)], schema)
    return Case(te, _categories(spark), _category_test(spark, unseen=False), bad=bad)
