"""JSON values of the HTTP API, both ways.

Requests (``/v1/...:predict`` instances and OIP tensor data):
  - numbers, strings, booleans as JSON has them; ``null`` is a missing value (Spark's null);
  - NaN and infinities as the bare tokens ``NaN``, ``Infinity``, ``-Infinity`` (what Python's
    json, Jackson with ALLOW_NON_NUMERIC_NUMBERS and many others write), never as strings:
    a string stays a string, so a city called "NaN" is not a number;
  - vectors as ``{"type": "dense", "values": [...]}`` or ``{"type": "sparse", "size": n,
    "indices": [...], "values": [...]}`` (the `servelib score` JSON lines format), or a plain
    list of numbers (a dense vector).
Responses are strict JSON (RFC 8259 has no NaN): a non-finite double is written as the string
``"NaN"``, ``"Infinity"`` or ``"-Infinity"``; vectors as the objects above; null stays null.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from servelib.errors import InvalidInput
from servelib.vectors import DenseVector, SparseVector


def parse_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise InvalidInput(f"request body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise InvalidInput("request body is nested too deeply") from exc


def decode_value(value: Any, column: str) -> Any:
    if isinstance(value, Mapping):
        kind = value.get("type")
        try:
            if kind == "dense":
                return DenseVector(value["values"])
            if kind == "sparse":
                return SparseVector(value["size"], value["indices"], value["values"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"malformed {kind} vector: {exc}", column=column) from exc
        raise InvalidInput('an object value must be a vector: {"type": "dense"|"sparse", ...}',
                           column=column)
    if isinstance(value, list):
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise InvalidInput("a list value must hold only numbers (a dense vector)",
                               column=column)
        return DenseVector([float(v) for v in value])
    return value


def decode_instance(instance: Any, row: int) -> Any:
    """A row dict with vectors decoded; a non-object is passed on for the DataPlane to refuse
    in that row alone."""
    if not isinstance(instance, Mapping):
        return instance
    try:
        return {str(k): decode_value(v, str(k)) for k, v in instance.items()}
    except InvalidInput as exc:
        raise InvalidInput(exc.reason, column=exc.column, row=row) from exc


def encode_float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def encode_value(value: Any) -> Any:
    if isinstance(value, float):
        return encode_float(value)
    if isinstance(value, DenseVector):
        return {"type": "dense", "values": [encode_float(v) for v in value.tolist()]}
    if isinstance(value, SparseVector):
        return {"type": "sparse", "size": value.size, "indices": value.indices.tolist(),
                "values": [encode_float(v) for v in value.values.tolist()]}
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # a stray NumPy scalar
        return encode_value(value.item())
    return value
