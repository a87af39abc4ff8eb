"""Parity cases for the pipeline machinery itself: nesting and single-stage saves."""

from __future__ import annotations

from tests.parity.cases import Case, case


@case("nested_pipeline")
def nested_pipeline(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import Binarizer

    df = spark.createDataFrame([(0.2,), (0.7,), (None,), (float("nan"),)], "x double")
    inner = Pipeline(stages=[Binarizer(inputCol="x", outputCol="b1", threshold=0.5)])
    outer = Pipeline(stages=[inner, Binarizer(inputCol="b1", outputCol="b2", threshold=0.0)])
    return Case(outer, df, df)
