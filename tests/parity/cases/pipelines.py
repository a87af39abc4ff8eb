"""Parity cases for whole pipelines: the demo model that README, examples/ and benchmarks/ use."""

from __future__ import annotations

from tests.parity.cases import Case, case

CITIES = ("paris", "london", "berlin", "madrid", "rome")


def fraud_rows(n: int = 200) -> list[tuple[float, float, str, float]]:
    """Deterministic fraud-like toy rows (amount, age, city, label); no RNG, so every Spark
    version and every run trains on exactly the same data."""
    rows = []
    for i in range(n):
        amount = round(5.0 + (i * 37 % 101) * 9.7 + (i % 7) * 0.35, 2)
        age = float(18 + (i * 13 % 53))
        city = CITIES[(i * 7 + i // 11) % len(CITIES)]
        risk = amount / 1000.0 - (age - 18.0) / 80.0 + (0.35 if city in ("berlin", "rome") else 0.0)
        noise = ((i * 2654435761) % 97) / 97.0 - 0.5  # label noise keeps the classes overlapping
        rows.append((amount, age, city, 1.0 if risk + 0.6 * noise > 0.3 else 0.0))
    return rows


SCHEMA = "amount double, age double, city string, label double"


@case("demo_lr_pipeline")
def demo_lr_pipeline(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import OneHotEncoder, StandardScaler, StringIndexer, VectorAssembler

    train = spark.createDataFrame(fraud_rows(), SCHEMA)
    test = spark.createDataFrame(
        [
            (12.5, 34.0, "paris", 0.0),
            (980.0, 19.0, "berlin", 1.0),
            (450.25, 51.0, "london", 0.0),
            (77.0, 70.0, "madrid", 0.0),
            (610.0, 23.0, "rome", 1.0),
            (0.0, 18.0, "paris", 0.0),
            (15000.0, 45.0, "rome", 1.0),  # far outside the training range
            (300.0, 40.0, "tokyo", 0.0),  # unseen city -> StringIndexer keep bucket
            (300.0, 40.0, "", 0.0),  # empty string: just another unseen label
            (300.0, 40.0, None, 0.0),  # null city: handleInvalid="keep" buckets it too
            (-25.0, 30.0, "madrid", 0.0),  # negative amount (a refund)
        ],
        SCHEMA,
    )
    bad = spark.createDataFrame(
        [(None, 30.0, "paris", 0.0), (100.0, float("nan"), "paris", 0.0)], SCHEMA
    )
    stages = [
        VectorAssembler(inputCols=["amount", "age"], outputCol="numeric"),
        StandardScaler(inputCol="numeric", outputCol="scaled", withMean=True, withStd=True),
        StringIndexer(inputCol="city", outputCol="city_idx", handleInvalid="keep"),
        OneHotEncoder(inputCol="city_idx", outputCol="city_vec"),
        VectorAssembler(inputCols=["scaled", "city_vec"], outputCol="features"),
        LogisticRegression(featuresCol="features", labelCol="label", maxIter=100, regParam=0.01),
    ]
    return Case(Pipeline(stages=stages), train, test, bad=bad)
