"""Parity cases for MultilayerPerceptron, FM (classifier and regressor), IsotonicRegression and
AFTSurvivalRegression: dense, sparse, NaN and extreme rows; null and mis-sized vectors fail."""

from __future__ import annotations

from tests.parity.cases import Case, case
from tests.parity.cases.classification import _bad, _test, _three_labels, _train

NAN = float("nan")


# ---- MultilayerPerceptronClassifier ---------------------------------------------------------
@case("mlp_classifier")
def mlp_classifier(spark):
    from pyspark.ml.classification import MultilayerPerceptronClassifier

    mlp = MultilayerPerceptronClassifier(layers=[3, 5, 3], seed=7, maxIter=40)
    return Case(mlp, _train(spark, _three_labels), _test(spark), bad=_bad(spark))


@case("mlp_classifier_pipeline")
def mlp_classifier_pipeline(spark):
    """Two hidden layers, thresholds, and each prediction path (raw / probability / predict)."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import MultilayerPerceptronClassifier

    stages = [
        MultilayerPerceptronClassifier(layers=[3, 4, 3, 2], seed=3, maxIter=30
                                       ).setThresholds([0.3, 0.7]),
        MultilayerPerceptronClassifier(layers=[3, 2], seed=5, maxIter=20, rawPredictionCol="",
                                       probabilityCol="p2", predictionCol="pred2"),
        MultilayerPerceptronClassifier(layers=[3, 3, 2], seed=5, maxIter=20, rawPredictionCol="",
                                       probabilityCol="", predictionCol="pred3"),
    ]
    return Case(Pipeline(stages=stages), _train(spark), _test(spark))


# ---- FMClassifier / FMRegressor -------------------------------------------------------------
@case("fm_classifier")
def fm_classifier(spark):
    from pyspark.ml.classification import FMClassifier

    fm = FMClassifier(factorSize=3, seed=11, maxIter=30, stepSize=0.1)
    return Case(fm, _train(spark, width=4), _test(spark, width=4), bad=_bad(spark, width=4))


@case("fm_classifier_pipeline")
def fm_classifier_pipeline(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import FMClassifier

    stages = [
        FMClassifier(factorSize=2, seed=1, maxIter=20, fitIntercept=False, fitLinear=False,
                     thresholds=[0.4, 0.6]),
        FMClassifier(factorSize=2, seed=2, maxIter=20, rawPredictionCol="", probabilityCol="p2",
                     predictionCol="pred2"),
        FMClassifier(factorSize=2, seed=2, maxIter=20, rawPredictionCol="", probabilityCol="",
                     predictionCol="pred3", solver="gd"),
    ]
    return Case(Pipeline(stages=stages), _train(spark), _test(spark))


def _reg_train(spark, width: int = 3):
    from pyspark.ml.linalg import Vectors

    from tests.parity.cases.classification import _real_rows

    rows = []
    for i, x in enumerate(_real_rows(30, width)):
        y = 1.5 * x[0] - 0.5 * x[1] * x[-1] + ((i * 7) % 5) / 10.0
        rows.append((Vectors.dense(x), y))
    return spark.createDataFrame(rows, ["features", "label"])


@case("fm_regressor")
def fm_regressor(spark):
    from pyspark.ml.regression import FMRegressor

    fm = FMRegressor(factorSize=3, seed=4, maxIter=40, stepSize=0.05)
    return Case(fm, _reg_train(spark), _test(spark), bad=_bad(spark))


@case("fm_regressor_no_linear")
def fm_regressor_no_linear(spark):
    from pyspark.ml.regression import FMRegressor

    fm = FMRegressor(factorSize=2, seed=9, maxIter=20, fitIntercept=False, fitLinear=False,
                     solver="gd", predictionCol="p")
    return Case(fm, _reg_train(spark), _test(spark))


# ---- IsotonicRegression --------------------------------------------------------------------
def _iso_rows():
    return [(float(i % 7) - 2.0 + (0.5 if i % 3 == 0 else 0.0),
             ((i * 5) % 9) / 3.0 + 0.3 * (i % 7)) for i in range(28)]


@case("isotonic_vector_feature_index")
def isotonic_vector_feature_index(spark):
    """featureIndex=1 of a vector; test points inside, between, at and beyond the boundaries."""
    from pyspark.ml.linalg import Vectors
    from pyspark.ml.regression import IsotonicRegression

    train = spark.createDataFrame(
        [(Vectors.dense([9.0, x, -x]), y) for x, y in _iso_rows()], ["features", "label"])
    points = [-5.0, -2.0, -1.75, -1.5, 0.0, 0.25, 1.0, 2.5, 3.5, 4.0, 4.5, 9.0, NAN]
    rows = [(Vectors.dense([0.0, p, 1.0]),) for p in points]
    rows += [(Vectors.sparse(3, [], []),), (Vectors.sparse(3, [1], [2.75]),)]
    test = spark.createDataFrame(rows, ["features"])
    return Case(IsotonicRegression(featureIndex=1), train, test)


@case("isotonic_antitonic_double")
def isotonic_antitonic_double(spark):
    """isotonic=False on a double features column, with weights."""
    from pyspark.ml.regression import IsotonicRegression

    train = spark.createDataFrame([(x, y, 1.0 + (i % 3)) for i, (x, y) in enumerate(_iso_rows())],
                                  ["x", "label", "w"])
    points = [-9.0, -2.0, -1.5, -0.75, 0.0, 0.5, 1.5, 3.0, 4.0, 4.5, 100.0, NAN,
              float("inf"), float("-inf")]
    test = spark.createDataFrame([(p,) for p in points], ["x"])
    ir = IsotonicRegression(featuresCol="x", isotonic=False, weightCol="w", predictionCol="y")
    return Case(ir, train, test)


# ---- AFTSurvivalRegression -----------------------------------------------------------------
def _aft_train(spark):
    from pyspark.ml.linalg import Vectors

    from tests.parity.cases.classification import _real_rows

    rows = []
    for i, x in enumerate(_real_rows(30, 3)):
        t = 1.0 + abs(2.0 * x[0] + x[1]) + ((i * 3) % 5) / 4.0
        rows.append((Vectors.dense(x), t, float(i % 4 != 0)))
    return spark.createDataFrame(rows, ["features", "label", "censor"])


@case("aft_survival_quantiles")
def aft_survival_quantiles(spark):
    from pyspark.ml.regression import AFTSurvivalRegression

    aft = AFTSurvivalRegression(quantileProbabilities=[0.1, 0.5, 0.9], quantilesCol="q",
                                maxIter=50)
    return Case(aft, _aft_train(spark), _test(spark), bad=_bad(spark))


@case("aft_survival_no_intercept")
def aft_survival_no_intercept(spark):
    from pyspark.ml.regression import AFTSurvivalRegression

    aft = AFTSurvivalRegression(fitIntercept=False, maxIter=30, predictionCol="t")
    return Case(aft, _aft_train(spark), _test(spark))
