"""Which stages of a saved model servelib can score, found without loading any of them.

`servelib inspect` runs this first, so a user learns up front every stage a model directory holds
that servelib cannot score (and why), instead of the first one a load trips over. Pipelines are
walked through their ``stages/`` folders; every other stage is judged by its exact Spark class
against the loader table (``loaders/registry.py``) and its list of known refusals.
"""

from __future__ import annotations

from dataclasses import dataclass

from servelib.errors import ModelLoadError
from servelib.loaders.fs import ModelFS
from servelib.loaders.metadata import read_metadata
from servelib.loaders.registry import LOADERS, REFUSED

_PIPELINES = ("org.apache.spark.ml.PipelineModel", "pyspark.ml.pipeline.PipelineModel")


@dataclass(frozen=True)
class StageSupport:
    index: str  # "2", or "1.0" inside a nested pipeline
    uid: str
    spark_class: str
    supported: bool
    reason: str = ""


def scan(path_or_uri: str) -> list[StageSupport]:
    """Every leaf stage of the model at ``path_or_uri`` with whether servelib scores it."""
    mfs, root = ModelFS.open(path_or_uri)
    out: list[StageSupport] = []
    _walk(mfs, root, "", out)
    return out


def _walk(mfs: ModelFS, path: str, index: str, out: list[StageSupport]) -> None:
    meta = read_metadata(mfs, path)
    if meta.spark_class in _PIPELINES:
        stages_dir = mfs.join(path, "stages")
        names = mfs.list(stages_dir) if mfs.is_dir(stages_dir) else []
        uids = meta.params.get("stageUids") or []
        if not isinstance(uids, list):
            raise ModelLoadError("stageUids is not a list", path)
        for i, uid in enumerate(uids):
            match = [n for n in names if isinstance(uid, str) and n.endswith("_" + uid)]
            child = f"{index}{i}"
            if len(match) != 1:
                out.append(StageSupport(child, str(uid), "?", False, "no stage directory"))
                continue
            _walk(mfs, mfs.join(stages_dir, match[0]), child + ".", out)
        return
    known = meta.spark_class in LOADERS
    reason = "" if known else REFUSED.get(meta.spark_class, "no servelib implementation")
    out.append(StageSupport(index.rstrip(".") or "0", meta.uid, meta.spark_class, known, reason))
