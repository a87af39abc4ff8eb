"""Walk a saved PipelineModel: its metadata, then each ``stages/NN_uid/`` directory in order.

Spark names stage directories ``{index zero-padded to len(str(numStages))}_{uid}``
(Pipeline.scala, SharedReadWrite.getStagePath); we match on the ``_uid`` suffix, check the
order, and check that each stage's own metadata carries the uid ``stageUids`` lists.
Nesting and the number of stages are bounded by LoadLimits (a symlink loop would otherwise
recurse until the stack runs out).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from servelib.errors import ModelLoadError
from servelib.loaders.context import StageContext
from servelib.loaders.fs import ModelFS
from servelib.loaders.metadata import check_params, read_metadata
from servelib.loaders.registry import loader_for
from servelib.transformers.base import OnlineTransformer
from servelib.transformers.pipeline import PipelineModel, PythonPipelineModel

# What a loader's own code may raise on data no check anticipated; turned into ModelLoadError
# naming the stage, so a caller never sees a bare Python error for a bad file. MemoryError is
# not here: LoadLimits exist so that it cannot happen.
_UNANTICIPATED = (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError,
                  RecursionError, pa.ArrowException, OSError)


@dataclass
class _Walk:
    """One load: the filesystem and the number of stages seen so far."""

    mfs: ModelFS
    stages: int = 0

    def load(self, path: str, depth: int) -> OnlineTransformer:
        limits = self.mfs.limits
        self.stages += 1
        if self.stages > limits.max_stages:
            raise ModelLoadError(f"more than LoadLimits.max_stages ({limits.max_stages}) stages",
                                 path)
        if depth > limits.max_pipeline_depth:
            raise ModelLoadError("pipelines nested deeper than LoadLimits.max_pipeline_depth "
                                 f"({limits.max_pipeline_depth})", path)
        meta = read_metadata(self.mfs, path)
        loader = loader_for(meta.spark_class, path)  # an unknown class: UnsupportedStage first
        check_params(meta, limits)
        ctx = StageContext(self.mfs, path, meta, load_stage=lambda p: self.load(p, depth + 1),
                           limits=limits)
        try:
            return loader(ctx)
        except _UNANTICIPATED as exc:
            raise ctx.error(f"unreadable model data ({type(exc).__name__}: {exc})") from exc


def load_stage(mfs: ModelFS, path: str) -> OnlineTransformer:
    return _Walk(mfs).load(path, 0)


def load_pipeline(ctx: StageContext) -> PipelineModel:
    # no uniqueness check: Spark itself saves RFormula's internal pipeline with stages that
    # share a uid (their directory's index tells them apart)
    uids = ctx.params.strings("stageUids", limit=ctx.limits.max_stages)
    stages_dir = ctx.mfs.join(ctx.path, "stages")
    names = ctx.mfs.list(stages_dir) if uids else []
    stages = []
    for index, uid in enumerate(uids):
        found = [n for n in names if n.endswith("_" + uid) and n.split("_", 1)[0].isdigit()]
        # several stages may share a uid (RFormula's internal pipeline): the index decides
        matches = [n for n in found if int(n.split("_", 1)[0]) == index]
        if len(matches) != 1:
            if len(found) == 1:
                raise ModelLoadError(f"stage {uid} saved at the wrong index {found[0]}", stages_dir)
            raise ModelLoadError(f"stage {index} ({uid}) has no directory", stages_dir)
        stage = ctx.load_stage(ctx.mfs.join(stages_dir, matches[0]))
        if stage.uid != uid:
            raise ModelLoadError(f"stage {index}: stageUids says {uid!r} but the stage's "
                                 f"metadata says {stage.uid!r}",
                                 ctx.mfs.join(stages_dir, matches[0], "metadata"))
        stages.append(stage)
    cls = PythonPipelineModel if ctx.meta.spark_class.startswith("pyspark.") else PipelineModel
    return cls(ctx.uid, stages=tuple(stages), info=ctx.info())
