"""Parity cases for xgboost.spark models (SparkXGBClassifier / Regressor / Ranker).

xgboost.spark trains through Spark barrier mode; ``num_workers=1`` fits local[2]. Training data is
generated deterministically here (a few hundred rows, never saved); the test rows are few and dirty:
NaN, null, +-inf, values beyond float32 (inf after the cast), values below float32 (0 after the
cast, so missing when ``missing=0``), -0.0, threshold-like round values.
"""

from __future__ import annotations

import math
import random

from tests.parity.cases import Case, case

_NAN = float("nan")
_INF = float("inf")
_COLS = ["a", "b", "c", "d", "e", "f"]


def _value(rnd: random.Random, i: int, j: int) -> float | None:
    roll = rnd.random()
    if roll < 0.35:
        return 0.0  # many zeros: VectorAssembler compresses such rows to sparse vectors
    if roll < 0.42:
        return _NAN
    if roll < 0.47:
        return None
    return round(rnd.uniform(-3, 3), 2 if j % 2 else 6)


def _train_rows(n: int, seed: int) -> list[tuple]:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        x = [_value(rnd, i, j) for j in range(len(_COLS))]
        v = [0.0 if (t is None or math.isnan(t)) else t for t in x]
        score = v[0] + 0.8 * v[1] - 0.6 * v[2] * (v[3] > 0) + 0.3 * v[4] + rnd.gauss(0, 0.4)
        binary = float(score > 0.2)
        multi = float(0 if score < -0.8 else (1 if score < 0.9 else 2))
        count = float(min(int(math.exp(max(min(score, 2.0), -2.0))) + rnd.randint(0, 2), 12))
        rows.append((*x, binary, multi, score, count, i % 7, i % 5 == 0))
    return rows


_SCHEMA = ", ".join(f"{c} double" for c in _COLS) + (
    ", label double, klass double, target double, count double, qid int, is_val boolean")

_DIRTY = [
    (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    (1.5, -0.25, 2.0, 1.0, -1.0, 0.5),
    (_NAN, 0.0, 0.0, 1.0, 0.0, 0.0),
    (None, None, 0.3, -2.0, None, 1.0),
    (-0.0, 1e-50, -1e-50, 0.0, 2.5, 0.0),
    (1e39, -1e39, 0.0, 0.5, 0.0, -0.75),
    (_INF, -_INF, 1.0, _NAN, 3.0, 0.0),
    (2.999999, -3.0, 0.000001, 1.25, 0.0, 0.0),
    (-1.2, 0.7, 0.0, 0.0, 0.0, 0.0),
    (0.4, 0.0, -0.9, 0.0, 0.0, 0.0),
    (_NAN, _NAN, _NAN, _NAN, _NAN, _NAN),
    (0.1, 0.2, 0.3, 0.4, 0.5, 0.6),
]


def _frames(spark, n: int = 240, seed: int = 7):
    train = spark.createDataFrame(_train_rows(n, seed), _SCHEMA)
    test_rows = [(*x, 0.0, 0.0, 0.0, 0.0, 0, False) for x in _DIRTY] + _train_rows(12, seed + 1)
    return train, spark.createDataFrame(test_rows, _SCHEMA)


def _assembled(estimator):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import VectorAssembler

    assembler = VectorAssembler(inputCols=_COLS, outputCol="features", handleInvalid="keep")
    return Pipeline(stages=[assembler, estimator])


@case("xgb_binary_pipeline")
def xgb_binary_pipeline(spark):
    """Binary classifier behind VectorAssembler(keep): NaN/null reach the booster as missing;
    rows are dense or sparse as the assembler compresses them."""
    from xgboost.spark import SparkXGBClassifier

    train, test = _frames(spark)
    clf = SparkXGBClassifier(num_workers=1, n_estimators=30, max_depth=3, learning_rate=0.3)
    return Case(_assembled(clf), train, test)


@case("xgb_multiclass_pipeline")
def xgb_multiclass_pipeline(spark):
    """Three classes (multi:softprob): margins per class, softmax probabilities."""
    from xgboost.spark import SparkXGBClassifier

    train, test = _frames(spark, seed=11)
    clf = SparkXGBClassifier(num_workers=1, n_estimators=20, max_depth=4, label_col="klass",
                             min_child_weight=0.5)
    return Case(_assembled(clf), train, test)


@case("xgb_regressor_pipeline")
def xgb_regressor_pipeline(spark):
    from xgboost.spark import SparkXGBRegressor

    train, test = _frames(spark, seed=13)
    reg = SparkXGBRegressor(num_workers=1, n_estimators=40, max_depth=3, label_col="target",
                            min_child_weight=0.5)
    return Case(_assembled(reg), train, test)


@case("xgb_binary_large")
def xgb_binary_large(spark):
    """100 trees of depth 5 (the one-row path compiles them; batches walk NumPy arrays)."""
    from xgboost.spark import SparkXGBClassifier

    train, test = _frames(spark, n=400, seed=17)
    clf = SparkXGBClassifier(num_workers=1, n_estimators=100, max_depth=5, min_child_weight=0.2,
                             learning_rate=0.1, subsample=0.8, random_state=3)
    return Case(_assembled(clf), train, test)


@case("xgb_zero_missing_regressor")
def xgb_zero_missing_regressor(spark):
    """missing=0.0: zeros (stored, implicit in a sparse vector, or a double below float32's
    range) are missing values; NaN is missing too. Single stage on a vector column.
    The only xgboost case with rows Spark rejects, and named to run last: on Spark 3.5 a failed
    pandas UDF can break the next barrier-mode fit in the same session ("Socket is closed")."""
    from pyspark.ml.feature import VectorAssembler
    from xgboost.spark import SparkXGBRegressor

    train, test = _frames(spark, seed=19)
    assembler = VectorAssembler(inputCols=_COLS, outputCol="features", handleInvalid="keep")
    train, test = assembler.transform(train), assembler.transform(test).select("features")
    reg = SparkXGBRegressor(num_workers=1, n_estimators=25, max_depth=4, label_col="target",
                            missing=0.0, min_child_weight=0.5)
    return Case(reg, train, test, bad=_bad_vectors(spark))


@case("xgb_sparse_optim_classifier")
def xgb_sparse_optim_classifier(spark):
    """enable_sparse_data_optim (requires missing=0): the booster reads CSR rows."""
    from pyspark.ml.feature import VectorAssembler
    from xgboost.spark import SparkXGBClassifier

    train, test = _frames(spark, seed=23)
    assembler = VectorAssembler(inputCols=_COLS, outputCol="features", handleInvalid="keep")
    train, test = assembler.transform(train), assembler.transform(test).select("features")
    clf = SparkXGBClassifier(num_workers=1, n_estimators=20, max_depth=3, missing=0.0,
                             enable_sparse_data_optim=True)
    return Case(clf, train, test.union(_vectors(spark)))


def _vectors(spark):
    from pyspark.ml.linalg import Vectors

    rows = [
        (Vectors.sparse(6, [0, 2], [1.5, 0.0]),),  # a stored zero
        (Vectors.sparse(6, [], []),),
        (Vectors.dense([0.0, 1.0, 0.0, 2.0, 0.0, -1.0]),),
        (Vectors.sparse(6, [1, 5], [_NAN, 2.0]),),
    ]
    return spark.createDataFrame(rows, ["features"])


def _bad_vectors(spark):
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.sql.types import StructField, StructType

    schema = StructType([StructField("features", VectorUDT(), True)])
    return spark.createDataFrame([(None,), (Vectors.dense([1.0, 2.0]),),
                                  (Vectors.sparse(7, [0], [1.0]),)], schema)


@case("xgb_features_cols_regressor")
def xgb_features_cols_regressor(spark):
    """features_cols: numeric columns (an int column among them) cast to float32; null -> NaN."""
    from pyspark.sql import functions as F
    from xgboost.spark import SparkXGBRegressor

    train, test = _frames(spark, seed=29)
    train = train.withColumn("n", (F.col("qid") - 3).cast("int"))
    test = test.withColumn("n", F.when(F.col("a") > 0, 2).when(F.col("a") < 0, -1))
    cols = ["a", "b", "c", "n"]
    reg = SparkXGBRegressor(num_workers=1, n_estimators=20, max_depth=3, label_col="target",
                            features_col=cols, min_child_weight=0.5)
    return Case(reg, train, test.select(*cols))


@case("xgb_poisson_base_margin")
def xgb_poisson_base_margin(spark):
    """count:poisson (log-link intercept, expf output) with a base_margin_col."""
    from xgboost.spark import SparkXGBRegressor

    train, test = _frames(spark, seed=31)
    from pyspark.sql import functions as F

    train = train.withColumn("offset", F.col("qid") * 0.05)
    test = test.withColumn("offset", F.when(F.col("b") > 0, 0.25).otherwise(-0.125))
    reg = SparkXGBRegressor(num_workers=1, n_estimators=20, max_depth=3, label_col="count",
                            objective="count:poisson", base_margin_col="offset")
    return Case(_assembled(reg), train, test)


@case("xgb_early_stopping_classifier")
def xgb_early_stopping_classifier(spark):
    """Early stopping records best_iteration; predict uses rounds [0, best_iteration + 1)."""
    from xgboost.spark import SparkXGBClassifier

    train, test = _frames(spark, n=300, seed=37)
    clf = SparkXGBClassifier(num_workers=1, n_estimators=60, max_depth=4, learning_rate=0.5,
                             validation_indicator_col="is_val", early_stopping_rounds=3,
                             eval_metric="logloss", min_child_weight=0.2)
    return Case(_assembled(clf), train, test)


@case("xgb_ranker_pipeline")
def xgb_ranker_pipeline(spark):
    from xgboost.spark import SparkXGBRanker

    train, test = _frames(spark, seed=41)
    ranker = SparkXGBRanker(num_workers=1, n_estimators=15, max_depth=3, qid_col="qid",
                            label_col="klass")
    return Case(_assembled(ranker), train.orderBy("qid"), test)
