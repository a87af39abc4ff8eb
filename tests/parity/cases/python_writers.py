"""Parity cases for the models PySpark saves with its Python writers: OneVsRestModel,
CrossValidatorModel and TrainValidationSplitModel whose child Spark's JVM does not know (an
xgboost.spark model) are saved under their Python class names (pyspark.ml.classification.
OneVsRestModel, pyspark.ml.tuning.*), found by scripts/spark_inventory.py. The data are the
xgboost cases' dirty rows (NaN, null, +-inf, beyond float32) behind VectorAssembler(keep).
"""

from __future__ import annotations

from tests.parity.cases import Case, case
from tests.parity.cases.xgboost import _assembled, _frames


@case("one_vs_rest_xgb_pipeline")
def one_vs_rest_xgb_pipeline(spark):
    """Three classes, one binary xgboost.spark classifier per class."""
    from pyspark.ml.classification import OneVsRest
    from xgboost.spark import SparkXGBClassifier

    train, test = _frames(spark, seed=37)
    clf = SparkXGBClassifier(num_workers=1, n_estimators=8, max_depth=3)
    return Case(_assembled(OneVsRest(classifier=clf, labelCol="klass")), train, test)


@case("cross_validator_xgb_pipeline")
def cross_validator_xgb_pipeline(spark):
    """A Python-written CrossValidatorModel whose best model is an assembler + xgboost pipeline."""
    from pyspark.ml.evaluation import BinaryClassificationEvaluator
    from pyspark.ml.tuning import CrossValidator, ParamGridBuilder
    from xgboost.spark import SparkXGBClassifier

    train, test = _frames(spark, seed=41)
    clf = SparkXGBClassifier(num_workers=1, n_estimators=10, learning_rate=0.3)
    grid = ParamGridBuilder().addGrid(clf.max_depth, [2, 4]).build()
    cv = CrossValidator(estimator=_assembled(clf), estimatorParamMaps=grid, numFolds=2, seed=3,
                        evaluator=BinaryClassificationEvaluator())
    return Case(cv, train, test)


@case("train_validation_split_xgb_in_pipeline")
def train_validation_split_xgb_in_pipeline(spark):
    """A Python-written TrainValidationSplitModel as a stage of a (Python-written) pipeline."""
    from pyspark.ml.evaluation import RegressionEvaluator
    from pyspark.ml.tuning import ParamGridBuilder, TrainValidationSplit
    from xgboost.spark import SparkXGBRegressor

    train, test = _frames(spark, seed=43)
    reg = SparkXGBRegressor(num_workers=1, max_depth=3, label_col="target", min_child_weight=0.5)
    grid = ParamGridBuilder().addGrid(reg.n_estimators, [5, 15]).build()
    tvs = TrainValidationSplit(estimator=reg, estimatorParamMaps=grid, trainRatio=0.75, seed=5,
                               evaluator=RegressionEvaluator(labelCol="target"))
    return Case(_assembled(tvs), train, test)
