"""Loaders for OneVsRestModel and the model-selection wrappers.

OneVsRestModel (OneVsRest.scala's writer, Spark 3.x and 4.x): metadata carries ``numClasses``
(top-level JSON), each binary model is saved under ``model_<i>`` and the unfitted classifier
under ``classifier`` (not needed to score). CrossValidatorModel / TrainValidationSplitModel
(ValidatorParams.saveImpl, or PySpark's Python writer for Python-only estimators: the same
layout): the fitted best model under ``bestModel``; estimator, evaluator and sub-models beside
it are not needed to score. PySpark's Python writers (a Python-only child, e.g. xgboost.spark's
models) save the same layout under the Python class name (pyspark.ml.classification /
pyspark.ml.tuning), loaded here as the Python* subclasses.

Spark source: https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/classification/OneVsRest.scala
and ml/tuning/ValidatorParams.scala.
"""

from __future__ import annotations

from servelib.loaders.context import StageContext
from servelib.transformers.classification.common import ClassificationModel
from servelib.transformers.classification.one_vs_rest import OneVsRestModel, PythonOneVsRestModel
from servelib.transformers.tree.xgboost import SparkXGBClassifierModel
from servelib.transformers.tuning import (
    CrossValidatorModel,
    PythonCrossValidatorModel,
    PythonTrainValidationSplitModel,
    TrainValidationSplitModel,
    ValidatorModel,
)


def _python_written(ctx: StageContext) -> bool:
    return ctx.meta.spark_class.startswith("pyspark.")


def load_one_vs_rest(ctx: StageContext) -> OneVsRestModel:
    count = ctx.extra.integer("numClasses", lo=1, hi=ctx.limits.max_stages)
    raw_col = ctx.params.string("rawPredictionCol", "rawPrediction")
    models = []
    for i in range(count):
        path = ctx.mfs.join(ctx.path, f"model_{i}")
        if not ctx.mfs.is_dir(path):
            raise ctx.error(f"numClasses={count} but there is no model_{i}/ directory")
        model = ctx.load_stage(path)
        binary = isinstance(model, (ClassificationModel, SparkXGBClassifierModel))
        if not binary or not model.raw_prediction_col:
            raise ctx.error(f"model_{i} ({model.spark_class}) is not a classifier with a "
                            "rawPrediction column, which OneVsRest reads", path)
        if model.raw_prediction_col != raw_col:
            raise ctx.error(f"model_{i} writes rawPrediction to {model.raw_prediction_col!r} but "
                            "PySpark's OneVsRestModel.transform reads its own rawPredictionCol "
                            f"{raw_col!r} and fails", path)
        models.append(model)
    cls = PythonOneVsRestModel if _python_written(ctx) else OneVsRestModel
    return cls(
        ctx.uid,
        features_col=ctx.params.string("featuresCol", "features"),
        prediction_col=ctx.params.string("predictionCol", "prediction"),
        raw_prediction_col=raw_col,
        models=tuple(models),
        spark4=ctx.meta.version >= (4, 0),
        info=ctx.info(num_classes=count, classifier=models[0].spark_class),
    )


def _validator(ctx: StageContext, cls: type[ValidatorModel]) -> ValidatorModel:
    path = ctx.mfs.join(ctx.path, "bestModel")
    if not ctx.mfs.is_dir(path):
        raise ctx.error("no bestModel/ directory")
    best = ctx.load_stage(path)
    return cls(ctx.uid, best=best, info=ctx.info(best_model=best.spark_class))


def load_cross_validator(ctx: StageContext) -> ValidatorModel:
    return _validator(ctx, PythonCrossValidatorModel if _python_written(ctx)
                      else CrossValidatorModel)


def load_train_validation_split(ctx: StageContext) -> ValidatorModel:
    return _validator(ctx, PythonTrainValidationSplitModel if _python_written(ctx)
                      else TrainValidationSplitModel)
