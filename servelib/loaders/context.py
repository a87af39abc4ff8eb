"""What a loader function gets: the stage's files, metadata and typed param access."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pyarrow as pa

from servelib.errors import ModelLoadError
from servelib.loaders.fs import ModelFS
from servelib.loaders.limits import DEFAULT_LIMITS, LoadLimits
from servelib.loaders.metadata import Metadata
from servelib.loaders.params import Fields, mapping_fields, show
from servelib.loaders.parquet import read_data, single_row
from servelib.transformers.base import HandleInvalid

_ABSENT = object()


@dataclass
class StageContext:
    mfs: ModelFS
    path: str
    meta: Metadata
    load_stage: Callable[[str], Any] = field(repr=False)  # loads a nested stage directory
    limits: LoadLimits = DEFAULT_LIMITS

    @property
    def uid(self) -> str:
        return self.meta.uid

    @cached_property
    def params(self) -> Fields:
        """Typed reads of the params (paramMap, then defaultParamMap)."""
        return Fields(lambda name: self.meta.param(name, _ABSENT),
                      lambda msg: self.error(msg, self.meta.meta_dir), "param",
                      self.limits.max_vector_size, _ABSENT)

    @cached_property
    def extra(self) -> Fields:
        """Typed reads of the metadata's top-level extra fields (numFeatures, numClasses, ...)."""
        return mapping_fields(self.meta.raw, self.param_error, "metadata field",
                              self.limits.max_vector_size)

    def handle_invalid(self, default: str = "error") -> HandleInvalid:
        value = self.params.string("handleInvalid", default)
        try:
            return HandleInvalid(value)
        except ValueError:
            raise self.param_error(f"param 'handleInvalid': unknown value {show(value)}") from None

    def in_out_cols(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Spark's getInOutCols: inputCol/outputCol when inputCol is set, else
        inputCols/outputCols (Spark's param validation forbids setting both)."""
        if self.meta.is_set("inputCol"):
            return (self.params.string("inputCol"),), (self.params.string("outputCol"),)
        inputs, outputs = self.params.strings("inputCols"), self.params.strings("outputCols")
        if len(inputs) != len(outputs):
            raise self.param_error(f"{len(inputs)} inputCols but {len(outputs)} outputCols")
        return inputs, outputs

    def data(self, folder: str = "data") -> pa.Table:
        return read_data(self.mfs, self.path, folder)

    def data_row(self, folder: str = "data") -> dict[str, Any]:
        return single_row(self.data(folder), self.mfs.join(self.path, folder))

    def data_fields(self, folder: str = "data") -> Fields:
        """Typed reads of the one row of a data folder (Parquet columns by name)."""
        where = self.mfs.join(self.path, folder)
        return mapping_fields(self.data_row(folder), lambda msg: self.error(msg, where),
                              "data column", self.limits.max_vector_size)

    def error(self, message: str, file: str | None = None) -> ModelLoadError:
        """A load error naming the stage (class and uid) and the file (default: the stage)."""
        return ModelLoadError(f"{self.meta.spark_class} ({self.uid}): {message}",
                              file or self.path)

    def param_error(self, message: str) -> ModelLoadError:
        """A load error about the params: names the stage and its metadata/ directory."""
        return self.error(message, self.meta.meta_dir)

    def info(self, **extra: Any) -> dict[str, Any]:
        """Facts `servelib inspect` shows for every stage."""
        return {
            "spark_version": self.meta.spark_version,
            "params": {**self.meta.defaults, **self.meta.params},
            "path": self.path,
            **extra,
        }
