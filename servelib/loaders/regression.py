"""Loaders for linear regressors: LinearRegressionModel and GeneralizedLinearRegressionModel.

Model data (one Parquet row, read by column name):
* LinearRegressionModel: ``intercept``, ``coefficients`` (VectorUDT) and, since Spark 2.3,
  ``scale`` (huber only, not used to predict). Spark's reader selects (intercept, coefficients)
  for models written by Spark <= 2.2 (``no_scale_layout``) and adds scale after that.
* GeneralizedLinearRegressionModel: ``intercept``, ``coefficients``.
Family and link resolve as Spark's ``FamilyAndLink.apply``: ``link`` (or, for tweedie,
``linkPower``) only when set explicitly, else the family's default link; tweedie with
variancePower 0, 1 or 2 *is* Spark's Gaussian, Poisson or Gamma object.
"""

from __future__ import annotations

from servelib.errors import UnsupportedStage
from servelib.loaders.context import StageContext
from servelib.loaders.parquet import field
from servelib.transformers.regression.generalized_linear_regression import (
    GeneralizedLinearRegressionModel,
    Link,
    Projection,
)
from servelib.transformers.regression.linear_regression import (
    LinearPredictor,
    LinearRegressionModel,
)
from servelib.vectors import SparseVector, vector_from_struct

_DEFAULT_LINK = {"gaussian": Link.IDENTITY, "binomial": Link.LOGIT, "poisson": Link.LOG,
                 "gamma": Link.INVERSE}
_PAIRS = {  # GeneralizedLinearRegression.supportedFamilyAndLinkPairs
    "gaussian": {Link.IDENTITY, Link.LOG, Link.INVERSE},
    "binomial": {Link.LOGIT, Link.PROBIT, Link.CLOGLOG},
    "poisson": {Link.LOG, Link.IDENTITY, Link.SQRT},
    "gamma": {Link.INVERSE, Link.IDENTITY, Link.LOG},
}
_POWER_LINKS = {0.0: Link.LOG, 1.0: Link.IDENTITY, -1.0: Link.INVERSE, 0.5: Link.SQRT}
_TWEEDIE_AS = {0.0: "gaussian", 1.0: "poisson", 2.0: "gamma"}  # Family.fromParams


def _predictor(ctx: StageContext, columns: tuple[str, ...]) -> LinearPredictor:
    row = ctx.data_row()
    path = ctx.mfs.join(ctx.path, "data")
    values = {name: field(row, name, path) for name in columns}
    vec = vector_from_struct(values["coefficients"])
    if vec is None:
        raise ctx.error("null coefficients in model data")
    stored = vec.indices if isinstance(vec, SparseVector) else None
    return LinearPredictor.of(vec.toArray(), float(values["intercept"]), stored)


def _optional_col(ctx: StageContext, name: str) -> str:
    """A column param that may be unset; Spark treats unset and "" alike."""
    return str(ctx.param(name, "") or "")


def load_linear_regression(ctx: StageContext) -> LinearRegressionModel:
    no_scale_layout = ctx.meta.version <= (2, 2)  # Spark <= 2.2 saved no "scale" column
    columns = ("intercept", "coefficients") if no_scale_layout else (
        "intercept", "coefficients", "scale")
    predictor = _predictor(ctx, columns)
    return LinearRegressionModel(
        ctx.uid,
        features_col=ctx.param("featuresCol", "features"),
        prediction_col=ctx.param("predictionCol", "prediction"),
        predictor=predictor,
        info=ctx.info(num_features=predictor.size, loss=ctx.param("loss", "squaredError"),
                      sparse_coefficients=predictor.active is not None),
    )


def _family_and_link(ctx: StageContext) -> tuple[str, Projection, Link, float]:
    """Spark's FamilyAndLink.apply: (family, its projection, link, link power)."""
    family = str(ctx.param("family", "gaussian")).lower()
    if family == "tweedie":
        variance_power = float(ctx.param("variancePower", 0.0))
        family_obj = _TWEEDIE_AS.get(variance_power, "tweedie")
        if ctx.meta.is_set("linkPower"):
            power = float(ctx.param("linkPower"))
        elif family_obj != "tweedie":
            return family, _projection(family_obj), _DEFAULT_LINK[family_obj], 1.0
        else:
            power = 1.0 - variance_power  # Tweedie.defaultLink = Power(1 - variancePower)
        return family, _projection(family_obj), _POWER_LINKS.get(power, Link.POWER), power
    if family not in _DEFAULT_LINK:
        raise ctx.error(f"unknown GLR family {family!r}")
    if not ctx.meta.is_set("link"):
        return family, _projection(family), _DEFAULT_LINK[family], 1.0
    name = str(ctx.param("link")).lower()
    try:
        link = Link(name)
    except ValueError:
        link = None
    if link is None or link is Link.POWER or link not in _PAIRS[family]:
        # Spark's transformSchema rejects the pair: every transform fails
        raise UnsupportedStage(ctx.meta.spark_class, ctx.path,
                               reason=f"family {family!r} does not support link {name!r}")
    return family, _projection(family), link, 1.0


def _projection(family: str) -> Projection:
    if family == "gaussian":
        return Projection.GAUSSIAN
    if family == "binomial":
        return Projection.BINOMIAL
    return Projection.TWEEDIE  # poisson, gamma and other tweedie powers share Tweedie.project


def load_glr(ctx: StageContext) -> GeneralizedLinearRegressionModel:
    family, projection, link, power = _family_and_link(ctx)
    predictor = _predictor(ctx, ("intercept", "coefficients"))
    return GeneralizedLinearRegressionModel(
        ctx.uid,
        features_col=ctx.param("featuresCol", "features"),
        prediction_col=ctx.param("predictionCol", "prediction"),
        link_prediction_col=_optional_col(ctx, "linkPredictionCol"),
        offset_col=_optional_col(ctx, "offsetCol") if ctx.meta.is_set("offsetCol") else "",
        link=link,
        link_power=power,
        projection=projection,
        predictor=predictor,
        info=ctx.info(num_features=predictor.size, family=family, link=link.value,
                      link_power=power, projection=projection.value),
    )

