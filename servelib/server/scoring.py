"""Score a request's rows with a loaded model, one result or one error per row.

The rows go through ``score_instances`` together (the row kernels for short lists, one batch
otherwise); only when that fails or drops a row (handleInvalid="skip") are they scored one by
one, so a bad row costs its neighbours a second pass but never their answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from servelib.errors import InvalidInput, ServelibError
from servelib.registry.loaded import LoadedModel
from servelib.transformers.pipeline import PipelineModel

Result = dict[str, Any] | ServelibError


def score_rows(model: LoadedModel, rows: Sequence[Any], outputs: tuple[str, ...]
               ) -> list[Result]:
    results: list[Result | None] = [None] * len(rows)
    groups: dict[int, tuple[PipelineModel, list[int]]] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            results[i] = _named(model, i, InvalidInput(
                f"an instance must be an object of column values, got {type(row).__name__}"))
            continue
        try:
            pipeline = model.route(row)
        except InvalidInput as exc:
            results[i] = _named(model, i, exc)
            continue
        groups.setdefault(id(pipeline), (pipeline, []))[1].append(i)
    for pipeline, index in groups.values():
        for i, scored in zip(index, _score(pipeline, [rows[i] for i in index])):
            results[i] = (_named(model, i, scored) if isinstance(scored, InvalidInput)
                          else {c: scored.get(c) for c in outputs})
    return results  # type: ignore[return-value]


def _score(pipeline: PipelineModel, rows: list[Mapping[str, Any]]
           ) -> list[dict[str, Any] | InvalidInput]:
    if len(rows) > 1:
        try:
            scored = pipeline.score_instances(rows)
            if len(scored) == len(rows):
                return scored  # type: ignore[return-value]
        except InvalidInput:
            pass
    out: list[dict[str, Any] | InvalidInput] = []
    for row in rows:
        try:
            out.append(pipeline.score_instance(row))
        except InvalidInput as exc:
            out.append(exc)
    return out


def _named(model: LoadedModel, i: int, exc: InvalidInput) -> InvalidInput:
    """The row's error, saying which model and which row (same class: RowSkipped stays one)."""
    copy = type(exc)(f"model {model.name!r} version {model.version!r}: "
                     f"{getattr(exc, 'reason', str(exc))}", column=exc.column, stage=exc.stage,
                     row=i)
    return copy
