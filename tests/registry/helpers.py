"""Model repositories for the serving tests, made from the committed parity fixtures."""

from __future__ import annotations

import json
import runpy
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "parity" / "fixtures" / "spark-4.3"
DEMO_ROW = {"amount": 980.0, "age": 19.0, "city": "berlin"}
GBT_ROW = {"x0": 1.0, "x1": 2.0, "x2": 1.0, "color": "red"}


def demo_repository(root: Path) -> Path:
    """scripts/make_demo_repository.py's repository: demo (alias production -> 1) and gbt."""
    return runpy.run_path(str(ROOT / "scripts" / "make_demo_repository.py"))["build"](root)


def add_version(repo: Path, model: str, version: str, case: str = "demo_lr_pipeline",
                spec: dict[str, Any] | None = None, sub: str = "") -> Path:
    """Copy a fixture pipeline to ``repo/model/version[/sub]`` (plus serving.json)."""
    target = repo / model / version / sub if sub else repo / model / version
    shutil.copytree(FIXTURES / case / "model", target)
    if spec is not None:
        write_json(repo / model / version / "serving.json", spec)
    return target


def corrupt(folder: Path) -> None:
    """Break a copied pipeline the way a bad upload would: garbage metadata."""
    (part,) = (folder / "metadata").glob("part-*")
    part.write_text("{not json")


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
