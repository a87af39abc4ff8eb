"""What a loader function gets: the stage's files, metadata and typed param access."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from servelib.errors import ModelLoadError
from servelib.loaders.fs import ModelFS
from servelib.loaders.metadata import Metadata
from servelib.loaders.parquet import read_data, single_row
from servelib.transformers.base import HandleInvalid

_REQUIRED = object()


@dataclass
class StageContext:
    mfs: ModelFS
    path: str
    meta: Metadata
    load_stage: Callable[[str], Any] = field(repr=False)  # loads a nested stage directory

    @property
    def uid(self) -> str:
        return self.meta.uid

    def param(self, name: str, default: Any = _REQUIRED) -> Any:
        if default is _REQUIRED:
            return self.meta.param(name)
        return self.meta.param(name, default)

    def handle_invalid(self, default: str = "error") -> HandleInvalid:
        value = self.param("handleInvalid", default)
        try:
            return HandleInvalid(value)
        except ValueError as exc:
            raise self.error(f"unknown handleInvalid {value!r}") from exc

    def in_out_cols(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Spark's getInOutCols: inputCol/outputCol when inputCol is set, else
        inputCols/outputCols (Spark's param validation forbids setting both)."""
        if self.meta.is_set("inputCol"):
            return (self.param("inputCol"),), (self.param("outputCol"),)
        inputs, outputs = tuple(self.param("inputCols")), tuple(self.param("outputCols"))
        if len(inputs) != len(outputs):
            raise self.error(f"{len(inputs)} inputCols but {len(outputs)} outputCols")
        return inputs, outputs

    def data(self, folder: str = "data") -> pa.Table:
        return read_data(self.mfs, self.path, folder)

    def data_row(self, folder: str = "data") -> dict[str, Any]:
        return single_row(self.data(folder), self.mfs.join(self.path, folder))

    def error(self, message: str) -> ModelLoadError:
        return ModelLoadError(f"{self.meta.spark_class} ({self.uid}): {message}", self.path)

    def info(self, **extra: Any) -> dict[str, Any]:
        """Facts `servelib inspect` shows for every stage."""
        return {
            "spark_version": self.meta.spark_version,
            "params": {**self.meta.defaults, **self.meta.params},
            "path": self.path,
            **extra,
        }
