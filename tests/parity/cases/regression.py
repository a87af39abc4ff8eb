"""Parity cases for linear regressors: LinearRegression and GeneralizedLinearRegression.

Training data is tiny and deterministic; training is kept short (parity compares scoring, not fit
quality). Test rows cover dense and sparse vectors, NaN, a zero vector, and a spread of large
positive and negative multiples of one direction so every link function reaches its clamps and
tails (e.g. probit far into the lower tail, log links overflowing to infinity).
"""

from __future__ import annotations

from tests.parity.cases import Case, case

_NAN = float("nan")
_STEPS = (-300.0, -100.0, -30.0, -10.0, -6.0, -3.0, -1.0, 1.0, 3.0, 6.0, 10.0, 30.0, 100.0, 300.0)


def _schema(spec: str):
    """A StructType from "name type, ..." where type ``vector`` is Spark's VectorUDT."""
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql.types import DoubleType, IntegerType, StructField, StructType

    types = {"vector": VectorUDT, "double": DoubleType, "int": IntegerType}
    fields = [f.split() for f in spec.split(",")]
    return StructType([StructField(name, types[kind]()) for name, kind in fields])


def _vec(values):
    from pyspark.ml.linalg import Vectors

    return Vectors.dense(values)


def _train_rows(kind: str):
    """(label, features, offset) rows; ``kind`` picks labels valid for the family."""
    from pyspark.ml.linalg import Vectors

    rows = []
    for i in range(14):
        x = [float(i % 3), (i * 7 % 5) / 2.0, 1.0 + i / 4.0]
        noise = ((i * 5) % 4) * 0.15
        if kind == "binary":
            label = float((i * 3 + (i % 3)) % 5 < 2)
        elif kind == "counts":
            label = float((i * 7) % 5 + i % 3)
        else:  # positive reals
            label = 0.5 + 0.3 * x[0] + 0.2 * x[1] + 0.1 * x[2] + noise
        feats = _vec(x)
        if i % 4 == 1:  # some training rows sparse too
            feats = Vectors.sparse(3, [j for j in range(3) if x[j] != 0],
                                   [v for v in x if v != 0])
        offset = 0.1 * (i % 3) - 0.05
        rows.append((label, feats, offset))
    return rows


def _test_rows():
    from pyspark.ml.linalg import Vectors

    rows = [
        _vec([1.0, 0.5, 2.0]),
        _vec([0.0, 2.0, 1.5]),
        _vec([2.0, 1.0, 3.5]),
        Vectors.sparse(3, [0, 2], [1.0, 2.5]),
        Vectors.sparse(3, [1], [1.5]),
        Vectors.sparse(3, [], []),
        _vec([0.0, 0.0, 0.0]),
        _vec([_NAN, 1.0, 1.0]),
        _vec([1e300, 1e300, 1e300]),
        _vec([-1e300, 1.0, 1.0]),
    ]
    rows += [_vec([t, 0.5 * t, -0.25 * t]) for t in _STEPS]
    rows += [_vec([0.1 * t, -0.1 * t, 0.05 * t]) for t in _STEPS]
    return rows


def _train_df(spark, kind: str, offset_type: str = "double"):
    rows = _train_rows(kind)
    if offset_type == "int":
        rows = [(label, feats, int(round(off * 20))) for label, feats, off in rows]
    return spark.createDataFrame(rows, _schema(f"label double, features vector, off {offset_type}"))


def _test_df(spark, offset_type: str = "double", with_offset: bool = False):
    """``with_offset``: add a row a GLR with offsetCol scores to null (null offset and vector).

    (Spark also gives null for a wrong-size vector with a null offset; servelib holds one vector
    size per batch column, so such a row is only scored alone.)"""
    offsets = [0.25, None, -0.5, _NAN, 0.0, 1.0]
    rows = []
    for i, feats in enumerate(_test_rows()):
        off = offsets[i % len(offsets)]
        if offset_type == "int":
            off = None if off is None else (0 if off != off else int(off * 4))
        rows.append((feats, off))
    if with_offset:
        rows.append((None, None))
    return spark.createDataFrame(rows, _schema(f"features vector, off {offset_type}"))


def _bad_df(spark, offset_type: str = "double"):
    """Rows Spark's transform fails on: a null vector, vectors of the wrong size."""
    from pyspark.ml.linalg import Vectors

    one = 1 if offset_type == "int" else 1.0
    rows = [(None, one), (_vec([1.0, 2.0]), one), (Vectors.sparse(4, [3], [1.0]), one)]
    return spark.createDataFrame(rows, _schema(f"features vector, off {offset_type}"))


# ---- LinearRegression ------------------------------------------------------------------------


def _lr(**params):
    from pyspark.ml.regression import LinearRegression

    return LinearRegression(maxIter=20, **params)


@case("linreg_default")
def linreg_default(spark):
    return Case(_lr(), _train_df(spark, "positive"), _test_df(spark), bad=_bad_df(spark))


@case("linreg_no_intercept")
def linreg_no_intercept(spark):
    return Case(_lr(fitIntercept=False, regParam=0.1), _train_df(spark, "positive"),
                _test_df(spark), bad=_bad_df(spark))


@case("linreg_elastic_net")
def linreg_elastic_net(spark):
    # 14 features, 8 of them constant 0 (coefficient 0 whatever the fit): Spark's compressed
    # coefficients are then a sparse vector, and BLAS.dot skips a NaN feature where no
    # coefficient is stored
    def widen(vec, i):
        noise = [((i * 3) % 7) / 7.0, ((i * 5) % 11) / 11.0, float(i % 2)]
        return _vec(list(vec.toArray()) + noise + [0.0] * 8)

    train = [(label, widen(f, i), off) for i, (label, f, off) in enumerate(_train_rows("positive"))]
    train_df = spark.createDataFrame(train, _schema("label double, features vector, off double"))
    test = [widen(f, i) for i, f in enumerate(_test_rows())]
    test += [_vec([1.0, 2.0, 3.0, 0.5, 0.5, 1.0] + [_NAN] * 8), _vec([_NAN] * 14)]
    test_df = spark.createDataFrame([(f,) for f in test], _schema("features vector"))
    stage = _lr(regParam=0.05, elasticNetParam=0.8, predictionCol="yhat")
    return Case(stage, train_df, test_df, bad=_bad_df(spark))


@case("linreg_huber")
def linreg_huber(spark):
    stage = _lr(loss="huber", epsilon=1.5, regParam=0.01)
    return Case(stage, _train_df(spark, "positive"), _test_df(spark), bad=_bad_df(spark))


@case("linreg_sparse_normal_solver")
def linreg_sparse_normal_solver(spark):
    from pyspark.ml.linalg import Vectors

    rows = [(float(i % 4) + 0.5 * i,
             Vectors.sparse(6, {i % 6: 1.0 + i, (i + 2) % 6: -0.5 * i - 0.25})) for i in range(12)]
    train = spark.createDataFrame(rows, _schema("label double, features vector"))
    test = spark.createDataFrame(
        [(Vectors.sparse(6, [0, 5], [1.0, 2.0]),), (Vectors.sparse(6, [], []),),
         (_vec([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),), (Vectors.sparse(6, [3], [_NAN]),),
         (_vec([1e-3, -2e5, 0.0, 7.0, 0.0, 1e5]),)],
        _schema("features vector"),
    )
    bad = spark.createDataFrame([(None,), (_vec([1.0, 2.0, 3.0]),)], _schema("features vector"))
    return Case(_lr(solver="normal", regParam=0.05), train, test, bad=bad)


# ---- GeneralizedLinearRegression -------------------------------------------------------------


def _glr(**params):
    from pyspark.ml.regression import GeneralizedLinearRegression

    return GeneralizedLinearRegression(maxIter=5, **params)


def _glr_case(spark, kind: str, **params):
    return Case(_glr(**params), _train_df(spark, kind), _test_df(spark), bad=_bad_df(spark))


_FAMILY_LINKS = {
    "gaussian": ("positive", ("identity", "log", "inverse")),
    "binomial": ("binary", ("logit", "probit", "cloglog")),
    "poisson": ("counts", ("log", "identity", "sqrt")),
    "gamma": ("positive", ("inverse", "identity", "log")),
}


def _register_family_links() -> None:
    for family, (kind, links) in _FAMILY_LINKS.items():
        for link in links:
            def make(spark, family=family, kind=kind, link=link):
                return _glr_case(spark, kind, family=family, link=link)

            case(f"glr_{family}_{link}")(make)


_register_family_links()


@case("glr_gamma_default_link")
def glr_gamma_default_link(spark):
    return _glr_case(spark, "positive", family="gamma")  # link unset: the family default


@case("glr_tweedie_log")
def glr_tweedie_log(spark):
    return _glr_case(spark, "counts", family="tweedie", variancePower=1.5, linkPower=0.0)


@case("glr_tweedie_default_link")
def glr_tweedie_default_link(spark):
    # linkPower unset: Power(1 - variancePower) = Power(-0.2)
    return _glr_case(spark, "positive", family="tweedie", variancePower=1.2)


@case("glr_tweedie_sqrt_link")
def glr_tweedie_sqrt_link(spark):
    return _glr_case(spark, "positive", family="tweedie", variancePower=2.5, linkPower=0.5)


@case("glr_tweedie_power_link")
def glr_tweedie_power_link(spark):
    return _glr_case(spark, "positive", family="tweedie", variancePower=3.0, linkPower=0.3)


@case("glr_tweedie_gaussian_power")
def glr_tweedie_gaussian_power(spark):
    # variancePower 0 makes Spark use its Gaussian family object (Gaussian's clamping)
    return _glr_case(spark, "positive", family="tweedie", variancePower=0.0, linkPower=1.0)


@case("glr_poisson_offset")
def glr_poisson_offset(spark):
    stage = _glr(family="poisson", link="log", offsetCol="off")
    return Case(stage, _train_df(spark, "counts"), _test_df(spark, with_offset=True),
                bad=_bad_df(spark))


@case("glr_gamma_offset_link_prediction")
def glr_gamma_offset_link_prediction(spark):
    # an integer offset column (Spark casts it to double) and the linear predictor output
    stage = _glr(family="gamma", link="log", offsetCol="off", linkPredictionCol="eta",
                 fitIntercept=False, regParam=0.01)
    test = _test_df(spark, "int", with_offset=True)
    return Case(stage, _train_df(spark, "positive", "int"), test, bad=_bad_df(spark, "int"))


@case("glr_binomial_link_prediction")
def glr_binomial_link_prediction(spark):
    stage = _glr(family="binomial", link="probit", linkPredictionCol="eta", predictionCol="p")
    return Case(stage, _train_df(spark, "binary"), _test_df(spark), bad=_bad_df(spark))


@case("regression_pipeline")
def regression_pipeline(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.regression import GeneralizedLinearRegression, LinearRegression

    stages = [
        LinearRegression(maxIter=10, predictionCol="lr", regParam=0.05),
        # no prediction column, only the linear predictor
        GeneralizedLinearRegression(family="poisson", maxIter=5, predictionCol="",
                                    linkPredictionCol="eta", offsetCol="off"),
        GeneralizedLinearRegression(family="tweedie", variancePower=1.6, linkPower=0.0,
                                    maxIter=5, predictionCol="tw"),
    ]
    return Case(Pipeline(stages=stages), _train_df(spark, "counts"), _test_df(spark),
                bad=_bad_df(spark))
