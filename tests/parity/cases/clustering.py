"""Parity cases for KMeans (euclidean and cosine), BisectingKMeans and GaussianMixture: points
near centers, between clusters, at the origin, sparse, NaN and huge; null vectors fail."""

from __future__ import annotations

from tests.parity.cases import Case, case

NAN = float("nan")
_CENTERS = ([0.0, 0.0, 1.0], [5.0, 5.0, 0.0], [-4.0, 3.0, 2.0], [1.0, -6.0, -1.0])


def _train(spark, n: int = 40):
    from pyspark.ml.linalg import Vectors

    rows = []
    for i in range(n):
        c = _CENTERS[i % len(_CENTERS)]
        jitter = [((i * (j + 3)) % 7) / 7.0 - 0.5 for j in range(3)]
        rows.append((Vectors.dense([a + b for a, b in zip(c, jitter)]),))
    return spark.createDataFrame(rows, ["features"])


def _test(spark):
    from pyspark.ml.linalg import Vectors

    rows = [Vectors.dense(c) for c in _CENTERS]
    rows += [Vectors.dense([2.5, 2.5, 0.5]), Vectors.dense([0.1, 0.2, 0.3]),
             Vectors.dense([-2.0, -3.0, 0.5]), Vectors.dense([1e6, -1e6, 3.0]),
             Vectors.dense([1e-9, 0.0, -1e-9]),
             Vectors.sparse(3, [0], [4.0]), Vectors.sparse(3, [1, 2], [-5.0, 0.5])]
    return spark.createDataFrame([(v,) for v in rows], ["features"])


def _gmm_train(spark, k: int, per_cluster: int = 30):
    """Round clusters around the first ``k`` centers, one per mixture component: Gaussian jitter
    (sd 0.4, fixed seed) keeps every covariance well-conditioned. On fewer components than
    clusters, or lattice jitter, a component's covariance can go singular, and Spark 3.5's
    training then hung in Breeze's eigSym (LAPACK) for 15 minutes."""
    import random

    from pyspark.ml.linalg import Vectors

    rng = random.Random(7)
    rows = [(Vectors.dense([x + rng.gauss(0.0, 0.4) for x in _CENTERS[i % k]]),)
            for i in range(k * per_cluster)]
    return spark.createDataFrame(rows, ["features"])


def _zero_row(spark):
    from pyspark.ml.linalg import Vectors

    return spark.createDataFrame([(Vectors.sparse(3, [], []),)], ["features"])


def _bad(spark, extra=()):
    from pyspark.ml.linalg import VectorUDT, Vectors
    from pyspark.sql.types import StructField, StructType

    rows = [(None,), *[(Vectors.dense(v),) for v in extra]]
    return spark.createDataFrame(rows, StructType([StructField("features", VectorUDT())]))


@case("kmeans_euclidean")
def kmeans_euclidean(spark):
    from pyspark.ml.clustering import KMeans

    test = _test(spark).union(_zero_row(spark))
    bad = _bad(spark, extra=[[NAN, 1.0, 1.0]])  # fastSquaredDistance asserts norms >= 0
    return Case(KMeans(k=4, seed=1, maxIter=10), _train(spark), test, bad=bad)


@case("kmeans_cosine")
def kmeans_cosine(spark):
    from pyspark.ml.clustering import KMeans

    km = KMeans(k=3, seed=2, distanceMeasure="cosine", predictionCol="cluster", maxIter=10)
    return Case(km, _train(spark), _test(spark), bad=_bad(spark))


@case("bisecting_kmeans")
def bisecting_kmeans(spark):
    from pyspark.ml.clustering import BisectingKMeans

    test = _test(spark).union(_zero_row(spark))
    bad = _bad(spark, extra=[[NAN, 1.0, 1.0]])
    return Case(BisectingKMeans(k=4, seed=3, maxIter=10), _train(spark), test, bad=bad)


@case("bisecting_kmeans_cosine")
def bisecting_kmeans_cosine(spark):
    from pyspark.ml.clustering import BisectingKMeans

    bkm = BisectingKMeans(k=3, seed=4, distanceMeasure="cosine", minDivisibleClusterSize=2.0)
    return Case(bkm, _train(spark), _test(spark), bad=_bad(spark))


@case("gaussian_mixture")
def gaussian_mixture(spark):
    from pyspark.ml.clustering import GaussianMixture

    gmm = GaussianMixture(k=4, seed=5, maxIter=20)
    return Case(gmm, _gmm_train(spark, 4), _test(spark), bad=_bad(spark))


@case("gaussian_mixture_columns")
def gaussian_mixture_columns(spark):
    from pyspark.ml.clustering import GaussianMixture

    gmm = GaussianMixture(k=2, seed=6, maxIter=15, probabilityCol="p", predictionCol="c")
    return Case(gmm, _gmm_train(spark, 2), _test(spark))
