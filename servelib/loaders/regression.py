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
from servelib.loaders.parquet import vector_parts
from servelib.transformers.regression.generalized_linear_regression import (
    GeneralizedLinearRegressionModel,
    Link,
    Projection,
)
from servelib.transformers.regression.linear_regression import (
    LinearPredictor,
    LinearRegressionModel,
)

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
    data = ctx.data_fields()
    for name in columns:  # Spark selects these columns: each must be there
        data.get(name)
    dense, stored = data.read("coefficients",
                              lambda v: vector_parts(v, ctx.limits.max_vector_size))
    return LinearPredictor.of(dense, data.double("intercept"), stored)


def _optional_col(ctx: StageContext, name: str) -> str:
    """A column param that may be unset; Spark treats unset and "" alike."""
    return ctx.params.string(name, "")


def load_linear_regression(ctx: StageContext) -> LinearRegressionModel:
    no_scale_layout = ctx.meta.version <= (2, 2)  # Spark <= 2.2 saved no "scale" column
    columns = ("intercept", "coefficients") if no_scale_layout else (
        "intercept", "coefficients", "scale")
    predictor = _predictor(ctx, columns)
    return LinearRegressionModel(
        ctx.uid,
        features_col=ctx.params.string("featuresCol", "features"),
        prediction_col=ctx.params.string("predictionCol", "prediction"),
        predictor=predictor,
        info=ctx.info(num_features=predictor.size, loss=ctx.params.string("loss", "squaredError"),
                      sparse_coefficients=predictor.active is not None),
    )


def _family_and_link(ctx: StageContext) -> tuple[str, Projection, Link, float]:
    """Spark's FamilyAndLink.apply: (family, its projection, link, link power)."""
    family = ctx.params.string("family", "gaussian").lower()
    if family == "tweedie":
        variance_power = ctx.params.double("variancePower", 0.0)
        family_obj = _TWEEDIE_AS.get(variance_power, "tweedie")
        if ctx.meta.is_set("linkPower"):
            power = ctx.params.double("linkPower")
        elif family_obj != "tweedie":
            return family, _projection(family_obj), _DEFAULT_LINK[family_obj], 1.0
        else:
            power = 1.0 - variance_power  # Tweedie.defaultLink = Power(1 - variancePower)
        return family, _projection(family_obj), _POWER_LINKS.get(power, Link.POWER), power
    if family not in _DEFAULT_LINK:
        raise ctx.param_error(f"unknown GLR family {family!r:.80}")
    if not ctx.meta.is_set("link"):
        return family, _projection(family), _DEFAULT_LINK[family], 1.0
    name = ctx.params.string("link").lower()
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
        features_col=ctx.params.string("featuresCol", "features"),
        prediction_col=ctx.params.string("predictionCol", "prediction"),
        link_prediction_col=_optional_col(ctx, "linkPredictionCol"),
        offset_col=_optional_col(ctx, "offsetCol") if ctx.meta.is_set("offsetCol") else "",
        link=link,
        link_power=power,
        projection=projection,
        predictor=predictor,
        info=ctx.info(num_features=predictor.size, family=family, link=link.value,
                      link_power=power, projection=projection.value),
    )

