"""Spark's on-disk format to transformer arguments. No math here."""

from __future__ import annotations

from servelib.loaders.fs import ModelFS
from servelib.loaders.pipeline import load_stage
from servelib.transformers.base import OnlineTransformer
from servelib.transformers.pipeline import PipelineModel


def load(path_or_uri: str) -> PipelineModel:
    """Load what ``PipelineModel.save()`` (or one stage's ``.save()``) wrote; no Spark needed.

    A single saved stage comes back wrapped in a one-stage PipelineModel, so callers always get
    the same API. Column attributes are propagated through the stages here, once."""
    mfs, root = ModelFS.open(path_or_uri)
    model: OnlineTransformer = load_stage(mfs, root)
    if not isinstance(model, PipelineModel):
        model = PipelineModel(model.uid, stages=(model,), info=model.info)
    model = model.bind({})
    model._kernel  # noqa: B018 - build the one-row path now, not in the first request
    return model
