"""Parity cases for ALS (factor lookup, cold start nan/drop) and the LSH models (MinHash,
BucketedRandomProjection: arrays of hash vectors)."""

from __future__ import annotations

from tests.parity.cases import Case, case

NAN = float("nan")


def _ratings(spark):
    rows = [(u, i, float((u * 3 + i * 5) % 7) + 0.5 * (i % 2))
            for u in range(8) for i in range(10) if (u + 2 * i) % 3]
    return spark.createDataFrame(rows, ["user", "item", "rating"])


def _schema():
    from pyspark.sql.types import IntegerType, StructField, StructType

    return StructType([StructField("user", IntegerType()), StructField("item", IntegerType())])


def _pairs(spark):
    """Known pairs, an unknown user, an unknown item, both unknown."""
    rows = [(0, 1), (3, 4), (7, 9), (5, 0), (2, 2), (42, 3), (1, 77), (99, 98)]
    return spark.createDataFrame(rows, _schema())


def _null_user(spark):
    """checkIntegers: "user Ids MUST NOT be Null" (whatever the coldStartStrategy)."""
    return spark.createDataFrame([(None, 4), (3, None)], _schema())


@case("als_nan")
def als_nan(spark):
    from pyspark.ml.recommendation import ALS

    als = ALS(rank=4, maxIter=5, regParam=0.1, seed=1, userCol="user", itemCol="item",
              ratingCol="rating")
    return Case(als, _ratings(spark), _pairs(spark), bad=_null_user(spark))


@case("als_drop_implicit")
def als_drop_implicit(spark):
    from pyspark.ml.recommendation import ALS

    als = ALS(rank=3, maxIter=4, regParam=0.05, seed=2, userCol="user", itemCol="item",
              ratingCol="rating", implicitPrefs=True, coldStartStrategy="drop"
              ).setPredictionCol("score")
    return Case(als, _ratings(spark), _pairs(spark), bad=_null_user(spark))


def _sets(spark, width: int = 12):
    from pyspark.ml.linalg import Vectors

    rows = []
    for i in range(16):
        idx = sorted({i % width, (i * 5 + 1) % width, (i * 7 + 3) % width})
        rows.append((Vectors.sparse(width, idx, [1.0] * len(idx)),))
    return spark.createDataFrame(rows, ["keys"])


def _set_test(spark, width: int = 12):
    from pyspark.ml.linalg import Vectors

    rows = [Vectors.sparse(width, [0, 5, 11], [1.0, 1.0, 1.0]), Vectors.sparse(width, [3], [2.0]),
            Vectors.dense([0.0, 1.0] + [0.0] * (width - 3) + [4.0]),
            Vectors.sparse(width, [1, 2, 7], [1.0, -1.0, NAN]),
            Vectors.dense([1.0] * width)]
    return spark.createDataFrame([(v,) for v in rows], ["keys"])


def _bad_keys(spark, width: int = 12):
    """A null vector and an all-zero vector (MinHash needs a non-zero entry)."""
    from pyspark.ml.linalg import VectorUDT, Vectors
    from pyspark.sql.types import StructField, StructType

    rows = [(None,), (Vectors.sparse(width, [], []),)]
    return spark.createDataFrame(rows, StructType([StructField("keys", VectorUDT())]))


@case("minhash_lsh")
def minhash_lsh(spark):
    from pyspark.ml.feature import MinHashLSH

    lsh = MinHashLSH(inputCol="keys", outputCol="hashes", numHashTables=4, seed=5)
    return Case(lsh, _sets(spark), _set_test(spark), bad=_bad_keys(spark))


@case("bucketed_random_projection_lsh")
def bucketed_random_projection_lsh(spark):
    from pyspark.ml.feature import BucketedRandomProjectionLSH
    from pyspark.ml.linalg import Vectors

    lsh = BucketedRandomProjectionLSH(inputCol="keys", outputCol="hashes", bucketLength=0.75,
                                      numHashTables=3, seed=6)
    zero = spark.createDataFrame([(Vectors.sparse(12, [], []),)], ["keys"])
    return Case(lsh, _sets(spark), _set_test(spark).union(zero),
                bad=_bad_keys(spark).limit(1))
