"""A stage's ``metadata/`` JSON: class, uid, Spark version and params.

Spark 3 writes ``metadata/part-00000``; Spark 4 writes ``metadata/part-00000-<uuid>-c000.txt``.
Both hold one JSON line written by DefaultParamsWriter:
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/util/ReadWrite.scala
Params resolve as Spark does: ``paramMap`` (set explicitly) first, then ``defaultParamMap``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from servelib.errors import ModelLoadError
from servelib.loaders.fs import ModelFS

_NO_DEFAULT = object()


@dataclass(frozen=True)
class Metadata:
    spark_class: str
    uid: str
    spark_version: str
    params: Mapping[str, Any]
    defaults: Mapping[str, Any]
    path: str
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def version(self) -> tuple[int, int]:
        """(major, minor) of the Spark that wrote the stage."""
        parts = (self.spark_version.split(".") + ["0", "0"])[:2]
        try:
            return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)
        except ValueError as exc:
            raise ModelLoadError(f"unreadable sparkVersion {self.spark_version!r}", self.path) from exc

    def has(self, name: str) -> bool:
        return name in self.params or name in self.defaults

    def is_set(self, name: str) -> bool:
        """Set explicitly (Spark's ``isSet``), not only defaulted."""
        return name in self.params

    def param(self, name: str, default: Any = _NO_DEFAULT) -> Any:
        if name in self.params:
            return self.params[name]
        if name in self.defaults:
            return self.defaults[name]
        if default is _NO_DEFAULT:
            raise ModelLoadError(
                f"param {name!r} of {self.spark_class} ({self.uid}) is neither set nor defaulted",
                self.path,
            )
        return default


def read_metadata(mfs: ModelFS, stage_path: str) -> Metadata:
    meta_dir = mfs.join(stage_path, "metadata")
    if not mfs.is_dir(meta_dir):
        raise ModelLoadError("not a saved Spark model: no metadata/ directory", stage_path)
    parts = [n for n in mfs.list(meta_dir) if n.startswith("part-")]
    if not parts:
        raise ModelLoadError("metadata/ has no part file", meta_dir)
    text = "".join(mfs.read_text(mfs.join(meta_dir, p)) for p in parts).strip()
    line = text.splitlines()[0] if text else ""
    try:
        raw = json.loads(line)
        spark_class = raw["class"]
        uid = raw["uid"]
    except (json.JSONDecodeError, KeyError, TypeError, IndexError) as exc:
        raise ModelLoadError(f"corrupt metadata JSON: {exc}", meta_dir) from exc
    return Metadata(
        spark_class=spark_class,
        uid=uid,
        spark_version=str(raw.get("sparkVersion", "0.0")),
        params=raw.get("paramMap") or {},
        defaults=raw.get("defaultParamMap") or {},
        path=stage_path,
        raw=raw,
    )
