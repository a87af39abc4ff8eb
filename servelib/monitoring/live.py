"""Join logged predictions with observed outcomes and measure each model version per window.

Predictions are the Parquet files the prediction log writes (servelib/monitoring/sinks.py);
outcomes any Parquet, JSON-lines or CSV file with the prediction id and the observed label. The
join is Arrow's hash join (``pyarrow.Table.join``); windows are fixed intervals of the
prediction's timestamp. Drift compares each input feature's values in a window with a reference:
rows the user gives (the training data), else the model version's first window.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pyarrow as pa

from servelib.errors import InvalidInput
from servelib.monitoring import measures

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_window(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"--window must look like 30m, 1h or 1d, not {text!r}")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def read_table(path: str, what: str) -> pa.Table:
    import pyarrow.csv as pcsv
    import pyarrow.dataset as ds
    import pyarrow.json as pjson

    try:
        if path.endswith(".csv"):
            return pcsv.read_csv(path)
        if path.endswith((".jsonl", ".ndjson", ".json")):
            return pjson.read_json(path)
        return ds.dataset(path, format="parquet", partitioning="hive").to_table()
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInput(f"cannot read the {what} {path}: {exc}") from exc


def join(predictions: pa.Table, outcomes: pa.Table, key: str, label: str) -> pa.Table:
    for table, what, cols in ((predictions, "predictions", ("prediction_id", "model", "version",
                                                             "timestamp", "inputs", "outputs")),
                              (outcomes, "outcomes", (key, label))):
        missing = [c for c in cols if c not in table.column_names]
        if missing:
            raise InvalidInput(f"the {what} have no column(s) {missing}; they have {table.column_names}")
    preds = predictions.select(["prediction_id", "model", "version", "timestamp", "inputs",
                                "outputs"]).cast(pa.schema([
        ("prediction_id", pa.string()), ("model", pa.string()), ("version", pa.string()),
        ("timestamp", pa.timestamp("ms", tz="UTC")), ("inputs", pa.string()),
        ("outputs", pa.string())]))
    outs = outcomes.select([key, label]).rename_columns(["prediction_id", "label"])
    outs = outs.set_column(0, "prediction_id", outs.column(0).cast(pa.string()))
    return preds.join(outs, "prediction_id", join_type="inner")


@dataclass
class WindowReport:
    model: str
    version: str
    start: datetime
    task: str
    metrics: dict[str, Any]
    drift: dict[str, float | None] = field(default_factory=dict)


def evaluate(joined: pa.Table, window: timedelta, task: str | None = None,
             reference: Sequence[Mapping[str, Any]] | None = None) -> list[WindowReport]:
    groups: dict[tuple[str, str], dict[datetime, list[dict]]] = defaultdict(lambda: defaultdict(list))
    step = int(window.total_seconds() * 1000)
    for row in joined.to_pylist():
        if row["outputs"] is None or row["label"] is None:
            continue  # failed predictions have no output to judge
        ms = int(row["timestamp"].timestamp() * 1000)
        start = datetime.fromtimestamp((ms - ms % step) / 1000, timezone.utc)
        groups[(row["model"], row["version"])][start].append(row)
    reports = []
    for (model, version), windows in sorted(groups.items()):
        starts = sorted(windows)
        ref_rows = list(reference) if reference is not None else _inputs(windows[starts[0]])
        for start in starts:
            rows = windows[start]
            kind = task or _task(rows)
            reports.append(WindowReport(model, version, start, kind, _measure(rows, kind),
                                        _drift(ref_rows, _inputs(rows))))
    return reports


def _inputs(rows: Sequence[dict]) -> list[dict[str, Any]]:
    return [json.loads(r["inputs"]) for r in rows]


def _task(rows: Sequence[dict]) -> str:
    return "classification" if "probability" in json.loads(rows[0]["outputs"]) else "regression"


def _measure(rows: Sequence[dict], task: str) -> dict[str, Any]:
    outputs = [json.loads(r["outputs"]) for r in rows]
    y = np.array([float(r["label"]) for r in rows])
    pred = np.array([_number(o.get("prediction")) for o in outputs])
    if task == "regression":
        return measures.regression(y, pred)
    probs = [_vector(o.get("probability")) for o in outputs]
    prob = np.array(probs) if probs and all(p is not None for p in probs) else None
    return measures.classification(y, pred, prob)


def _number(value: Any) -> float:
    if isinstance(value, str):  # "NaN", "Infinity": strict-JSON spellings
        return float(value.replace("Infinity", "inf"))
    return float("nan") if value is None else float(value)


def _vector(value: Any) -> list[float] | None:
    if not isinstance(value, dict):
        return None
    values = [_number(v) for v in value.get("values", [])]
    if value.get("type") == "sparse":
        dense = [0.0] * int(value["size"])
        for i, v in zip(value["indices"], values):
            dense[i] = v
        return dense
    return values


def _drift(reference: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]
           ) -> dict[str, float | None]:
    names = sorted({k for row in current for k, v in row.items() if not isinstance(v, dict)})
    return {n: measures.psi([r.get(n) for r in reference], [r.get(n) for r in current])
            for n in names}
