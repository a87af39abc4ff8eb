"""One logged prediction: what a sampled request looked like and what was answered.

Inputs (after the online feature lookup) and outputs are kept as strict JSON text
(servelib/jsonrows.py: vectors as objects, NaN as "NaN"), so one Parquet schema and one Redis
stream layout serve every model whatever its columns; `servelib monitor` parses them back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa

from servelib.jsonrows import to_json

SCHEMA = pa.schema([
    pa.field("prediction_id", pa.string(), nullable=False),
    pa.field("model", pa.string(), nullable=False),
    pa.field("version", pa.string(), nullable=False),
    pa.field("arm", pa.string()),            # the alias or split arm the request asked for
    pa.field("partition", pa.string()),      # the partition value that picked the sub-model
    pa.field("timestamp", pa.timestamp("ms", tz="UTC"), nullable=False),
    pa.field("inputs", pa.string(), nullable=False),   # JSON object
    pa.field("outputs", pa.string()),                  # JSON object; null when the row failed
    pa.field("error", pa.string()),
    pa.field("latency_ms", pa.float64(), nullable=False),  # the whole request's
])


@dataclass(frozen=True)
class PredictionRecord:
    prediction_id: str
    model: str
    version: str
    arm: str | None
    partition: str | None
    timestamp_ms: int
    inputs: str
    outputs: str | None
    error: str | None
    latency_ms: float

    @classmethod
    def build(cls, *, prediction_id: str, model: str, version: str, arm: str | None,
              partition: str | None, timestamp_ms: int, inputs: Mapping[str, Any],
              outputs: Mapping[str, Any] | None, error: str | None,
              latency_ms: float) -> PredictionRecord:
        return cls(prediction_id, model, version, arm, partition, timestamp_ms,
                   _json(inputs), None if outputs is None else _json(outputs), error, latency_ms)

    def fields(self) -> dict[str, str]:
        """Flat string fields (a Redis stream entry); None fields left out."""
        return {k: str(v) for k, v in asdict(self).items() if v is not None}


def _json(values: Mapping[str, Any]) -> str:
    return json.dumps({str(k): to_json(v) for k, v in values.items()}, allow_nan=False)


def to_table(records: list[PredictionRecord]) -> pa.Table:
    columns = {name: [] for name in SCHEMA.names}
    for r in records:
        columns["prediction_id"].append(r.prediction_id)
        columns["model"].append(r.model)
        columns["version"].append(r.version)
        columns["arm"].append(r.arm)
        columns["partition"].append(r.partition)
        columns["timestamp"].append(r.timestamp_ms)
        columns["inputs"].append(r.inputs)
        columns["outputs"].append(r.outputs)
        columns["error"].append(r.error)
        columns["latency_ms"].append(r.latency_ms)
    return pa.Table.from_pydict(columns, schema=SCHEMA)
