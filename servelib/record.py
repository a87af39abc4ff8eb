"""The model record: what a model version is, from its Spark metadata and its deployment.

Michelangelo keeps, for every model version, who trained it, when, with what configuration,
features and data, its metrics and what it learned. Here the Spark side of that comes from the
saved directory (classes, Spark version, save time, uids, every param of every stage, input and
output columns with their types) plus a feature report: each tree model's feature importances
and each linear model's coefficients, by the name of the vector slot they belong to (the ML
attributes that VectorAssembler and friends attach, as Spark would propagate them). The user adds
the rest in the serving spec's ``record`` (owner, training data, metrics, notes). `servelib
inspect` prints it; the prediction service serves it (GetModelMetadata, the HTTP metadata route).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from servelib.transformers.attributes import AttributeGroup
from servelib.transformers.pipeline import PipelineModel

_LINEAR = {"LogisticRegressionModel", "LinearSVCModel", "LinearRegressionModel",
           "GeneralizedLinearRegressionModel"}


def model_record(model: PipelineModel, path: str,
                 deployment: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything `servelib inspect --json` shows (``describe``), plus the save time, typed
    outputs, the feature report and the deployment record."""
    from servelib.describe import describe

    return {
        **describe(model, path),
        "saved_at": _saved_at(path),
        "output_types": output_types(model),
        "feature_report": feature_report(model),
        "deployment": dict(deployment or {}),
    }


def deployment_record(path: str) -> dict[str, Any]:
    """The ``record`` section of a serving spec beside the Spark directory (a model repository's
    version folder: ``serving.json``), or nothing."""
    import json
    import os

    spec = os.path.join(path, "serving.json")
    if "://" in path or not os.path.isfile(spec):
        return {}
    from servelib.errors import ModelLoadError

    try:
        with open(spec, encoding="utf-8") as f:
            record = json.load(f).get("record", {})
    except (OSError, ValueError, AttributeError) as exc:
        raise ModelLoadError(f"unreadable serving spec: {exc}", spec) from exc
    return dict(record) if isinstance(record, dict) else {}


def _saved_at(path: str) -> str | None:
    """The save time Spark wrote into the top-level metadata (ms since the epoch), as ISO 8601."""
    from servelib.errors import ModelLoadError
    from servelib.loaders.fs import ModelFS
    from servelib.loaders.metadata import read_metadata

    try:
        fs, root = ModelFS.open(path)
        ms = read_metadata(fs, root).raw.get("timestamp")
    except ModelLoadError:
        return None
    if not isinstance(ms, int):
        return None
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat()


def output_types(model: PipelineModel) -> list[dict[str, str]]:
    """Each output column with its Arrow/Spark type, from scoring an empty batch."""
    import pyarrow as pa

    from servelib.errors import ServelibError
    from servelib.vectors import VECTOR_ARROW_TYPE, is_vector_struct

    described = {c["name"]: c["type"] for c in _inputs(model)}
    fields = []
    for name, kind in described.items():
        if "string" in kind:
            arrow = pa.string()
        elif kind == "vector" or kind.startswith("vector"):
            arrow = VECTOR_ARROW_TYPE
        else:
            arrow = pa.float64()
        fields.append(pa.field(name, arrow))
    try:
        schema = model.transform(pa.schema(fields).empty_table()).schema
    except ServelibError:
        return [{"name": n, "type": "unknown"} for n in model.output_columns()]
    found = {f.name: "vector" if is_vector_struct(f.type) else str(f.type) for f in schema}
    # a column a stage writes only when an optional input is there (RFormula's label)
    return [{"name": name, "type": found.get(name, "unknown (needs an optional input)")}
            for name in model.output_columns()]


def _inputs(model: PipelineModel) -> list[dict[str, Any]]:
    from servelib.describe import describe

    return describe(model, "")["inputs"]


def feature_report(model: PipelineModel) -> list[dict[str, Any]]:
    """Per model stage: feature importances (trees) or coefficients (linear), by slot name."""
    report: list[dict[str, Any]] = []
    _walk(model, {}, report)
    return report


def _walk(pipeline: PipelineModel, attrs: dict, report: list[dict[str, Any]]) -> dict:
    current = dict(attrs)
    for stage in pipeline.stages:
        if isinstance(stage, PipelineModel):
            current = _walk(stage, current, report)
            continue
        entry = _stage_report(stage, current)
        if entry is not None:
            report.append(entry)
        current.update(stage.output_attributes(current))
    return current


def _stage_report(stage: Any, attrs: Mapping[str, Any]) -> dict[str, Any] | None:
    info = stage.info or {}
    simple = stage.spark_class.rsplit(".", 1)[-1]
    column = getattr(stage, "features_col", None)
    intercepts = None
    if "feature_importances" in info:
        values, what = list(info["feature_importances"]), "feature_importances"
    elif simple in _LINEAR and _linear(stage) is not None:
        values, intercepts = _linear(stage)
        what = "coefficients"
    else:
        return None
    group = attrs.get(column) if column else None
    names = group.slot_names() if isinstance(group, AttributeGroup) else None
    width = len(values[0]) if values and isinstance(values[0], list) else len(values)
    slots = [(names[i] if names and i < len(names) and names[i] else f"{column}[{i}]")
             for i in range(width)]
    entry: dict[str, Any] = {"stage": stage.uid, "class": stage.spark_class, "column": column,
                             "kind": what}
    if values and isinstance(values[0], list):  # multinomial: one row of coefficients per class
        entry["by_slot"] = [dict(zip(slots, row)) for row in values]
    else:
        entry["by_slot"] = dict(zip(slots, values))
    if intercepts is not None:
        entry["intercepts"] = intercepts
    return entry


def _linear(stage: Any) -> tuple[list, list[float]] | None:
    """(coefficients: a list, or one list per class; intercepts) of a linear model."""
    import numpy as np

    predictor = getattr(stage, "predictor", None)  # LinearRegression, GLR
    if predictor is not None:
        dense = np.zeros(predictor.size)
        dense[predictor.active if predictor.active is not None else slice(None)] = predictor.weights
        return dense.tolist(), [predictor.intercept]
    coef = getattr(stage, "coefficients", None)  # LogisticRegression, LinearSVC
    if coef is None:
        return None
    return coef.tolist(), np.asarray(stage.intercepts).tolist()
