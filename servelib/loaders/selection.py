"""Loaders for the fitted selectors, PCAModel, the LSH models and TargetEncoderModel.

Selectors (ChiSqSelectorModel, UnivariateFeatureSelectorModel, VarianceThresholdSelectorModel)
write one row ``selectedFeatures: array<int>`` (Spark >= 3.1; the same in 4.x). ChiSqSelector's
are strictly increasing (SelectorModel requires it), and so are VarianceThresholdSelector's;
UnivariateFeatureSelector saves them in score order and its transform sorts them. PCAModel writes ``pc: matrix`` (numFeatures x k) and
``explainedVariance: vector``; Spark 1.6 wrote ``pc`` alone.

Spark source: https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/ChiSqSelector.scala
(and UnivariateFeatureSelector, VarianceThresholdSelector, PCA, MinHashLSH,
BucketedRandomProjectionLSH .scala beside it; TargetEncoder.scala at v4.0.0).
"""

from __future__ import annotations

import numpy as np

from servelib.loaders.context import StageContext
from servelib.loaders.params import BadValue, Fields, as_list, floats, ints
from servelib.loaders.parquet import matrix_parts, vector_parts
from servelib.transformers.feature.lsh import (
    HASH_PRIME,
    BucketedRandomProjectionLSHModel,
    MinHashLSHModel,
)
from servelib.transformers.feature.pca import PCAModel
from servelib.transformers.feature.target_encoder import (
    NULL_CATEGORY,
    UNSEEN_CATEGORY,
    Encoding,
    TargetEncoderModel,
    blend,
)
from servelib.transformers.feature.selectors import (
    ChiSqSelectorModel,
    SelectorModel,
    UnivariateFeatureSelectorModel,
    VarianceThresholdSelectorModel,
)


def _data_dir(ctx: StageContext) -> str:
    return ctx.mfs.join(ctx.path, "data")


def _selector(ctx: StageContext, cls: type[SelectorModel], sort: bool = False) -> SelectorModel:
    limit = ctx.limits.max_vector_size
    selected = ctx.data_fields().integers("selectedFeatures", limit=limit, lo=0, hi=limit - 1)
    if sort:
        selected = tuple(sorted(selected))
    if any(b <= a for a, b in zip(selected, selected[1:])):
        raise ctx.error(f"data column 'selectedFeatures' {list(selected)[:20]} must be strictly "
                        "increasing (Spark: Index should be strictly increasing.)",
                        _data_dir(ctx))
    return cls(
        ctx.uid,
        features_col=ctx.params.string("featuresCol", "features"),
        output_col=ctx.params.string("outputCol"),
        selected=selected,
        info=ctx.info(selected_features=list(selected)),
    )


def load_chisq_selector(ctx: StageContext) -> SelectorModel:
    return _selector(ctx, ChiSqSelectorModel)


def load_univariate_selector(ctx: StageContext) -> SelectorModel:
    return _selector(ctx, UnivariateFeatureSelectorModel, sort=True)


def load_variance_threshold_selector(ctx: StageContext) -> SelectorModel:
    return _selector(ctx, VarianceThresholdSelectorModel)


def _finite_matrix(ctx: StageContext, data: Fields, name: str) -> np.ndarray:
    def convert(value: object) -> np.ndarray:
        matrix = matrix_parts(value, ctx.limits.max_vector_size)[0]
        if not np.isfinite(matrix).all():
            raise BadValue("holds a non-finite value")
        return matrix
    return data.read(name, convert)


def load_pca(ctx: StageContext) -> PCAModel:
    pc = _finite_matrix(ctx, ctx.data_fields(), "pc")
    if 0 in pc.shape:
        raise ctx.error(f"data column 'pc' is an empty {pc.shape[0]} x {pc.shape[1]} matrix",
                        _data_dir(ctx))
    return PCAModel(
        ctx.uid,
        input_col=ctx.params.string("inputCol"),
        output_col=ctx.params.string("outputCol"),
        pc=pc,
        info=ctx.info(num_features=int(pc.shape[0]), k=int(pc.shape[1])),
    )


def _coefficients(value: object, limit: int) -> tuple[tuple[int, int], ...]:
    """a0, b0, a1, b1, ...: one pair per hash table, a in [1, prime), b in [0, prime)."""
    flat = ints(value, limit, 0, HASH_PRIME - 1).tolist()
    if len(flat) % 2 or not flat:
        raise BadValue(f"must hold (a, b) pairs, got {len(flat)} numbers")
    pairs = tuple(zip(flat[0::2], flat[1::2]))
    if any(a == 0 for a, _ in pairs):
        raise BadValue("a coefficient a is 0 (Spark draws a from [1, HASH_PRIME))")
    return pairs


def load_minhash_lsh(ctx: StageContext) -> MinHashLSHModel:
    """``randCoefficients: array<int>``: a0, b0, a1, b1, ... (one pair per hash table)."""
    pairs = ctx.data_fields().read(
        "randCoefficients", lambda v: _coefficients(v, ctx.limits.max_vector_size))
    return MinHashLSHModel(ctx.uid, input_col=ctx.params.string("inputCol"),
                           output_col=ctx.params.string("outputCol"), coefficients=pairs,
                           info=ctx.info(num_hash_tables=len(pairs)))


def _unit_vectors(value: object, limit: int) -> np.ndarray:
    """A matrix (Spark 3.x, 4.x) or an array of vectors (Spark 2.x), one row per hash table."""
    if isinstance(value, dict):
        matrix = matrix_parts(value, limit)[0]
    else:
        rows = [vector_parts(v, limit)[0] for v in as_list(value, limit)]
        if not rows or len({r.shape[0] for r in rows}) != 1:
            raise BadValue("vectors must be non-empty and of one size")
        matrix = np.vstack(rows)
    if 0 in matrix.shape or matrix.size > limit or not np.isfinite(matrix).all():
        raise BadValue(f"must be a non-empty finite matrix, got shape {matrix.shape}")
    return matrix


def load_bucketed_random_projection_lsh(ctx: StageContext) -> BucketedRandomProjectionLSHModel:
    """``randUnitVectors``: a matrix, one row per hash table (Spark 3.x and 4.x; Spark 2.x
    wrote an array of vectors under the same name)."""
    matrix = ctx.data_fields().read(
        "randUnitVectors", lambda v: _unit_vectors(v, ctx.limits.max_vector_size))
    length = ctx.params.double("bucketLength", finite=True)
    if not length > 0.0:  # BucketedRandomProjectionLSH: ParamValidators.gt(0)
        raise ctx.param_error(f"param 'bucketLength' must be > 0, got {length}")
    return BucketedRandomProjectionLSHModel(
        ctx.uid, input_col=ctx.params.string("inputCol"),
        output_col=ctx.params.string("outputCol"), bucket_length=length, matrix=matrix,
        info=ctx.info(num_hash_tables=int(matrix.shape[0]), num_features=int(matrix.shape[1])))


def load_target_encoder(ctx: StageContext) -> TargetEncoderModel:
    """Spark 4.x: one data row per input column, ``index, categories, counts, stats``."""
    inputs, outputs = ctx.in_out_cols()
    target = ctx.params.string("targetType", "binary", choices=("binary", "continuous"))
    handle = ctx.params.string("handleInvalid", "error", choices=("keep", "error"))
    smoothing = ctx.params.double("smoothing", 0.0, finite=True, lo=0.0)
    table = ctx.data()
    if table.num_rows != len(inputs):
        raise ctx.error(f"data holds {table.num_rows} rows, expected one per input column "
                        f"({len(inputs)})", _data_dir(ctx))
    missing = {"index", "categories", "counts", "stats"} - set(table.column_names)
    if missing:
        raise ctx.error(f"data lacks columns {sorted(missing)}", _data_dir(ctx))
    encodings: list[Encoding | None] = [None] * len(inputs)
    for row in table.to_pylist():
        try:
            index, encoding = _encoding(row, len(inputs), smoothing, target == "binary",
                                        ctx.limits.max_labels)
        except BadValue as exc:
            raise ctx.error(f"data row {row.get('index')!r:.20}: {exc}", _data_dir(ctx)) from None
        if encodings[index] is not None:
            raise ctx.error(f"data holds column {index} twice", _data_dir(ctx))
        encodings[index] = encoding
    done = tuple(e for e in encodings if e is not None)
    return TargetEncoderModel(ctx.uid, input_cols=inputs, output_cols=outputs,
                              encodings=done, keep_invalid=handle == "keep",
                              info=ctx.info(num_categories=[len(e.codes) for e in done]))


def _encoding(row: dict, columns: int, smoothing: float, binary: bool, limit: int
              ) -> tuple[int, Encoding]:
    index = ints([row["index"]], 1, 0, columns - 1)[0]
    categories = floats(row["categories"], limit)
    counts, stats = floats(row["counts"], limit), floats(row["stats"], limit)
    if not categories.shape == counts.shape == stats.shape:
        raise BadValue(f"columns 'categories', 'counts', 'stats' hold {len(categories)}, "
                       f"{len(counts)}, {len(stats)} entries")
    if not (np.isfinite(categories).all() and np.isfinite(counts).all()
            and np.isfinite(stats).all()) or not (counts > 0).all():
        raise BadValue("columns 'categories', 'counts', 'stats' must be finite, counts > 0")
    table = {float(c): (float(n), float(s)) for c, n, s in zip(categories, counts, stats)}
    if len(table) != len(categories):
        raise BadValue("column 'categories' holds a category twice")
    if UNSEEN_CATEGORY not in table:
        raise BadValue("column 'categories' lacks the global (unseen) statistics")
    g_count, g_stat = table[UNSEEN_CATEGORY]
    codes = {c: blend(n, s, g_count, g_stat, smoothing, binary) for c, (n, s) in table.items()}
    return int(index), Encoding(
        codes={c: v for c, v in codes.items() if c not in (UNSEEN_CATEGORY, NULL_CATEGORY)},
        null_code=codes.get(NULL_CATEGORY), unseen_code=codes[UNSEEN_CATEGORY])
