"""Loader for ALSModel (ALS.scala's ALSModelWriter, Spark 3.x and 4.x): metadata carries
``rank`` (top-level JSON); ``userFactors/`` and ``itemFactors/`` are Parquet tables
``id: int, features: array<float>``.

Spark source: https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/recommendation/ALS.scala
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from servelib.loaders.context import StageContext
from servelib.transformers.recommendation.als import ALSModel

_STRATEGIES = ("nan", "drop")


def _factors(ctx: StageContext, folder: str, rank: int) -> tuple[dict[int, int], np.ndarray]:
    table = ctx.data(folder)
    where = ctx.mfs.join(ctx.path, folder)
    if not {"id", "features"} <= set(table.column_names):
        raise ctx.error(f"{folder} has columns {table.column_names}, not (id, features)", where)
    ids_col, rows_col = table.column("id"), table.column("features")
    if not pa.types.is_integer(ids_col.type) or ids_col.null_count:
        raise ctx.error(f"column 'id' must hold non-null integers, got {ids_col.type}", where)
    if not (pa.types.is_list(rows_col.type) or pa.types.is_large_list(rows_col.type)) or \
            not pa.types.is_floating(rows_col.type.value_type) or rows_col.null_count:
        raise ctx.error(f"column 'features' must hold non-null lists of floats, got "
                        f"{rows_col.type}", where)
    ids = ids_col.to_pylist()
    if len(set(ids)) != len(ids):
        raise ctx.error("column 'id' repeats an id", where)
    rows = rows_col.to_pylist()
    if any(len(r) != rank or None in r for r in rows):
        raise ctx.error(f"column 'features' holds a factor vector that is not {rank} non-null "
                        f"numbers (rank={rank})", where)
    matrix = np.array(rows, dtype=np.float32).reshape(len(rows), rank)
    return {k: i for i, k in enumerate(ids)}, matrix


def load_als(ctx: StageContext) -> ALSModel:
    rank = ctx.extra.integer("rank", lo=1, hi=ctx.limits.max_vector_size)
    # ALSModelParams validates and reads coldStartStrategy lower-cased (Locale.ROOT)
    strategy = ctx.params.string("coldStartStrategy", "nan").lower()
    if strategy not in _STRATEGIES:
        raise ctx.param_error(f"param 'coldStartStrategy': {strategy!r} is not one of "
                              f"{list(_STRATEGIES)}")
    users, user_factors = _factors(ctx, "userFactors", rank)
    items, item_factors = _factors(ctx, "itemFactors", rank)
    return ALSModel(
        ctx.uid,
        user_col=ctx.params.string("userCol", "user"),
        item_col=ctx.params.string("itemCol", "item"),
        prediction_col=ctx.params.string("predictionCol", "prediction"),
        drop_cold=strategy == "drop",
        users=users, items=items, user_factors=user_factors, item_factors=item_factors,
        info=ctx.info(rank=rank, num_users=len(users), num_items=len(items)),
    )
