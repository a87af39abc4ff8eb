"""Parity cases for decision trees and tree ensembles (DT, RandomForest, GBT; both tasks).

Data is a deterministic formula (no RNG): two continuous features, a small-integer feature that a
VectorIndexer turns categorical and a colour string that a StringIndexer turns categorical. Test
rows add what Spark's trees see in the wild: NaN/null/inf values (VectorAssembler "keep"),
unseen categories and colours ("keep" upstream), -0.0, and training rows (values that equal a
split threshold). Single-stage cases also score sparse vectors and categorical values outside a
feature's arity (declared through the features column's ML attribute metadata).
"""

from __future__ import annotations

from tests.parity.cases import Case, case

NAN = float("nan")
INF = float("inf")
COLORS = ("red", "green", "blue", "yellow")
SCHEMA = ("x0 double, x1 double, x2 double, color string, label double, multi double, y double, "
          "w double")
TEST_SCHEMA = "x0 double, x1 double, x2 double, color string"


def _u(i: int, k: int) -> float:
    """A deterministic pseudo-uniform number in [0, 1)."""
    return ((i * 2654435761 + k * 40503 + 12345) % 1000003) / 1000003.0


def _row(i: int) -> tuple:
    x0 = round(6.0 * _u(i, 1) - 3.0, 3)
    x1 = round(10.0 * _u(i, 2), 2)
    x2 = float(int(5 * _u(i, 3)))
    color = COLORS[int(4 * _u(i, 4))]
    noise = _u(i, 5) - 0.5
    score = x0 + (1.5 if x2 in (1.0, 3.0) else -0.5) + (1.0 if color == "red" else 0.0)
    score += -0.2 * x1 + 1.4 * noise
    label = 1.0 if score > -0.6 else 0.0
    multi = 0.0 if score < -1.2 else (1.0 if score < 0.6 else 2.0)
    y = 2.0 * x0 + (0.0, 3.0, -1.0, 2.0, 0.5)[int(x2)] + 0.3 * x1 + noise
    y += 1.5 if color in ("red", "blue") else 0.0
    return (x0, x1, x2, color, label, multi, round(y, 4), round(0.5 + 2.0 * _u(i, 6), 3))


def _train(spark, n: int = 240):
    return spark.createDataFrame([_row(i) for i in range(n)], SCHEMA)


def _test(spark):
    rows = [_row(i)[:4] for i in range(1000, 1014)] + [_row(i)[:4] for i in range(0, 40, 5)]
    rows += [
        (NAN, 5.0, 1.0, "red"),
        (0.5, NAN, 3.0, "blue"),
        (None, 2.0, 0.0, "green"),
        (0.25, 4.0, 7.0, "yellow"),  # unseen x2 category -> VectorIndexer keep bucket
        (0.25, 4.0, NAN, "yellow"),
        (-0.5, 6.0, 2.0, "violet"),  # unseen colour -> StringIndexer keep bucket
        (-0.5, 6.0, 2.0, None),
        (-0.5, 6.0, 2.0, ""),
        (INF, 1.0, 4.0, "red"),
        (-INF, 9.0, 1.0, "green"),
        (-0.0, -0.0, 0.0, "blue"),
        (1e300, -1e300, 3.0, "red"),
        (NAN, NAN, NAN, None),
    ]
    return spark.createDataFrame(rows, TEST_SCHEMA)


def _vi_stages():
    """colour -> StringIndexer; [x0, x1, x2, colour] -> VectorIndexer (x2, colour categorical)."""
    from pyspark.ml.feature import StringIndexer, VectorAssembler, VectorIndexer

    return [
        StringIndexer(inputCol="color", outputCol="color_idx", handleInvalid="keep"),
        VectorAssembler(inputCols=["x0", "x1", "x2", "color_idx"], outputCol="raw",
                        handleInvalid="keep"),
        VectorIndexer(inputCol="raw", outputCol="features", maxCategories=6, handleInvalid="keep"),
    ]


def _si_stages():
    """Only the StringIndexer's nominal attribute (5 values with "__unknown") is categorical."""
    from pyspark.ml.feature import StringIndexer, VectorAssembler

    return [
        StringIndexer(inputCol="color", outputCol="color_idx", handleInvalid="keep"),
        VectorAssembler(inputCols=["x0", "x1", "color_idx"], outputCol="features",
                        handleInvalid="keep"),
    ]


def _t(est, thresholds):
    """PySpark's tree classifiers take thresholds through the setter only."""
    return est.setThresholds(thresholds)


def _pipeline(stages, est, spark):
    from pyspark.ml import Pipeline

    return Case(Pipeline(stages=[*stages, est]), _train(spark), _test(spark))


# ---- single-stage helpers: a features column, optionally with categorical metadata ----------
def _meta(categorical: dict[int, int], width: int) -> dict:
    nominal = [{"idx": i, "name": f"f{i}", "num_vals": n} for i, n in sorted(categorical.items())]
    numeric = [{"idx": i, "name": f"f{i}"} for i in range(width) if i not in categorical]
    attrs = {"numeric": numeric, **({"nominal": nominal} if nominal else {})}
    return {"ml_attr": {"attrs": attrs, "num_attrs": width}}


def _vector_train(spark, categorical: dict[int, int] | None = None, n: int = 240):
    """[x0, x1, x2, cat12] with cat12 in 0..11; labels as in _row."""
    from pyspark.ml.linalg import Vectors
    from pyspark.sql import functions as F

    rows = []
    for i in range(n):
        x0, x1, x2, _, label, multi, y, w = _row(i)
        cat = float(int(12 * _u(i, 7)))
        if cat in (2.0, 5.0, 9.0):
            multi = (multi + 1.0) % 3.0
        label = 1.0 - label if cat >= 10.0 else label
        rows.append((Vectors.dense([x0, x1, x2, cat]), label, multi, y + cat / 4.0, w))
    df = spark.createDataFrame(rows, ["features", "label", "multi", "y", "w"])
    if categorical:
        df = df.withColumn("features", F.col("features").alias("features",
                                                                metadata=_meta(categorical, 4)))
    return df


def _vector_test(spark, categorical: dict[int, int] | None = None, null: bool = False):
    from pyspark.ml.linalg import VectorUDT, Vectors
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructField, StructType

    rows = [(Vectors.dense(list(_row(i)[:3]) + [float(i % 12)]),) for i in range(1000, 1012)]
    rows += [
        (Vectors.sparse(4, [], []),),
        (Vectors.sparse(4, [0, 3], [1.25, 5.0]),),
        (Vectors.sparse(4, [1, 2], [NAN, 3.0]),),
        (Vectors.dense([NAN, 3.0, 1.0, 2.0]),),
        (Vectors.dense([0.5, 4.0, 7.0, 15.0]),),  # categories beyond the arity
        (Vectors.dense([0.5, 4.0, -1.0, 2.5]),),  # negative and fractional "categories"
        (Vectors.dense([0.5, 4.0, NAN, NAN]),),
        (Vectors.dense([-0.0, -0.0, -0.0, -0.0]),),
        (Vectors.dense([INF, -INF, 4.0, 11.0]),),
        *([(None,)] if null else []),
    ]
    df = spark.createDataFrame(rows, StructType([StructField("features", VectorUDT())]))
    if categorical:
        df = df.withColumn("features", F.col("features").alias("features",
                                                                metadata=_meta(categorical, 4)))
    return df


def _vector_bad(spark):
    """Spark's UDF fails on a null vector and on a split reading past the vector's end."""
    from pyspark.ml.linalg import VectorUDT, Vectors
    from pyspark.sql.types import StructField, StructType

    rows = [(None,), (Vectors.dense([]),), (Vectors.sparse(0, [], []),)]
    return spark.createDataFrame(rows, StructType([StructField("features", VectorUDT())]))


def _single(est, spark, categorical=None, bad=True):
    return Case(est, _vector_train(spark, categorical), _vector_test(spark, categorical),
                bad=_vector_bad(spark) if bad else None)


# ---- DecisionTreeClassifier ------------------------------------------------------------------
@case("tree_dt_classifier_pipeline")
def tree_dt_classifier_pipeline(spark):
    """Multiclass, entropy, unordered categorical splits (VectorIndexer), leaf indices."""
    from pyspark.ml.classification import DecisionTreeClassifier

    est = DecisionTreeClassifier(labelCol="multi", maxDepth=5, impurity="entropy", maxBins=16,
                                 leafCol="leaf", seed=11)
    return _pipeline(_vi_stages(), est, spark)


@case("tree_dt_classifier_weighted")
def tree_dt_classifier_weighted(spark):
    """Binary, weighted (fractional class counts), ordered categorical splits, thresholds."""
    from pyspark.ml.classification import DecisionTreeClassifier

    est = DecisionTreeClassifier(labelCol="label", weightCol="w", maxDepth=4,
                                 minInstancesPerNode=3, seed=3)
    est = _t(est, [0.4, 0.6])
    return _pipeline(_si_stages(), est, spark)


@case("tree_dt_classifier_categorical_meta")
def tree_dt_classifier_categorical_meta(spark):
    """Categorical features from column metadata; test values outside [0, arity) and NaN."""
    from pyspark.ml.classification import DecisionTreeClassifier

    est = DecisionTreeClassifier(labelCol="multi", maxDepth=6, maxBins=32)
    return _single(est, spark, categorical={2: 5, 3: 12})


@case("tree_dt_classifier_paths")
def tree_dt_classifier_paths(spark):
    """Depth 1 and depth 0 (a single leaf); prediction-only (predict ignores thresholds)."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import DecisionTreeClassifier

    stages = [
        DecisionTreeClassifier(maxDepth=1, rawPredictionCol="r1", probabilityCol="p1",
                               predictionCol="d1"),
        DecisionTreeClassifier(maxDepth=0, rawPredictionCol="r0", probabilityCol="p0",
                               predictionCol="d0", leafCol="leaf0"),
        _t(DecisionTreeClassifier(maxDepth=3, rawPredictionCol="", probabilityCol="",
                                  predictionCol="d3"), [0.1, 0.9]),
        _t(DecisionTreeClassifier(maxDepth=3, rawPredictionCol="", probabilityCol="p3t",
                                  predictionCol="d3t"), [0.1, 0.9]),
    ]
    return Case(Pipeline(stages=stages), _vector_train(spark), _vector_test(spark))


# ---- DecisionTreeRegressor -------------------------------------------------------------------
@case("tree_dt_regressor_pipeline")
def tree_dt_regressor_pipeline(spark):
    from pyspark.ml.regression import DecisionTreeRegressor

    est = DecisionTreeRegressor(labelCol="y", maxDepth=5, varianceCol="variance", leafCol="leaf")
    return _pipeline(_si_stages(), est, spark)


@case("tree_dt_regressor_single_leaf")
def tree_dt_regressor_single_leaf(spark):
    """Constant label: one leaf; a split-free tree never reads the vector, so null scores too."""
    from pyspark.ml.regression import DecisionTreeRegressor
    from pyspark.sql import functions as F

    est = DecisionTreeRegressor(labelCol="const", maxDepth=4, varianceCol="variance",
                                leafCol="leaf")
    train = _vector_train(spark).withColumn("const", F.lit(2.5))
    return Case(est, train, _vector_test(spark, null=True))


@case("tree_dt_regressor_paths")
def tree_dt_regressor_paths(spark):
    """Depth 1, depth 0 with varied labels, variance only (empty predictionCol), and a stage
    with every output column empty (Spark's transform is then a no-op)."""
    from pyspark.ml import Pipeline
    from pyspark.ml.regression import DecisionTreeRegressor

    stages = [
        DecisionTreeRegressor(labelCol="y", maxDepth=1, predictionCol="d1", varianceCol="v1",
                              leafCol="l1"),
        DecisionTreeRegressor(labelCol="y", maxDepth=0, predictionCol="d0", varianceCol="v0"),
        DecisionTreeRegressor(labelCol="y", maxDepth=3, predictionCol="", varianceCol="v3"),
        DecisionTreeRegressor(labelCol="y", maxDepth=2, predictionCol=""),
    ]
    return Case(Pipeline(stages=stages), _vector_train(spark), _vector_test(spark),
                bad=_vector_bad(spark))


@case("tree_dt_regressor_categorical_meta")
def tree_dt_regressor_categorical_meta(spark):
    from pyspark.ml.regression import DecisionTreeRegressor

    est = DecisionTreeRegressor(labelCol="y", maxDepth=4, weightCol="w", varianceCol="v")
    return _single(est, spark, categorical={2: 5, 3: 12})


# ---- RandomForest ----------------------------------------------------------------------------
@case("tree_rf_classifier_200")
def tree_rf_classifier_200(spark):
    """200 trees (the issue's size), binary, sqrt feature subsets, categorical via VectorIndexer."""
    from pyspark.ml.classification import RandomForestClassifier

    est = RandomForestClassifier(numTrees=200, maxDepth=3, featureSubsetStrategy="sqrt",
                                 leafCol="leaves", seed=7)
    return _pipeline(_vi_stages(), est, spark)


@case("tree_rf_classifier_multiclass")
def tree_rf_classifier_multiclass(spark):
    """Multiclass with thresholds; full outputs and the prediction-only path."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import RandomForestClassifier

    common = dict(labelCol="multi", numTrees=30, maxDepth=4, featureSubsetStrategy="onethird",
                  subsamplingRate=0.7, seed=5)
    stages = [
        *_si_stages(),
        _t(RandomForestClassifier(**common), [0.3, 0.45, 0.25]),
        _t(RandomForestClassifier(rawPredictionCol="", probabilityCol="", predictionCol="p_only",
                                  **common), [0.5, 0.2, 0.3]),
        RandomForestClassifier(rawPredictionCol="", probabilityCol="prob2",
                               predictionCol="p_prob", **common),
    ]
    return Case(Pipeline(stages=stages), _train(spark), _test(spark))


@case("tree_rf_regressor")
def tree_rf_regressor(spark):
    from pyspark.ml.regression import RandomForestRegressor

    est = RandomForestRegressor(labelCol="y", numTrees=40, maxDepth=4, featureSubsetStrategy="0.5",
                                leafCol="leaves", seed=13)
    return _pipeline(_vi_stages(), est, spark)


@case("tree_rf_regressor_single_stage")
def tree_rf_regressor_single_stage(spark):
    from pyspark.ml.regression import RandomForestRegressor

    est = RandomForestRegressor(labelCol="y", numTrees=12, maxDepth=3, featureSubsetStrategy="2",
                                bootstrap=False, seed=2)
    return _single(est, spark, categorical={2: 5})


# ---- GBT -------------------------------------------------------------------------------------
@case("tree_gbt_classifier_100")
def tree_gbt_classifier_100(spark):
    """100 trees of depth 5 (the issue's size), categorical via VectorIndexer, leaf indices."""
    from pyspark.ml.classification import GBTClassifier

    est = GBTClassifier(maxIter=100, maxDepth=5, stepSize=0.1, subsamplingRate=0.8,
                        leafCol="leaves", seed=17)
    return _pipeline(_vi_stages(), est, spark)


@case("tree_gbt_onehot_pipeline")
def tree_gbt_onehot_pipeline(spark):
    """The benchmark pipeline (benchmarks/compare_onnx.py): Imputer + StringIndexer +
    OneHotEncoder + VectorAssembler + GBT of 100 trees of depth 5; the one-hot slots are binary
    attributes, which Spark's trees split on as 2-category features."""
    from pyspark.ml.classification import GBTClassifier
    from pyspark.ml.feature import Imputer, OneHotEncoder, StringIndexer, VectorAssembler

    stages = [
        Imputer(inputCols=["x0", "x1"], outputCols=["x0_imp", "x1_imp"], strategy="mean"),
        StringIndexer(inputCol="color", outputCol="color_idx", handleInvalid="keep"),
        OneHotEncoder(inputCols=["color_idx"], outputCols=["color_vec"], handleInvalid="keep"),
        VectorAssembler(inputCols=["x0_imp", "x1_imp", "x2", "color_vec"], outputCol="features",
                        handleInvalid="keep"),
    ]
    est = GBTClassifier(maxIter=100, maxDepth=5, stepSize=0.1, subsamplingRate=0.8, seed=23)
    return _pipeline(stages, est, spark)


@case("tree_gbt_classifier_paths")
def tree_gbt_classifier_paths(spark):
    """Each prediction path: raw argmax, thresholds over probability, margin > 0 (predict)."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import GBTClassifier

    def gbt(raw: str, prob: str, pred: str, thresholds=None, **kw):
        est = GBTClassifier(predictionCol=pred, maxIter=12, maxDepth=2, stepSize=0.3, seed=1, **kw)
        est = est.setRawPredictionCol(raw).setProbabilityCol(prob)  # not __init__ kwargs
        return est if thresholds is None else _t(est, thresholds)

    stages = [
        gbt("g_raw", "g_prob", "g_pred", featureSubsetStrategy="sqrt"),
        gbt("", "t_prob", "t_pred", [0.3, 0.7]),
        gbt("", "", "m_pred"),
        gbt("", "", "mt_pred", [0.6, 0.4]),
        gbt("r_raw", "", "rt_pred", [0.45, 0.55]),
    ]
    return Case(Pipeline(stages=stages), _vector_train(spark, {2: 5}), _vector_test(spark, {2: 5}),
                bad=_vector_bad(spark))


@case("tree_gbt_regressor")
def tree_gbt_regressor(spark):
    from pyspark.ml.regression import GBTRegressor

    est = GBTRegressor(labelCol="y", maxIter=50, maxDepth=3, stepSize=0.3, lossType="absolute",
                       leafCol="leaves", seed=19)
    return _pipeline(_si_stages(), est, spark)


@case("tree_gbt_regressor_single_stage")
def tree_gbt_regressor_single_stage(spark):
    from pyspark.ml.regression import GBTRegressor

    est = GBTRegressor(labelCol="y", maxIter=20, maxDepth=4, featureSubsetStrategy="sqrt", seed=23)
    return _single(est, spark, categorical={3: 12})
