"""Open Inference Protocol (KServe v2) REST tensors in JSON <-> DataPlane rows.

An input tensor is one pipeline input column: shape ``[batch]`` or ``[batch, 1]`` for a scalar,
``[batch, n]`` for a vector column (dense FP64 rows); ``data`` flat or nested, row-major.
Outputs are named tensors typed as the model metadata declares: vectors ``[batch, n]`` FP64,
strings BYTES, numbers FP64. OIP has no per-row error and no null: a row error or a null output
fails the whole request with a message naming the row and the column (the /v1 route answers per
row).
https://github.com/kserve/open-inference-protocol/blob/main/specification/protocol/inference_rest.md
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from servelib.errors import InvalidInput
from servelib.server.dataplane import PredictResponse, TensorSpec
from servelib.server.http.codec import encode_float
from servelib.vectors import DenseVector, SparseVector

_KINDS = {"BOOL": bool, "BYTES": str, "FP32": float, "FP64": float, "INT8": int, "INT16": int,
          "INT32": int, "INT64": int, "UINT8": int, "UINT16": int, "UINT32": int, "UINT64": int}


def _flatten(data: Any) -> list[Any]:
    if not isinstance(data, list):
        return [data]
    out: list[Any] = []
    for item in data:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _element(value: Any, kind: type, name: str) -> Any:
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, kind):
        return value
    raise InvalidInput(f"element {value!r} is not {kind.__name__}", column=name)


def rows_from_json(body: Mapping[str, Any], vector_inputs: set[str]) -> list[dict[str, Any]]:
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise InvalidInput("an infer request needs a non-empty 'inputs' list", column="inputs")
    batch: int | None = None
    columns: dict[str, list[Any]] = {}
    for tensor in inputs:
        if not isinstance(tensor, Mapping) or not isinstance(tensor.get("name"), str):
            raise InvalidInput("each input tensor needs a 'name'", column="inputs")
        name, shape, datatype = tensor["name"], tensor.get("shape"), tensor.get("datatype")
        if datatype not in _KINDS:
            raise InvalidInput(f"datatype {datatype!r} is not one of {list(_KINDS)}", column=name)
        if not isinstance(shape, list) or not 1 <= len(shape) <= 2 \
                or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise InvalidInput(f"shape {shape!r} must be [batch] or [batch, n]", column=name)
        if batch is None:
            batch = shape[0]
        elif shape[0] != batch:
            raise InvalidInput(f"batch size {shape[0]} differs from the first input's {batch}",
                               column=name)
        kind = _KINDS[datatype]
        items = [_element(v, kind, name) for v in _flatten(tensor.get("data"))]
        width = shape[1] if len(shape) == 2 else 1
        if len(items) != shape[0] * width:
            raise InvalidInput(f"{len(items)} elements do not fill shape {shape}", column=name)
        if len(shape) == 2 and (width != 1 or name in vector_inputs):
            columns[name] = [DenseVector(items[r * width:(r + 1) * width])
                             for r in range(shape[0])]
        else:
            columns[name] = items
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def requested_outputs(body: Mapping[str, Any]) -> list[str] | None:
    outputs = body.get("outputs")
    if outputs is None:
        return None
    if not isinstance(outputs, list) or not all(
            isinstance(o, Mapping) and isinstance(o.get("name"), str) for o in outputs):
        raise InvalidInput("'outputs' must be a list of {\"name\": ...}", column="outputs")
    return [o["name"] for o in outputs]


def response_json(response: PredictResponse, specs: Sequence[TensorSpec],
                  request_id: str | None) -> dict[str, Any]:
    for r in response.results:
        if r.error is not None:
            raise r.error
    rows = [r.outputs or {} for r in response.results]
    tensors = []
    for spec in specs:
        values = [row.get(spec.name) for row in rows]
        tensors.append(_tensor(spec, values))
    out: dict[str, Any] = {"model_name": response.model, "model_version": response.version,
                           "outputs": tensors,
                           "parameters": {"prediction_ids": response.prediction_ids}}
    if request_id is not None:
        out["id"] = request_id
    return out


def _tensor(spec: TensorSpec, values: list[Any]) -> dict[str, Any]:
    for i, v in enumerate(values):
        if v is None:
            raise InvalidInput(f"output is null in row {i}; OIP tensors cannot carry nulls "
                               "(the /v1 predict route can)", column=spec.name)
    if values and isinstance(values[0], (DenseVector, SparseVector)):
        sizes = {v.size for v in values}
        if len(sizes) > 1:
            raise InvalidInput("vector sizes differ between rows; a tensor needs one size",
                               column=spec.name)
        data = [encode_float(x) for v in values for x in v.toArray().tolist()]
        return {"name": spec.name, "datatype": "FP64", "shape": [len(values), sizes.pop()],
                "data": data}
    if spec.datatype == "BYTES" or (values and isinstance(values[0], str)):
        return {"name": spec.name, "datatype": "BYTES", "shape": [len(values)],
                "data": [str(v) for v in values]}
    if values and isinstance(values[0], bool):
        return {"name": spec.name, "datatype": "BOOL", "shape": [len(values)], "data": values}
    return {"name": spec.name, "datatype": "FP64", "shape": [len(values)],
            "data": [encode_float(float(v)) for v in values]}
