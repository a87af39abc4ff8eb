"""Parity cases for LogisticRegression, LinearSVC and NaiveBayes (features built with Vectors)."""

from __future__ import annotations

from tests.parity.cases import Case, case

NAN = float("nan")


def _real_rows(n: int = 32, width: int = 3, start: int = 0) -> list[list[float]]:
    """Deterministic real features in roughly [-1, 1]."""
    return [
        [((((i + start) * (7 + 2 * j) + 3 * j) % (11 + 2 * j)) / (5.5 + j) - 1.0)
         for j in range(width)]
        for i in range(n)
    ]


def _binary_label(x: list[float], i: int) -> float:
    noise = ((i * 37) % 17) / 17.0 - 0.5
    return 1.0 if x[0] + 0.5 * x[1] - 0.3 * x[-1] + noise > 0 else 0.0


def _three_labels(x: list[float], i: int) -> float:
    s = x[0] - 0.7 * x[1] + ((i * 13) % 7) / 7.0 - 0.5
    return 0.0 if s < -0.4 else (1.0 if s < 0.5 else 2.0)


def _train(spark, label=_binary_label, width: int = 3, n: int = 32):
    from pyspark.ml.linalg import Vectors

    rows = [(Vectors.dense(x), label(x, i)) for i, x in enumerate(_real_rows(n, width))]
    return spark.createDataFrame(rows, ["features", "label"])


def _test(spark, width: int = 3, nan: bool = True):
    """Dense and sparse rows (one with a NaN) of the training width, unseen points included."""
    from pyspark.ml.linalg import Vectors

    rows = [(Vectors.dense(x),) for x in _real_rows(6, width, start=100)]
    rows.append((Vectors.sparse(width, [0], [0.75]),))
    rows.append((Vectors.sparse(width, [], []),))
    rows.append((Vectors.sparse(width, [1, width - 1], [-2.5, 3.0]),))
    rows.append((Vectors.dense([40.0] + [0.0] * (width - 1)),))  # saturates the sigmoid
    if nan:
        rows.append((Vectors.dense([NAN] + [0.5] * (width - 1)),))
    return spark.createDataFrame(rows, ["features"])


def _bad(spark, width: int = 3, extra=()):
    """Rows Spark's transform fails on: a null vector, a vector of the wrong size, extras."""
    from pyspark.ml.linalg import VectorUDT, Vectors
    from pyspark.sql.types import StructField, StructType

    rows = [(None,), (Vectors.dense([1.0] * (width + 1)),), *[(v,) for v in extra]]
    return spark.createDataFrame(rows, StructType([StructField("features", VectorUDT())]))


# ---- LogisticRegression ---------------------------------------------------------------------
@case("lr_binomial")
def lr_binomial(spark):
    from pyspark.ml.classification import LogisticRegression

    return Case(LogisticRegression(regParam=0.01), _train(spark), _test(spark), bad=_bad(spark))


@case("lr_binomial_no_intercept")
def lr_binomial_no_intercept(spark):
    from pyspark.ml.classification import LogisticRegression

    lr = LogisticRegression(regParam=0.02, fitIntercept=False)
    return Case(lr, _train(spark), _test(spark), bad=_bad(spark))


@case("lr_binomial_thresholds_pipeline")
def lr_binomial_thresholds_pipeline(spark):
    """Each of Spark's three binomial prediction paths, and `thresholds` on a binomial model."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression

    stages = [
        LogisticRegression(threshold=0.3),  # from rawPrediction: m > log(t / (1 - t))
        LogisticRegression(threshold=0.7, rawPredictionCol="", probabilityCol="p2",
                           predictionCol="pred2"),  # from probability: p1 > t
        LogisticRegression(threshold=0.6, rawPredictionCol="", probabilityCol="",
                           predictionCol="pred3"),  # predict(features): sigmoid(m) > t
        LogisticRegression(thresholds=[0.6, 0.4], rawPredictionCol="raw4", probabilityCol="",
                           predictionCol="pred4"),
        LogisticRegression(threshold=0.0, rawPredictionCol="raw5", probabilityCol="p5",
                           predictionCol="pred5"),
        LogisticRegression(threshold=1.0, rawPredictionCol="raw6", probabilityCol="p6",
                           predictionCol="pred6"),
    ]
    return Case(Pipeline(stages=stages), _train(spark), _test(spark))


@case("lr_binomial_elastic_net")
def lr_binomial_elastic_net(spark):
    """L1 zeroes most of 20 features, so Spark stores the coefficients as a sparse (CSR) matrix:
    a NaN facing an unstored coefficient is ignored, one facing a stored coefficient is not."""
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.linalg import Vectors

    lr = LogisticRegression(regParam=0.1, elasticNetParam=1.0)
    nan_rows = [[0.5, 0.1] + [0.0] * 18 for _ in range(3)]
    nan_rows[0][10] = NAN
    nan_rows[1][15] = NAN
    nan_rows[2][0] = NAN
    test = _test(spark, width=20).union(
        spark.createDataFrame([(Vectors.dense(r),) for r in nan_rows], ["features"])
    )
    return Case(lr, _train(spark, width=20), test, bad=_bad(spark, width=20))


def _four_labels(x: list[float], i: int) -> float:
    s = x[0] - 0.7 * x[1] + ((i * 13) % 7) / 7.0 - 0.5
    return 0.0 if s < -0.6 else (1.0 if s < 0.0 else (2.0 if s < 0.6 else 3.0))


@case("lr_multinomial_sparse_csc")
def lr_multinomial_sparse_csc(spark):
    """Strong L1 with 4 classes and 3 features: Spark stores a column-major sparse matrix, whose
    gemv adds each product onto the intercepts in turn."""
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.linalg import Vectors

    lr = LogisticRegression(family="multinomial", regParam=0.2, elasticNetParam=1.0)
    test = _test(spark).union(spark.createDataFrame(
        [(Vectors.dense([0.3, NAN, 0.2]),), (Vectors.dense([-0.3, 0.5, NAN]),)], ["features"]))
    return Case(lr, _train(spark, _four_labels), test, bad=_bad(spark))


@case("lr_multinomial_thresholds")
def lr_multinomial_thresholds(spark):
    from pyspark.ml.classification import LogisticRegression

    lr = LogisticRegression(family="multinomial", regParam=0.01, thresholds=[0.5, 0.2, 0.3])
    return Case(lr, _train(spark, _three_labels), _test(spark), bad=_bad(spark))


@case("lr_multinomial_pipeline")
def lr_multinomial_pipeline(spark):
    """Multinomial without thresholds, without probability column, and with 2 classes."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression

    stages = [
        LogisticRegression(family="multinomial", maxIter=20),
        LogisticRegression(family="multinomial", probabilityCol="", rawPredictionCol="raw2",
                           predictionCol="pred2", thresholds=[0.2, 0.0, 0.5], fitIntercept=False),
        LogisticRegression(family="multinomial", regParam=0.1, elasticNetParam=1.0,
                           rawPredictionCol="raw3", probabilityCol="p3", predictionCol="pred3"),
    ]
    return Case(Pipeline(stages=stages), _train(spark, _three_labels), _test(spark))


@case("lr_multinomial_two_classes")
def lr_multinomial_two_classes(spark):
    from pyspark.ml.classification import LogisticRegression

    lr = LogisticRegression(family="multinomial", regParam=0.05, rawPredictionCol="")
    return Case(lr, _train(spark), _test(spark))


@case("lr_sparse_features")
def lr_sparse_features(spark):
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.linalg import Vectors

    rows = []
    for i in range(36):
        idx = sorted({i % 12, (i * 5 + 1) % 12, (i * 7 + 3) % 12})
        vals = [((i + k) % 5) / 2.0 - 0.5 for k in idx]
        score = sum(v for k, v in zip(idx, vals) if k < 6) + ((i * 3) % 7 - 3) / 6
        label = 1.0 if score > 0.3 else 0.0
        rows.append((Vectors.sparse(12, idx, vals), label))
    train = spark.createDataFrame(rows, ["features", "label"])
    test = spark.createDataFrame(
        [(Vectors.sparse(12, [0, 5, 11], [1.0, -0.5, 2.0]),), (Vectors.sparse(12, [], []),),
         (Vectors.sparse(12, [3], [NAN]),), (Vectors.dense([0.25 * k for k in range(12)]),),
         *[(v,) for v, _ in rows[:6]]],
        ["features"],
    )
    return Case(LogisticRegression(regParam=0.02), train, test, bad=_bad(spark, width=12))


# ---- LinearSVC ------------------------------------------------------------------------------
@case("linear_svc")
def linear_svc(spark):
    from pyspark.ml.classification import LinearSVC

    return Case(LinearSVC(regParam=0.01), _train(spark), _test(spark), bad=_bad(spark))


@case("linear_svc_pipeline")
def linear_svc_pipeline(spark):
    """No intercept with a threshold; and predict(features) when rawPrediction is not produced."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LinearSVC

    stages = [
        LinearSVC(fitIntercept=False, threshold=0.25, regParam=0.05),
        LinearSVC(threshold=-0.5, rawPredictionCol="", predictionCol="pred2", maxIter=30),
    ]
    return Case(Pipeline(stages=stages), _train(spark), _test(spark))


# ---- NaiveBayes ----------------------------------------------------------------------------
def _counts(spark, labels: int = 3, n: int = 30):
    from pyspark.ml.linalg import Vectors

    rows = []
    for i in range(n):
        c = i % labels
        x = [float((i * (j + 3) + c * (j + 1)) % (4 + j + 2 * c)) for j in range(4)]
        vec = Vectors.dense(x) if i % 3 else Vectors.sparse(4, {j: v for j, v in enumerate(x) if v})
        rows.append((vec, float(c)))
    return spark.createDataFrame(rows, ["features", "label"])


def _count_test(spark):
    from pyspark.ml.linalg import Vectors

    rows = [Vectors.dense([0.0, 1.0, 2.0, 3.0]), Vectors.dense([7.0, 0.0, 0.0, 1.0]),
            Vectors.sparse(4, [2], [5.0]), Vectors.sparse(4, [], []),
            Vectors.dense([0.5, 0.25, 10.0, 0.0]), Vectors.dense([30.0, 1.0, 0.0, 2.0])]
    return spark.createDataFrame([(v,) for v in rows], ["features"])


@case("nb_multinomial")
def nb_multinomial(spark):
    from pyspark.ml.classification import NaiveBayes
    from pyspark.ml.linalg import Vectors

    bad = _bad(spark, width=4, extra=[Vectors.dense([1.0, -1.0, 0.0, 2.0]),
                                      Vectors.sparse(4, [3], [NAN])])
    return Case(NaiveBayes(smoothing=0.5), _counts(spark), _count_test(spark), bad=bad)


@case("nb_multinomial_thresholds_pipeline")
def nb_multinomial_thresholds_pipeline(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import NaiveBayes

    stages = [
        NaiveBayes(thresholds=[0.3, 0.5, 0.2]),
        NaiveBayes(thresholds=[0.5, 0.0, 1.0], rawPredictionCol="", probabilityCol="p2",
                   predictionCol="pred2"),
        NaiveBayes(rawPredictionCol="", probabilityCol="", predictionCol="pred3", smoothing=2.0),
    ]
    return Case(Pipeline(stages=stages), _counts(spark), _count_test(spark))


@case("nb_complement")
def nb_complement(spark):
    from pyspark.ml.classification import NaiveBayes
    from pyspark.ml.linalg import Vectors

    bad = _bad(spark, width=4, extra=[Vectors.dense([-0.5, 1.0, 0.0, 2.0])])
    return Case(NaiveBayes(modelType="complement"), _counts(spark), _count_test(spark), bad=bad)


@case("nb_bernoulli")
def nb_bernoulli(spark):
    from pyspark.ml.classification import NaiveBayes
    from pyspark.ml.linalg import Vectors

    rows = []
    for i in range(32):
        c = float(i % 2)
        x = [float(((i * (j + 2) + int(c) * j) % 3) == 0) for j in range(5)]
        rows.append((Vectors.dense(x), c))
    train = spark.createDataFrame(rows, ["features", "label"])
    test = spark.createDataFrame(
        [(Vectors.dense([1.0, 0.0, 1.0, 1.0, 0.0]),), (Vectors.sparse(5, [4], [1.0]),),
         (Vectors.sparse(5, [], []),), (Vectors.dense([1.0] * 5),)], ["features"])
    bad = _bad(spark, width=5, extra=[Vectors.dense([1.0, 2.0, 0.0, 0.0, 1.0]),
                                      Vectors.sparse(5, [0], [-1.0]),
                                      Vectors.dense([NAN] + [0.0] * 4)])
    return Case(NaiveBayes(modelType="bernoulli", smoothing=0.7), train, test, bad=bad)


@case("nb_gaussian")
def nb_gaussian(spark):
    from pyspark.ml.classification import NaiveBayes
    from pyspark.ml.linalg import Vectors

    nb = NaiveBayes(modelType="gaussian", thresholds=[0.4, 0.35, 0.25])
    far = spark.createDataFrame([(Vectors.dense([-3.0, 4.0, -1.5]),)], ["features"])
    test = _test(spark).union(far)
    # Spark reads only the first numFeatures entries here: a longer vector scores, a shorter fails
    bad = _bad(spark, width=1)
    return Case(nb, _train(spark, _three_labels), test, bad=bad)
