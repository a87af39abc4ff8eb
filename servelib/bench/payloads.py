"""Requests for the load generator, built once from a file of real rows and serialized up front,
so sending costs the same whatever the row: ``servelib.v1`` Predict or OIP ModelInfer (one
tensor per column, typed by the values: BYTES strings, BOOL, INT64, FP64, FP64 [1, n] vectors)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from servelib.errors import InvalidInput

PREDICT = "/servelib.v1.PredictionService/Predict"
INFER = "/inference.GRPCInferenceService/ModelInfer"


def read_rows(path: str, limit: int = 100_000) -> list[dict[str, Any]]:
    """Rows of a Parquet file/dataset or JSON-lines file (vectors as servelib vectors)."""
    from servelib import scorefile as sf

    if sf.file_format(path, "input") == "parquet":
        _, tables = sf.parquet_batches(path, 4096)
        rows = []
        for table in tables:
            rows.extend(sf.table_to_rows(table))
            if len(rows) >= limit:
                break
    else:
        from servelib.jsonrows import read_jsonl

        with open(path, "rb") as f:
            rows = [row for _, row in read_jsonl(path, f)]
    if not rows:
        raise InvalidInput(f"{path} has no rows to send")
    return rows[:limit]


def predict_payloads(model: str, version: str | None, rows: Sequence[Mapping[str, Any]],
                     batch: int) -> list[bytes]:
    from servelib.server.grpc.gen import prediction_pb2 as pb
    from servelib.server.grpc.values import to_value

    out = []
    for start in range(0, len(rows), batch):
        request = pb.PredictRequest(model=model, version=version or "")
        for row in rows[start:start + batch]:
            instance = request.instances.add()
            for column, value in row.items():
                to_value(value, instance.features[column], column)
        out.append(request.SerializeToString())
    return out


def infer_payloads(model: str, version: str | None, rows: Sequence[Mapping[str, Any]],
                   batch: int) -> list[bytes]:
    from servelib.server.grpc.gen import grpc_service_pb2 as pb
    from servelib.vectors import DenseVector, SparseVector

    out = []
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        request = pb.ModelInferRequest(model_name=model, model_version=version or "")
        for column in chunk[0]:
            values = [row.get(column) for row in chunk]
            if any(v is None for v in values):
                raise InvalidInput(f"OIP tensors have no nulls: column {column!r} has one")
            tensor = request.inputs.add(name=column)
            first = values[0]
            if isinstance(first, (DenseVector, SparseVector)):
                arrays = [v.toArray().tolist() for v in values]
                tensor.datatype, tensor.shape[:] = "FP64", [len(arrays), len(arrays[0])]
                tensor.contents.fp64_contents.extend(x for a in arrays for x in a)
            elif isinstance(first, str):
                tensor.datatype, tensor.shape[:] = "BYTES", [len(values)]
                tensor.contents.bytes_contents.extend(v.encode("utf-8") for v in values)
            elif isinstance(first, bool):
                tensor.datatype, tensor.shape[:] = "BOOL", [len(values)]
                tensor.contents.bool_contents.extend(values)
            elif isinstance(first, int):
                tensor.datatype, tensor.shape[:] = "INT64", [len(values)]
                tensor.contents.int64_contents.extend(values)
            else:
                tensor.datatype, tensor.shape[:] = "FP64", [len(values)]
                tensor.contents.fp64_contents.extend(float(v) for v in values)
        out.append(request.SerializeToString())
    return out
