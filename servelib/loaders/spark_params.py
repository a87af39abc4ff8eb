"""The JSON type (and, for shared params, the range) of every common Spark ML param, checked
for each supported ``org.apache.spark.ml`` stage.

Spark's ``DefaultParamsReader.getAndSetParams`` decodes every param of ``paramMap`` and
``defaultParamMap`` with the param's own ``jsonDecode`` when it loads a stage, so a model whose
``maxIter`` is ``"abc"`` fails to load in Spark even though scoring never reads ``maxIter``.
We refuse the same models by name: the table below holds the types of the params Spark's shared
traits and the supported stages declare (sharedParams.scala, treeParams.scala, and each stage's
own); a name not in it is left to the loader that reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from servelib.loaders.params import BadValue, as_bool, as_double, as_int, as_list, as_string

_STRING = (
    "featuresCol labelCol predictionCol rawPredictionCol probabilityCol varianceCol inputCol "
    "outputCol weightCol handleInvalid solver loss impurity featureSubsetStrategy lossType "
    "leafCol family link linkPredictionCol offsetCol modelType strategy stringOrderType "
    "validationIndicatorCol distanceMeasure quantilesCol censorCol initMode targetType "
    "selectorType featureType labelType selectionMode coldStartStrategy userCol itemCol ratingCol "
    "intermediateStorageLevel finalStorageLevel foldCol"
)
_BOOL = (
    "fitIntercept standardization withMean withStd withCentering withScaling dropLast inverse "
    "cacheNodeIds bootstrap collectSubModels pruneTree isotonic fitLinear implicitPrefs "
    "nonnegative"
)
_INT = (
    "maxIter maxDepth maxBins minInstancesPerNode maxMemoryInMB checkpointInterval numTrees "
    "aggregationDepth degree size maxCategories blockSize seed k featureIndex factorSize "
    "initSteps numHashTables numTopFeatures rank numUserBlocks numItemBlocks numFolds parallelism"
)
_DOUBLE = (
    "regParam elasticNetParam tol threshold stepSize minInfoGain subsamplingRate "
    "minWeightFractionPerNode validationTol p min max missingValue smoothing epsilon "
    "variancePower linkPower lower upper relativeError maxBlockSizeInMB miniBatchFraction "
    "initStd minDivisibleClusterSize percentile fpr fdr fwe varianceThreshold "
    "selectionThreshold bucketLength alpha trainRatio"
)
_STRINGS = "inputCols outputCols labels stageUids names"
_DOUBLES = "thresholds splits quantileProbabilities"
_INTS = "indices layers"
_DOUBLES2 = "splitsArray"


# ParamValidators of shared and tree params, the same for every class that declares them
# (sharedParams.scala, treeParams.scala): ParamPair runs them when the reader sets the param.
_RANGES: dict[str, Callable[[Any], Any]] = {
    "maxIter": lambda v: as_int(v, 0),
    "regParam": lambda v: as_double(v, lo=0.0),
    "elasticNetParam": lambda v: as_double(v, lo=0.0, hi=1.0),
    "tol": lambda v: as_double(v, lo=0.0),
    "maxDepth": lambda v: as_int(v, 0, 30),
    "maxBins": lambda v: as_int(v, 2),
    "minInstancesPerNode": lambda v: as_int(v, 1),
    "minInfoGain": lambda v: as_double(v, lo=0.0),
    "maxMemoryInMB": lambda v: as_int(v, 0),
    "numTrees": lambda v: as_int(v, 1),
    "aggregationDepth": lambda v: as_int(v, 2),
    "subsamplingRate": lambda v: _open_closed(as_double(v)),
    "stepSize": lambda v: _positive(as_double(v)),  # HasStepSize: gt(0); GBT: see below
    "checkpointInterval": lambda v: v if as_int(v) == -1 or v >= 1 else _bad_interval(v),
}


# GBTParams override stepSize with inRange(0, 1, lowerInclusive = false)
_GBT = frozenset({"org.apache.spark.ml.classification.GBTClassificationModel",
                  "org.apache.spark.ml.regression.GBTRegressionModel"})


def _positive(value: float) -> float:
    if not value > 0.0:
        raise BadValue(f"{value} must be > 0")
    return value


def _open_closed(value: float) -> float:
    if not 0.0 < value <= 1.0:
        raise BadValue(f"{value} is outside (0, 1]")
    return value


def _bad_interval(value: int) -> int:
    raise BadValue(f"{value} must be -1 or >= 1")


def _list_of(check: Callable[[Any], Any], limit: int) -> Callable[[Any], None]:
    def convert(value: Any) -> None:
        for i, item in enumerate(as_list(value, limit)):
            try:
                check(item)
            except BadValue as exc:
                raise BadValue(f"entry {i}: {exc}") from None
    return convert


def checks(limit: int, spark_class: str = "") -> dict[str, Callable[[Any], Any]]:
    """Param name -> a function raising BadValue when the JSON value of a ``spark_class``
    param has the wrong type or range."""
    table: dict[str, Callable[[Any], Any]] = {}
    for names, check in (
        (_STRING, as_string), (_BOOL, as_bool), (_INT, as_int), (_DOUBLE, as_double),
        (_STRINGS, _list_of(as_string, limit)), (_DOUBLES, _list_of(as_double, limit)),
        (_INTS, _list_of(as_int, limit)),
        (_DOUBLES2, _list_of(_list_of(as_double, limit), limit)),
    ):
        table.update(dict.fromkeys(names.split(), check))
    table.update(_RANGES)
    if spark_class in _GBT:
        table["stepSize"] = lambda v: _open_closed(as_double(v))
    return table


def check_spark_params(values: Mapping[str, Any], table: Mapping[str, Callable[[Any], Any]]
                       ) -> tuple[str, str] | None:
    """The first (param, problem) whose value Spark could not decode, or None."""
    for name, value in values.items():
        check = table.get(name)
        if check is None:
            continue
        try:
            check(value)
        except BadValue as exc:
            return name, str(exc)
    return None
