"""Parity cases for OneVsRest and the model-selection wrappers (CrossValidator,
TrainValidationSplit): pipelines inside them and them inside pipelines."""

from __future__ import annotations

from tests.parity.cases import Case, case
from tests.parity.cases.classification import _bad, _test, _three_labels, _train

NAN = float("nan")


def _table(spark, n: int = 40):
    """Columns a, b, c and a 3-class label, for assembled pipelines."""
    from tests.parity.cases.classification import _real_rows

    rows = [(*x, _three_labels(x, i), 2.0 * x[0] - x[1] + 0.1 * (i % 5))
            for i, x in enumerate(_real_rows(n, 3))]
    return spark.createDataFrame(rows, ["a", "b", "c", "label", "y"])


def _table_test(spark):
    from tests.parity.cases.classification import _real_rows

    rows = [tuple(x) for x in _real_rows(6, 3, start=50)]
    rows += [(NAN, 0.5, 0.25), (0.0, 0.0, 0.0), (30.0, -30.0, 1.0)]
    return spark.createDataFrame(rows, ["a", "b", "c"])


@case("one_vs_rest_lr")
def one_vs_rest_lr(spark):
    from pyspark.ml.classification import LogisticRegression, OneVsRest

    ovr = OneVsRest(classifier=LogisticRegression(maxIter=20, regParam=0.01))
    return Case(ovr, _train(spark, _three_labels), _test(spark), bad=_bad(spark))


@case("one_vs_rest_pipeline")
def one_vs_rest_pipeline(spark):
    """Assembled features (NaN kept) into a tree OvR with its own prediction column."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import DecisionTreeClassifier, OneVsRest
    from pyspark.ml.feature import VectorAssembler

    stages = [
        VectorAssembler(inputCols=["a", "b", "c"], outputCol="features", handleInvalid="keep"),
        OneVsRest(classifier=DecisionTreeClassifier(maxDepth=3), predictionCol="p2"),
    ]
    return Case(Pipeline(stages=stages), _table(spark), _table_test(spark))


@case("cross_validator_pipeline")
def cross_validator_pipeline(spark):
    """A CrossValidatorModel whose best model is a pipeline."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.evaluation import MulticlassClassificationEvaluator
    from pyspark.ml.feature import StandardScaler, VectorAssembler
    from pyspark.ml.tuning import CrossValidator, ParamGridBuilder

    lr = LogisticRegression(featuresCol="scaled", maxIter=10)
    pipe = Pipeline(stages=[
        VectorAssembler(inputCols=["a", "b", "c"], outputCol="features", handleInvalid="keep"),
        StandardScaler(inputCol="features", outputCol="scaled"), lr])
    grid = ParamGridBuilder().addGrid(lr.regParam, [0.01, 0.5]).build()
    cv = CrossValidator(estimator=pipe, estimatorParamMaps=grid, numFolds=2, seed=1,
                        evaluator=MulticlassClassificationEvaluator())
    return Case(cv, _table(spark), _table_test(spark))


@case("train_validation_split_in_pipeline")
def train_validation_split_in_pipeline(spark):
    """A TrainValidationSplitModel as a pipeline stage, after the assembler."""
    from pyspark.ml import Pipeline
    from pyspark.ml.evaluation import RegressionEvaluator
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.regression import LinearRegression
    from pyspark.ml.tuning import ParamGridBuilder, TrainValidationSplit

    lin = LinearRegression(labelCol="y", maxIter=10)
    grid = ParamGridBuilder().addGrid(lin.regParam, [0.0, 1.0]).build()
    tvs = TrainValidationSplit(estimator=lin, estimatorParamMaps=grid, trainRatio=0.75, seed=2,
                               evaluator=RegressionEvaluator(labelCol="y"))
    stages = [VectorAssembler(inputCols=["a", "b", "c"], outputCol="features",
                              handleInvalid="keep"), tvs]
    return Case(Pipeline(stages=stages), _table(spark), _table_test(spark))

