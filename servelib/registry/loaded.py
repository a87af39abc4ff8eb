"""One loaded model version: its pipeline (or one per partition), its spec and its footprint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from servelib.errors import InvalidInput, ModelLoadError
from servelib.registry.spec import ServingSpec
from servelib.transformers.pipeline import PipelineModel


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: str
    path: str
    spec: ServingSpec
    # "" -> the version's own pipeline; with partitioning: sub-folder -> its pipeline
    pipelines: Mapping[str, PipelineModel]
    memory_bytes: int
    load_seconds: float

    @property
    def main(self) -> PipelineModel:
        """The pipeline metadata describes: the only one, or the fallback, or the first."""
        part = self.spec.partitioning
        if part is None:
            return self.pipelines[""]
        return self.pipelines[part.fallback or next(iter(part.models.values()))]

    def default_outputs(self) -> tuple[str, ...]:
        return self.spec.outputs or tuple(self.main.output_columns())

    def route(self, row: Mapping[str, Any]) -> PipelineModel:
        """The pipeline that scores ``row`` (per its partition field, or the only one)."""
        part = self.spec.partitioning
        if part is None:
            return self.pipelines[""]
        value = row.get(part.field)
        folder = part.models.get(value if isinstance(value, str) else _key(value))
        if folder is None:
            folder = part.fallback
        if folder is None:
            raise InvalidInput(f"model {self.name!r} version {self.version!r} has no partition "
                               f"for {value!r} and no fallback", column=part.field)
        return self.pipelines[folder]


def _key(value: Any) -> str:
    """Partition values are strings in the spec; 3 and 3.0 both pick "3"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_spec(spec: ServingSpec, pipeline: PipelineModel, path: str) -> None:
    """The spec's columns against what the pipeline reads and writes; errors name the key."""
    inputs = set(pipeline.input_columns())
    for column in spec.inputs:
        if column not in inputs:
            raise ModelLoadError(f"key 'inputs.{column}': the pipeline reads no such column "
                                 f"(it reads {sorted(inputs)})", path)
    known = inputs | set(pipeline.output_columns())
    for column in spec.outputs or ():
        if column not in known:
            raise ModelLoadError(f"key 'outputs': the pipeline has no column {column!r} "
                                 f"(outputs: {list(pipeline.output_columns())})", path)
    if spec.features:
        from servelib.describe import describe
        from servelib.features.spec import check_against_pipeline, parse_features

        described = {c["name"]: c["type"] for c in describe(pipeline, path)["inputs"]}
        check_against_pipeline(parse_features(spec.features, path), described, path)
