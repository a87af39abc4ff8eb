"""OIP tensor <-> row conversion, typed and raw, without a server."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from servelib.errors import InvalidInput
from servelib.server.grpc.gen import grpc_service_pb2 as pb
from servelib.server.grpc.tensors import add_output, rows_from_tensors
from servelib.vectors import DenseVector, SparseVector


def request(raw: bool, *tensors: tuple[str, str, list[int], list]) -> pb.ModelInferRequest:
    req = pb.ModelInferRequest(model_name="m")
    for name, datatype, shape, values in tensors:
        t = req.inputs.add(name=name, datatype=datatype, shape=shape)
        if raw:
            if datatype == "BYTES":
                req.raw_input_contents.append(
                    b"".join(struct.pack("<I", len(v)) + v for v in values))
            else:
                dtype = {"FP64": "<f8", "FP32": "<f4", "INT32": "<i4", "INT64": "<i8",
                         "BOOL": "?"}[datatype]
                req.raw_input_contents.append(np.asarray(values, dtype=dtype).tobytes())
        else:
            field = {"FP64": "fp64_contents", "FP32": "fp32_contents", "INT32": "int_contents",
                     "INT64": "int64_contents", "BOOL": "bool_contents",
                     "BYTES": "bytes_contents"}[datatype]
            getattr(t.contents, field).extend(values)
    return req


@pytest.mark.parametrize("raw", [False, True])
def test_every_type_and_vectors(raw: bool) -> None:
    req = request(raw, ("d", "FP64", [2], [1.5, 2.5]), ("f", "FP32", [2, 1], [0.5, 1.0]),
                  ("i", "INT32", [2], [3, -4]), ("l", "INT64", [2], [5, 6]),
                  ("b", "BOOL", [2], [True, False]), ("s", "BYTES", [2], [b"a", "é".encode()]),
                  ("v", "FP64", [2, 3], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
                  ("one", "FP64", [2, 1], [7.0, 8.0]))
    rows = rows_from_tensors(req, vector_inputs={"one"})
    assert rows[1] == {"d": 2.5, "f": 1.0, "i": -4, "l": 6, "b": False, "s": "é",
                       "v": DenseVector([4.0, 5.0, 6.0]), "one": DenseVector([8.0])}
    assert type(rows[0]["d"]) is float and type(rows[0]["i"]) is int


@pytest.mark.parametrize("raw", [False, True])
def test_outputs_round_trip(raw: bool) -> None:
    resp = pb.ModelInferResponse()
    add_output(resp, "p", [1.0, 0.0], raw)
    add_output(resp, "v", [DenseVector([0.25, 0.75]), SparseVector(2, [1], [1.0])], raw)
    add_output(resp, "s", ["x", "yz"], raw)
    add_output(resp, "n", [np.int64(3), 4], raw)
    add_output(resp, "b", [True, np.bool_(False)], raw)
    shapes = {o.name: (o.datatype, list(o.shape)) for o in resp.outputs}
    assert shapes == {"p": ("FP64", [2]), "v": ("FP64", [2, 2]), "s": ("BYTES", [2]),
                      "n": ("INT64", [2]), "b": ("BOOL", [2])}
    if raw:
        assert np.frombuffer(resp.raw_output_contents[1], "<f8").tolist() == [0.25, 0.75, 0, 1]
        assert resp.raw_output_contents[2] == b"\x01\x00\x00\x00x\x02\x00\x00\x00yz"
    else:
        assert list(resp.outputs[1].contents.fp64_contents) == [0.25, 0.75, 0.0, 1.0]
        assert list(resp.outputs[3].contents.int64_contents) == [3, 4]


def test_null_and_ragged_outputs_are_refused() -> None:
    with pytest.raises(InvalidInput, match="null"):
        add_output(pb.ModelInferResponse(), "p", [1.0, None], False)
    with pytest.raises(InvalidInput, match="sizes differ"):
        add_output(pb.ModelInferResponse(), "v", [DenseVector([1.0]), DenseVector([1.0, 2.0])],
                   True)


@pytest.mark.parametrize(("raw_bytes", "match"), [
    (b"\x01\x00", "length prefix"), (b"\x09\x00\x00\x00ab", "past the end"),
    (b"\x02\x00\x00\x00\xff\xfe", "UTF-8"),
])
def test_malformed_raw_bytes(raw_bytes: bytes, match: str) -> None:
    req = pb.ModelInferRequest(model_name="m", raw_input_contents=[raw_bytes])
    req.inputs.add(name="s", datatype="BYTES", shape=[1])
    with pytest.raises(InvalidInput, match=match):
        rows_from_tensors(req, set())


def test_raw_numbers_must_be_whole_elements() -> None:
    req = pb.ModelInferRequest(model_name="m", raw_input_contents=[b"\x00" * 7])
    req.inputs.add(name="d", datatype="FP64", shape=[1])
    with pytest.raises(InvalidInput, match="whole number"):
        rows_from_tensors(req, set())
