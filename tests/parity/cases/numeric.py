"""Parity cases for numeric feature transformers."""

from __future__ import annotations

from tests.parity.cases import Case, case


def _doubles(spark):
    rows = [(0.5, -1.0), (1.5, 0.0), (float("nan"), 2.0), (None, 0.25), (0.0, -0.5)]
    return spark.createDataFrame(rows, "x double, y double")


@case("binarizer_multi_column")
def binarizer_multi_column(spark):
    from pyspark.ml.feature import Binarizer

    df = _doubles(spark)
    stage = Binarizer(inputCols=["x", "y"], outputCols=["bx", "by"], thresholds=[0.5, -0.5])
    return Case(stage, None, df)


@case("binarizer_vector")
def binarizer_vector(spark):
    from pyspark.ml.feature import Binarizer
    from pyspark.ml.linalg import Vectors

    rows = [
        (Vectors.dense([0.1, 0.9, float("nan"), 0.0]),),
        (Vectors.sparse(4, [1], [2.0]),),
        (Vectors.dense([-1.0, 0.0, 0.0, 3.0]),),
    ]
    df = spark.createDataFrame(rows, ["v"])
    pos = Binarizer(inputCol="v", outputCol="pos", threshold=0.5)
    neg = Binarizer(inputCol="v", outputCol="neg", threshold=-0.5)
    from pyspark.ml import Pipeline

    return Case(Pipeline(stages=[pos, neg]), df, df)
