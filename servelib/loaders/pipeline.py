"""Walk a saved PipelineModel: its metadata, then each ``stages/NN_uid/`` directory in order.

Spark names stage directories ``{index zero-padded to len(str(numStages))}_{uid}``
(Pipeline.scala, SharedReadWrite.getStagePath); we match on the ``_uid`` suffix and check order.
"""

from __future__ import annotations

from servelib.errors import ModelLoadError
from servelib.loaders.context import StageContext
from servelib.loaders.fs import ModelFS
from servelib.loaders.metadata import read_metadata
from servelib.loaders.registry import loader_for
from servelib.transformers.base import OnlineTransformer
from servelib.transformers.pipeline import PipelineModel, PythonPipelineModel


def load_stage(mfs: ModelFS, path: str) -> OnlineTransformer:
    meta = read_metadata(mfs, path)
    loader = loader_for(meta.spark_class, path)
    ctx = StageContext(mfs, path, meta, load_stage=lambda p: load_stage(mfs, p))
    return loader(ctx)


def load_pipeline(ctx: StageContext) -> PipelineModel:
    uids = ctx.param("stageUids")
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
        stages.append(ctx.load_stage(ctx.mfs.join(stages_dir, matches[0])))
    cls = PythonPipelineModel if ctx.meta.spark_class.startswith("pyspark.") else PipelineModel
    return cls(ctx.uid, stages=tuple(stages), info=ctx.info())
