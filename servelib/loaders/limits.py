"""How much a model directory may make ``load`` read and allocate.

Model directories come from other teams and jobs; a hostile or corrupt one must fail fast with
ModelLoadError, not exhaust the memory of a process that serves other models. Every limit is
checked before the allocation it bounds (file sizes before reading, Parquet row counts and
uncompressed sizes from the footer before decoding, declared sizes before arrays are built).
The defaults sit far above what Spark and xgboost.spark models need, with two deliberate
exceptions documented on the fields: tree depth and JSON nesting.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoadLimits:
    """Caps for one ``servelib.load`` call; every field must be positive."""

    #: bytes of one file (a metadata part, a Parquet part, a booster JSON part)
    max_file_bytes: int = 2 << 30
    #: uncompressed bytes of one stage's data folder as its Parquet footers declare them
    max_data_bytes: int = 4 << 30
    #: rows of one stage's data folder (tree nodes for DT/RF/GBT)
    max_rows: int = 50_000_000
    #: tree nodes of one model, all trees together (Spark or XGBoost)
    max_nodes: int = 50_000_000
    #: trees of one ensemble
    max_trees: int = 100_000
    #: levels of one tree below its root. Spark trains at most maxDepth 30; 64 leaves room for
    #: deep XGBoost trees while keeping the compiled walkers (nested ``if``s) within Python's
    #: indentation limit of 100 levels
    max_tree_depth: int = 64
    #: entries of one vector or matrix, and any declared size (numFeatures, categories, ...);
    #: 2^25 is twice the largest hashed feature spaces (2^24) seen in practice
    max_vector_size: int = 1 << 25
    #: labels of one StringIndexer/IndexToString column (vocabulary size)
    max_labels: int = 50_000_000
    #: nesting of one JSON document (metadata, booster); real ones nest fewer than 10 levels
    max_json_depth: int = 64
    #: stages of one model, nested pipelines included
    max_stages: int = 100_000
    #: PipelineModels nested inside each other
    max_pipeline_depth: int = 32

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"LoadLimits.{name} must be a positive int, got {value!r}")


DEFAULT_LIMITS = LoadLimits()
