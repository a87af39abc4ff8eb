"""Spark's on-disk format to transformer arguments. No math here."""

from __future__ import annotations

import os

from servelib.loaders.fs import ModelFS
from servelib.loaders.limits import DEFAULT_LIMITS, LoadLimits
from servelib.loaders.pipeline import load_stage
from servelib.transformers.base import OnlineTransformer
from servelib.transformers.pipeline import PipelineModel

__all__ = ["LoadLimits", "load"]


def load(path_or_uri: str | os.PathLike[str], limits: LoadLimits | None = None) -> PipelineModel:
    """Load what ``PipelineModel.save()`` (or one stage's ``.save()``) wrote; no Spark needed.

    A single saved stage comes back wrapped in a one-stage PipelineModel, so callers always get
    the same API. Column attributes are propagated through the stages here, once. ``limits``
    caps what the files may make the load read and allocate (LoadLimits); a path that is not a
    str or os.PathLike raises TypeError, a bad or corrupt model ModelLoadError."""
    if limits is not None and not isinstance(limits, LoadLimits):
        raise TypeError(f"limits must be a servelib.LoadLimits, got {type(limits).__name__}")
    mfs, root = ModelFS.open(path_or_uri, limits or DEFAULT_LIMITS)
    model: OnlineTransformer = load_stage(mfs, root)
    if not isinstance(model, PipelineModel):
        model = PipelineModel(model.uid, stages=(model,), info=model.info)
    model = model.bind({})
    model._kernel  # noqa: B018 - build the one-row path now, not in the first request
    return model
