"""Helpers that copy a committed PySpark-saved fixture model and corrupt one of its files the
way a hostile or broken writer would: metadata JSON, Parquet data rows, XGBoost booster JSON.
Used by the targeted load-error tests and by the fuzz suite (test_fuzz_load.py)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from servelib.errors import InvalidInput
from servelib.testing.parity import read_rows
from tests.parity.test_golden import FIXTURES


def fixture(case: str, version: str = "spark-4.3") -> Path:
    return FIXTURES / version / case


def copy_model(case: str, dest: Path, version: str = "spark-4.3") -> Path:
    return Path(shutil.copytree(fixture(case, version) / "model", dest / "model"))


def stage(model: Path, name: str = "") -> Path:
    """The stage directory whose name contains ``name`` (the model itself without stages/)."""
    if not (model / "stages").is_dir():
        return model
    (found,) = [p for p in sorted((model / "stages").iterdir()) if name in p.name]
    return found


def part_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("part-"))


def meta_file(stage_dir: Path) -> Path:
    (part,) = part_files(stage_dir / "metadata")
    return part


def edit_meta(stage_dir: Path, change: Callable[[dict[str, Any]], Any]) -> None:
    path = meta_file(stage_dir)
    raw = json.loads(path.read_text())
    change(raw)
    path.write_text(json.dumps(raw))


def set_param(stage_dir: Path, name: str, value: Any) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["paramMap"][name] = value
        raw["defaultParamMap"].pop(name, None)
    edit_meta(stage_dir, change)


def edit_rows(folder: Path, change: Callable[[list[dict[str, Any]]], Any],
              keep_schema: bool = True) -> None:
    """Rewrite the Parquet part files of ``folder`` after ``change`` mutates their rows."""
    for path in folder.glob("*.parquet"):
        table = pq.read_table(path)
        rows = table.to_pylist()
        change(rows)
        out = pa.Table.from_pylist(rows, schema=table.schema if keep_schema else None)
        pq.write_table(out, path)


def node_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The node structs of a tree data file (single tree or ensemble layout), tree 0 first."""
    if rows and "nodeData" in rows[0]:
        ordered = sorted(rows, key=lambda r: (r["treeID"], r["nodeData"]["id"]))
        return [r["nodeData"] for r in ordered]
    return sorted(rows, key=lambda r: r["id"])


def edit_nodes(stage_dir: Path, change: Callable[[list[dict[str, Any]]], Any]) -> None:
    edit_rows(stage_dir / "data", lambda rows: change(node_rows(rows)))


def booster_file(stage_dir: Path) -> Path:
    (part,) = part_files(stage_dir / "model")
    return part


def edit_booster(stage_dir: Path, change: Callable[[dict[str, Any]], Any]) -> None:
    path = booster_file(stage_dir)
    booster = json.loads("".join(path.read_text().splitlines()))
    change(booster)
    path.write_text(json.dumps(booster))


def trees(booster: dict[str, Any]) -> list[dict[str, Any]]:
    return booster["learner"]["gradient_booster"]["model"]["trees"]


def input_rows(case: str, version: str = "spark-4.3") -> list[dict[str, Any]]:
    return read_rows(fixture(case, version) / "input.jsonl")


def _plain(value: Any) -> Any:
    if hasattr(value, "toArray"):
        return ("vector", repr(np.asarray(value.toArray()).tolist()))
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return repr(value)


def fingerprint(model: Any, rows: list[dict[str, Any]]) -> list[Any]:
    """What a model scores for each row (exact reprs), or the InvalidInput class it raises."""
    out = []
    for row in rows:
        try:
            scored = model.score_instance(dict(row))
        except InvalidInput as exc:
            out.append(("error", type(exc).__name__))
            continue
        out.append(sorted((k, _plain(v)) for k, v in scored.items()))
    return out
