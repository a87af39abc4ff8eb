"""servelib.v1 ``Value`` messages <-> Python feature values (float, int, bool, str, None, vectors)."""

from __future__ import annotations

from typing import Any

import numpy as np

from servelib.errors import InvalidInput, ServelibError
from servelib.server.grpc.gen import prediction_pb2 as pb
from servelib.vectors import DenseVector, SparseVector


def from_value(value: pb.Value, column: str) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "double_value":
        return value.double_value
    if kind == "string_value":
        return value.string_value
    if kind == "int64_value":
        return value.int64_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "dense_vector":
        return DenseVector(value.dense_vector.values)
    if kind == "sparse_vector":
        v = value.sparse_vector
        try:
            return SparseVector(v.size, v.indices, v.values)
        except ValueError as exc:
            raise InvalidInput(f"malformed sparse vector: {exc}", column=column) from exc
    if kind == "null_value":
        return None
    raise InvalidInput("value has no kind set (send null_value for a null)", column=column)


def to_value(obj: Any, out: pb.Value, column: str) -> None:
    """Fill ``out`` from a scored value; exact Python types first (the common, fast case)."""
    t = type(obj)
    if t is float:
        out.double_value = obj
    elif t is str:
        out.string_value = obj
    elif t is bool:
        out.bool_value = obj
    elif t is int:
        out.int64_value = obj
    elif obj is None:
        out.null_value = pb.NULL_VALUE
    elif t is DenseVector:
        out.dense_vector.values.extend(obj.tolist())
    elif t is SparseVector:
        sparse = out.sparse_vector
        sparse.size = obj.size
        sparse.indices.extend(obj.indices.tolist())
        sparse.values.extend(obj.values.tolist())
    elif isinstance(obj, (np.floating, np.integer, np.bool_)):
        to_value(obj.item(), out, column)
    else:
        raise ServelibError(f"output column {column!r} holds a {t.__name__}, which servelib.v1 "
                            "cannot carry")
