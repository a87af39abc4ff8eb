"""Loader for ALSModel (ALS.scala's ALSModelWriter, Spark 3.x and 4.x): metadata carries
``rank`` (top-level JSON); ``userFactors/`` and ``itemFactors/`` are Parquet tables
``id: int, features: array<float>``."""

from __future__ import annotations

import numpy as np

from servelib.loaders.context import StageContext
from servelib.transformers.recommendation.als import ALSModel

_STRATEGIES = ("nan", "drop")


def _factors(ctx: StageContext, folder: str, rank: int) -> tuple[dict[int, int], np.ndarray]:
    table = ctx.data(folder)
    ids = [int(i) for i in table.column("id").to_pylist()]
    if len(set(ids)) != len(ids):
        raise ctx.error(f"{folder} repeats an id")
    rows = table.column("features").to_pylist()
    if any(r is None or len(r) != rank for r in rows):
        raise ctx.error(f"{folder} holds a factor vector whose length is not rank={rank}")
    matrix = np.array(rows, dtype=np.float32).reshape(len(rows), rank)
    return {k: i for i, k in enumerate(ids)}, matrix


def load_als(ctx: StageContext) -> ALSModel:
    rank = ctx.meta.raw.get("rank")
    if not isinstance(rank, int) or rank < 0:
        raise ctx.error(f"metadata rank must be a non-negative integer, got {rank!r}")
    strategy = ctx.param("coldStartStrategy", "nan")
    if strategy not in _STRATEGIES:
        raise ctx.error(f"unknown coldStartStrategy {strategy!r}; Spark knows {_STRATEGIES}")
    users, user_factors = _factors(ctx, "userFactors", rank)
    items, item_factors = _factors(ctx, "itemFactors", rank)
    return ALSModel(
        ctx.uid,
        user_col=ctx.param("userCol", "user"),
        item_col=ctx.param("itemCol", "item"),
        prediction_col=ctx.param("predictionCol", "prediction"),
        drop_cold=strategy == "drop",
        users=users, items=items, user_factors=user_factors, item_factors=item_factors,
        info=ctx.info(rank=rank, num_users=len(users), num_items=len(items)),
    )
