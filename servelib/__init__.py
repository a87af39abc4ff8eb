"""servelib: serve Apache Spark ML pipelines online, exactly as Spark scores them, without Spark."""

from servelib.errors import (
    InvalidInput,
    ModelLoadError,
    RowSkipped,
    ServelibError,
    UnsupportedStage,
)
from servelib.loaders import LoadLimits, load
from servelib.transformers.pipeline import PipelineModel
from servelib.vectors import DenseVector, SparseVector

__all__ = [
    "DenseVector",
    "InvalidInput",
    "LoadLimits",
    "ModelLoadError",
    "PipelineModel",
    "RowSkipped",
    "ServelibError",
    "SparseVector",
    "UnsupportedStage",
    "load",
]
__version__ = "0.1.0"
