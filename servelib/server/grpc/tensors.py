"""Open Inference Protocol tensors <-> rows of feature values.

An input tensor is one pipeline input column: shape ``[batch]`` or ``[batch, 1]`` for a scalar
column, ``[batch, n]`` for a vector column (sent as dense FP64 rows). Elements come either from
the typed ``contents`` field matching the datatype or from ``raw_input_contents`` (what
tritonclient sends: little-endian, row-major, BYTES elements each behind a 4-byte length).
Outputs go back the same way: vectors as ``[batch, n]`` FP64, strings as BYTES, numbers as
FP64/INT64, booleans as BOOL. Tensors cannot hold a null: a null output fails the request rather
than turning into a made-up number.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from servelib.errors import InvalidInput
from servelib.server.grpc.gen import grpc_service_pb2 as pb
from servelib.vectors import DenseVector, SparseVector

# datatype -> (struct code for raw little-endian contents, typed contents field, Python type)
DATATYPES: dict[str, tuple[str, str, type]] = {
    "BOOL": ("?", "bool_contents", bool),
    "INT8": ("b", "int_contents", int),
    "INT16": ("h", "int_contents", int),
    "INT32": ("i", "int_contents", int),
    "INT64": ("q", "int64_contents", int),
    "UINT8": ("B", "uint_contents", int),
    "UINT16": ("H", "uint_contents", int),
    "UINT32": ("I", "uint_contents", int),
    "UINT64": ("Q", "uint64_contents", int),
    "FP32": ("f", "fp32_contents", float),
    "FP64": ("d", "fp64_contents", float),
    "BYTES": ("", "bytes_contents", str),
}
_SIZES = {code: struct.calcsize("<" + code) for code, _, _ in DATATYPES.values() if code}


def _bytes_elements(raw: bytes, name: str) -> list[bytes]:
    out, pos = [], 0
    while pos < len(raw):
        if pos + 4 > len(raw):
            raise InvalidInput("raw BYTES contents end inside a length prefix", column=name)
        (n,) = struct.unpack_from("<I", raw, pos)
        pos += 4
        if pos + n > len(raw):
            raise InvalidInput("raw BYTES element runs past the end of the contents", column=name)
        out.append(raw[pos:pos + n])
        pos += n
    return out


def tensor_elements(tensor: Any, raw: bytes | None) -> list[Any]:
    """The flat element list of one input tensor as Python values."""
    name = tensor.name
    try:
        code, field, kind = DATATYPES[tensor.datatype]
    except KeyError:
        raise InvalidInput(f"datatype {tensor.datatype!r} is not supported (use one of "
                           f"{', '.join(DATATYPES)})", column=name) from None
    if raw is None:
        items: Any = getattr(tensor.contents, field)
    elif kind is str:
        items = _bytes_elements(raw, name)
    else:
        count, rest = divmod(len(raw), _SIZES[code])
        if rest:
            raise InvalidInput(f"raw contents of {len(raw)} bytes is not a whole number of "
                               f"{tensor.datatype} elements", column=name)
        items = struct.unpack(f"<{count}{code}", raw)
    if kind is str:
        try:
            return [b.decode("utf-8") for b in items]
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"BYTES element is not UTF-8: {exc}", column=name) from exc
    return [float(x) for x in items] if code == "f" and raw is None else list(items)


def rows_from_tensors(request: pb.ModelInferRequest, vector_inputs: set[str]
                      ) -> list[dict[str, Any]]:
    """One feature dict per row; ``vector_inputs`` names the columns the model reads as vectors
    (a ``[batch, 1]`` tensor is a scalar column unless the model declares a vector there)."""
    raws = request.raw_input_contents
    if raws and len(raws) != len(request.inputs):
        raise InvalidInput(f"{len(raws)} raw_input_contents for {len(request.inputs)} inputs")
    if not request.inputs:
        raise InvalidInput(f"model {request.model_name!r}: the request has no input tensors")
    batch: int | None = None
    columns: dict[str, list[Any]] = {}
    for i, tensor in enumerate(request.inputs):
        name, shape = tensor.name, list(tensor.shape)
        if not 1 <= len(shape) <= 2 or min(shape) < 0:
            raise InvalidInput(f"shape {shape} must be [batch] or [batch, n]", column=name)
        if batch is None:
            batch = shape[0]
        elif shape[0] != batch:
            raise InvalidInput(f"batch size {shape[0]} differs from the first input's {batch}",
                               column=name)
        items = tensor_elements(tensor, raws[i] if raws else None)
        width = shape[1] if len(shape) == 2 else 1
        if len(items) != batch * width:
            raise InvalidInput(f"{len(items)} elements do not fill shape {shape}", column=name)
        if len(shape) == 2 and (width != 1 or name in vector_inputs):
            columns[name] = [DenseVector(items[r * width:(r + 1) * width]) for r in range(batch)]
        else:
            columns[name] = items
    if batch == 1:  # the common online case
        return [{name: values[0] for name, values in columns.items()}]
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _output_kind(name: str, values: Sequence[Any]) -> str:
    for i, v in enumerate(values):
        if v is None:
            raise InvalidInput(f"output is null for row {i}; OIP tensors cannot carry nulls "
                               "(servelib.v1 Predict can)", column=name)
    first = values[0]
    if isinstance(first, (DenseVector, SparseVector)):
        return "VECTOR"
    if isinstance(first, str):
        return "BYTES"
    if isinstance(first, (bool, np.bool_)):
        return "BOOL"
    if isinstance(first, (int, np.integer)):
        return "INT64"
    return "FP64"


def add_output(response: pb.ModelInferResponse, name: str, values: Sequence[Any], raw: bool
               ) -> None:
    """Append one output tensor holding ``values`` (one per row)."""
    kind = _output_kind(name, values)
    tensor = response.outputs.add(name=name)
    if kind == "VECTOR":
        arrays = [v.toArray() for v in values]
        if len({a.shape[0] for a in arrays}) > 1:
            raise InvalidInput("vector sizes differ between rows; OIP tensors need one size",
                               column=name)
        tensor.datatype = "FP64"
        tensor.shape.extend((len(arrays), arrays[0].shape[0]))
        if raw:
            response.raw_output_contents.append(
                b"".join(a.astype("<f8", copy=False).tobytes() for a in arrays))
        else:
            for a in arrays:
                tensor.contents.fp64_contents.extend(a.tolist())
        return
    tensor.datatype = kind
    tensor.shape.append(len(values))
    if kind == "BYTES":
        encoded = [v.encode("utf-8") for v in values]
        if raw:
            response.raw_output_contents.append(
                b"".join(struct.pack("<I", len(b)) + b for b in encoded))
        else:
            tensor.contents.bytes_contents.extend(encoded)
        return
    code, field, cast = DATATYPES[kind]
    plain = [cast(v) for v in values]  # NumPy scalars to Python
    if raw:
        response.raw_output_contents.append(struct.pack(f"<{len(plain)}{code}", *plain))
    else:
        getattr(tensor.contents, field).extend(plain)
