"""PipelineModel: stages run in order over one batch, each appending its output columns.

Column attributes flow through the stages once, when the pipeline is built (Spark does this in
transformSchema on every transform), so a stage that needs upstream metadata is resolved at load
time. https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/Pipeline.scala
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import ClassVar

from servelib.transformers.attributes import Attrs
from servelib.transformers.base import OnlineTransformer, RowKernel, Scored
from servelib.transformers.batch import Batch


@dataclass(frozen=True)
class PipelineModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.PipelineModel"

    stages: tuple[OnlineTransformer, ...] = ()

    @classmethod
    def build(
        cls, uid: str, stages: Sequence[OnlineTransformer], attrs: Attrs | None = None, **kw
    ) -> PipelineModel:
        """A pipeline whose stages are bound to the attributes flowing between them."""
        return cls(uid, stages=tuple(stages), **kw).bind(attrs or {})

    def bind(self, attrs: Attrs) -> PipelineModel:
        current = dict(attrs)
        bound = []
        for stage in self.stages:
            stage = stage.bind(current)
            current.update(stage.output_attributes(current))
            bound.append(stage)
        return replace(self, stages=tuple(bound))

    def with_input_types(self, types: Mapping[str, str]) -> PipelineModel:
        return replace(self, stages=tuple(s.with_input_types(types) for s in self.stages))

    def output_attributes(self, attrs: Attrs) -> Attrs:
        current = dict(attrs)
        for stage in self.stages:
            current.update(stage.output_attributes(current))
        return {k: v for k, v in current.items() if k not in attrs or attrs[k] is not v}

    def input_columns(self) -> Sequence[str]:
        """Columns the caller must supply: read by some stage, written by no earlier stage."""
        produced: set[str] = set()
        needed: list[str] = []
        for stage in self.stages:
            for col in stage.input_columns():
                if col not in produced and col not in needed:
                    needed.append(col)
            produced.update(stage.all_output_columns())
        return needed

    def output_columns(self) -> Sequence[str]:
        return list(self.all_output_columns())

    def all_output_columns(self) -> Iterable[str]:
        seen: dict[str, None] = {}
        for stage in self.stages:
            seen.update(dict.fromkeys(stage.all_output_columns()))
        return seen.keys()

    def run(self, batch: Batch) -> None:
        for stage in self.stages:
            stage.run(batch)

    def row_kernel(self) -> RowKernel | None:
        """Every stage's kernel in turn; none when a stage has none (see base.py)."""
        kernels = tuple(stage._kernel for stage in self.stages)
        if not kernels or None in kernels:
            return None

        def run(values: dict) -> bool:
            for kernel in kernels:
                if not kernel(values):
                    return False
            return True

        return run

    def score_row(self, values: dict) -> bool:
        """Each stage's row path in turn (a stage whose kernel declines runs its own batch
        path on the row; the next stage's kernel goes on from there)."""
        fast = True
        for stage, kernel in self._plan:
            if kernel is not None:  # inlined score_row of a stage that does not write in place
                if kernel(values):
                    continue
                stage._row_as_batch(values)
                fast = False
            elif not stage.score_row(values):
                fast = False
        return fast

    @cached_property
    def _plan(self) -> tuple:
        """Per stage: its kernel when score_row may be inlined, else None."""
        return tuple((s, None if isinstance(s, PipelineModel) or s._inplace else s._kernel)
                     for s in self.stages)

    def for_outputs(self, outputs: Sequence[str]) -> PipelineModel:
        """The stages ``outputs`` depend on, in order; computed once per distinct ``outputs``.

        A stage runs when a wanted column, or a column a later running stage reads, is one of
        its outputs, or when it may drop rows (handleInvalid="skip": Spark's filter survives a
        ``select``). A pruned stage's errors are not raised, as Spark's column pruning drops
        the expressions of columns a ``select`` leaves out."""
        key = tuple(outputs)
        hit = self._pruned.get(key)
        if hit is None:
            needed = set(key)
            kept: list[OnlineTransformer] = []
            for stage in reversed(self.stages):
                if isinstance(stage, PipelineModel):
                    written = set(stage.all_output_columns())
                    if not written & needed and not stage.drops_rows():
                        continue
                    stage = stage.for_outputs(tuple(sorted(written & needed)))
                else:
                    written = set(stage.output_columns())
                    if not written & needed and not stage.drops_rows():
                        continue
                needed = (needed - written) | set(stage.input_columns())
                kept.append(stage)
            hit = replace(self, stages=tuple(reversed(kept)))
            if len(self._pruned) < 64:  # request-dependent: keep the cache bounded
                self._pruned[key] = hit
        return hit

    @cached_property
    def _pruned(self) -> dict:
        return {}

    def drops_rows(self) -> bool:
        return any(stage.drops_rows() for stage in self.stages)

    def score_columns(self, batch: Batch) -> Scored:  # pragma: no cover - run() is overridden
        raise TypeError("a pipeline scores through run()")


@dataclass(frozen=True)
class PythonPipelineModel(PipelineModel):
    """What PySpark writes when a pipeline holds a stage Spark's JVM does not know (a nested
    PipelineModel, a Python stage): the same layout, with ``"language": "Python"`` in paramMap.
    https://github.com/apache/spark/blob/v3.5.0/python/pyspark/ml/pipeline.py (PipelineSharedReadWrite)
    """

    spark_class: ClassVar[str] = "pyspark.ml.pipeline.PipelineModel"
