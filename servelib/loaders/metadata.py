"""A stage's ``metadata/`` JSON: class, uid, Spark version and params.

Spark 3 writes ``metadata/part-00000``; Spark 4 writes ``metadata/part-00000-<uuid>-c000.txt``.
Both hold one JSON line written by DefaultParamsWriter:
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/util/ReadWrite.scala
Params resolve as Spark does: ``paramMap`` (set explicitly) first, then ``defaultParamMap``.
The line must be UTF-8 JSON nested at most ``LoadLimits.max_json_depth`` deep, with a string
class, uid and sparkVersion and object param maps; a supported Spark ML stage's params must have
the JSON types Spark's readers decode (``check_params``, spark_params.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyarrow import fs as pafs

from servelib.errors import ModelLoadError
from servelib.loaders.fs import ModelFS
from servelib.loaders.limits import LoadLimits
from servelib.loaders.params import show
from servelib.loaders.spark_params import check_spark_params, checks

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
    def meta_dir(self) -> str:
        return self.path.rstrip("/") + "/metadata"

    @property
    def version(self) -> tuple[int, int]:
        """(major, minor) of the Spark that wrote the stage."""
        parts = (self.spark_version.split(".") + ["0", "0"])[:2]
        try:
            return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit())[:6] or 0)
        except ValueError as exc:
            raise ModelLoadError(f"unreadable sparkVersion {show(self.spark_version)}",
                                 self.meta_dir) from exc

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
                self.meta_dir,
            )
        return default


def parse_json(text: str, path: str, limits: LoadLimits, what: str) -> Any:
    """``json.loads`` with nesting bounded by ``limits.max_json_depth``; errors name ``path``."""
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise ModelLoadError(f"{what} is nested too deeply to parse", path) from exc
    except ValueError as exc:  # JSONDecodeError, or an integer of more than 4300 digits
        raise ModelLoadError(f"corrupt {what}: {exc}", path) from exc
    depth, level = 0, [value] if isinstance(value, (dict, list)) else []
    while level:  # breadth first over containers: costs their count, not the Python stack
        depth += 1
        if depth > limits.max_json_depth:
            raise ModelLoadError(f"{what} is nested deeper than LoadLimits.max_json_depth "
                                 f"({limits.max_json_depth})", path)
        level = [c for v in level for c in (v.values() if isinstance(v, dict) else v)
                 if isinstance(c, (dict, list))]
    return value


# pyspark.ml.connect's save (python/pyspark/ml/connect/io_utils.py) is its own format; its
# models are not pyspark.ml stages (docs/stages.md, scripts/spark_inventory.py).
_CONNECT = ("a metadata.json instead of metadata/: a pyspark.ml.connect model (Spark Connect ML), "
            "which saves its own format, not a Spark ML stage directory; servelib scores what "
            "pyspark.ml (or Scala Spark ML) saves")


def read_metadata(mfs: ModelFS, stage_path: str) -> Metadata:
    meta_dir = mfs.join(stage_path, "metadata")
    if not mfs.is_dir(meta_dir):
        if mfs.info(mfs.join(stage_path, "metadata.json")).type == pafs.FileType.File:
            raise ModelLoadError(_CONNECT, stage_path)
        raise ModelLoadError("not a saved Spark model: no metadata/ directory", stage_path)
    parts = [n for n in mfs.list(meta_dir) if n.startswith("part-")]
    if not parts:
        raise ModelLoadError("metadata/ has no part file", meta_dir)
    text = "".join(mfs.read_text(mfs.join(meta_dir, p)) for p in parts).strip()
    line = text.splitlines()[0] if text else ""
    raw = parse_json(line, meta_dir, mfs.limits, "metadata JSON")
    if not isinstance(raw, dict):
        raise ModelLoadError(f"corrupt metadata JSON: expected an object, got {show(raw)}",
                             meta_dir)
    for key in ("class", "uid", "sparkVersion"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ModelLoadError(f"corrupt metadata JSON: {key!r} is not a non-empty string "
                                 f"({show(raw.get(key))})", meta_dir)
    maps = {}
    for key in ("paramMap", "defaultParamMap"):
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise ModelLoadError(f"corrupt metadata JSON: {key!r} is not an object "
                                 f"({show(value)})", meta_dir)
        maps[key] = value
    meta = Metadata(
        spark_class=raw["class"],
        uid=raw["uid"],
        spark_version=raw["sparkVersion"],
        params=maps["paramMap"],
        defaults=maps["defaultParamMap"],
        path=stage_path,
        raw=raw,
    )
    meta.version  # noqa: B018 - fail on an unreadable version here, not in some loader
    return meta


def check_params(meta: Metadata, limits: LoadLimits) -> None:
    """A Spark ML stage's params must have the types (and shared ranges) Spark decodes."""
    if not meta.spark_class.startswith("org.apache.spark.ml."):
        return
    table = checks(limits.max_vector_size, meta.spark_class)
    for key, values in (("paramMap", meta.params), ("defaultParamMap", meta.defaults)):
        bad = check_spark_params(values, table)
        if bad is not None:
            raise ModelLoadError(f"{meta.spark_class} ({meta.uid}): {key} param "
                                 f"{bad[0]!r}: {bad[1]}", meta.meta_dir)
