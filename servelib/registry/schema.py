"""Typed input and output columns of a loaded model, for metadata (OIP TensorSpecs) and checks.

Inputs: the serving spec's Spark types when it declares them, else what the first stage reading
the column accepts (the table `servelib inspect` prints): strings for a StringIndexer, numbers
otherwise, vectors where only a vector will do. Outputs: vectors (columns with a vector attribute
group, sized when Spark recorded the size), strings from IndexToString, doubles otherwise.
"""

from __future__ import annotations

from typing import Any

from servelib.describe import describe, flatten
from servelib.registry.loaded import LoadedModel
from servelib.transformers.attributes import AttributeGroup

Tensor = tuple[str, str, tuple[int, ...]]  # name, OIP datatype, shape

_SPARK_TO_OIP = {"string": "BYTES", "double": "FP64", "float": "FP64", "long": "INT64",
                 "integer": "INT32", "short": "INT32", "byte": "INT32", "boolean": "BOOL"}
_SCALAR, _VECTOR = (-1,), (-1, -1)


def _inferred(kind: str) -> tuple[str, tuple[int, ...]]:
    if kind.startswith("string"):
        return "BYTES", _SCALAR
    if kind == "vector":
        return "FP64", _VECTOR
    return "FP64", _SCALAR


def input_tensors(model: LoadedModel) -> list[Tensor]:
    pipeline = model.main
    described = {d["name"]: d["type"] for d in describe(pipeline, model.path)["inputs"]}
    out: list[Tensor] = []
    for column in pipeline.input_columns():
        declared = model.spec.inputs.get(column)
        if declared == "vector":  # a request's vectors carry their own size
            out.append((column, "FP64", _VECTOR))
        elif declared is not None:
            out.append((column, _SPARK_TO_OIP[declared], _SCALAR))
        else:
            out.append((column, *_inferred(described.get(column, "unknown"))))
    part = model.spec.partitioning
    if part is not None and part.field not in {t[0] for t in out}:
        out.append((part.field, "BYTES", _SCALAR))
    return out


def output_tensors(model: LoadedModel, columns: tuple[str, ...]) -> list[Tensor]:
    pipeline = model.main
    attrs = pipeline.output_attributes({})
    inputs = {t[0]: t for t in input_tensors(model)}
    strings = {c for _, s in flatten(pipeline) if s.spark_class.endswith(".IndexToString")
               for c in s.output_columns()}
    out: list[Tensor] = []
    for column in columns:
        attr = attrs.get(column)
        if column in inputs and column not in attrs:
            out.append(inputs[column])
        elif isinstance(attr, AttributeGroup):
            out.append((column, "FP64", (-1, attr.size or -1)))
        else:
            out.append((column, "BYTES" if column in strings else "FP64", _SCALAR))
    return out


def model_record(model: LoadedModel) -> dict[str, Any]:
    """The model record (servelib/record.py: what `servelib inspect` prints, with the feature
    report and the spec's record section as ``deployment``), plus how this version is served."""
    from servelib.record import model_record as build

    record = build(model.main, model.path, model.spec.record)
    record["serving"] = {"record": dict(model.spec.record),
                         "partitions": sorted(k for k in model.pipelines if k),
                         "memory_bytes": model.memory_bytes}
    return record
