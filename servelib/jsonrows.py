"""Rows as JSON: the one encoding the CLI (and any JSON transport) uses for values JSON lacks.

* Vectors: ``{"type": "dense", "values": [...]}`` or
  ``{"type": "sparse", "size": n, "indices": [...], "values": [...]}``, in both directions.
* Non-finite doubles are written as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``
  (protobuf's JSON mapping), so every output line is strict JSON that any parser accepts.
  On input those strings are read as doubles only inside a vector's ``values``; a top-level
  column value stays the string it is (a string column may hold "NaN"), so a non-finite number
  in a numeric column is given as Python's bare ``NaN`` / ``Infinity`` literals, which the reader
  also accepts.
* null is ``null`` both ways: a missing value, as Spark's null.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from servelib.errors import InvalidInput
from servelib.vectors import DenseVector, SparseVector

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def encode_float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def to_json(value: Any) -> Any:
    """A scored value as strict-JSON-ready data."""
    if isinstance(value, DenseVector):
        return {"type": "dense", "values": [encode_float(v) for v in value.values.tolist()]}
    if isinstance(value, SparseVector):
        return {"type": "sparse", "size": value.size, "indices": value.indices.tolist(),
                "values": [encode_float(v) for v in value.values.tolist()]}
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # stray NumPy scalar
        value = value.item()
    elif hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float):
        return encode_float(value)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def dumps(row: Mapping[str, Any]) -> str:
    return json.dumps({k: to_json(v) for k, v in row.items()}, allow_nan=False)


def _vector_values(values: Any) -> Any:
    if isinstance(values, list):
        return [_NON_FINITE.get(v, v) if isinstance(v, str) else v for v in values]
    return values


def from_json(value: Any) -> Any:
    """A vector object to a servelib vector; other values as they are."""
    if isinstance(value, dict) and value.get("type") in ("dense", "sparse"):
        try:
            if value["type"] == "dense":
                return DenseVector(_vector_values(value["values"]))
            return SparseVector(value["size"], value["indices"], _vector_values(value["values"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"malformed {value['type']} vector object: {exc}") from exc
    return value


def read_jsonl(path: str, stream: BinaryIO) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) for every non-blank line of a UTF-8 JSON-lines byte stream."""
    for lineno, raw in enumerate(stream, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{path} line {lineno}: not UTF-8 text ({exc.reason} at byte "
                               f"{exc.start + 1} of the line)") from exc
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path} line {lineno}: not JSON: {exc}") from exc
        if not isinstance(row, dict):
            raise InvalidInput(f"{path} line {lineno}: expected a JSON object per line")
        try:
            yield lineno, {k: from_json(v) for k, v in row.items()}
        except InvalidInput as exc:
            raise InvalidInput(f"{path} line {lineno}: {exc}") from exc
