"""Loaders for the fitted selectors, PCAModel, the LSH models and TargetEncoderModel.

Selectors (ChiSqSelectorModel, UnivariateFeatureSelectorModel, VarianceThresholdSelectorModel)
write one row ``selectedFeatures: array<int>`` (Spark >= 3.1; the same in 4.x). ChiSqSelector's
are strictly increasing (SelectorModel requires it), and so are VarianceThresholdSelector's;
UnivariateFeatureSelector saves them in score order and its transform sorts them. PCAModel writes ``pc: matrix`` (numFeatures x k) and
``explainedVariance: vector``; Spark 1.6 wrote ``pc`` alone.
"""

from __future__ import annotations

import numpy as np

from servelib.loaders.context import StageContext
from servelib.loaders.parquet import field, to_matrix, to_vector
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


def _selector(ctx: StageContext, cls: type[SelectorModel], sort: bool = False) -> SelectorModel:
    selected = tuple(int(i) for i in field(ctx.data_row(), "selectedFeatures", ctx.path) or ())
    if sort:
        selected = tuple(sorted(selected))
    if any(b <= a for a, b in zip(selected, selected[1:])) or any(i < 0 for i in selected):
        raise ctx.error(f"selectedFeatures {list(selected)} must be strictly increasing and "
                        "non-negative (Spark: Index should be strictly increasing.)")
    return cls(
        ctx.uid,
        features_col=ctx.param("featuresCol", "features"),
        output_col=ctx.param("outputCol"),
        selected=selected,
        info=ctx.info(selected_features=list(selected)),
    )


def load_chisq_selector(ctx: StageContext) -> SelectorModel:
    return _selector(ctx, ChiSqSelectorModel)


def load_univariate_selector(ctx: StageContext) -> SelectorModel:
    return _selector(ctx, UnivariateFeatureSelectorModel, sort=True)


def load_variance_threshold_selector(ctx: StageContext) -> SelectorModel:
    return _selector(ctx, VarianceThresholdSelectorModel)


def load_pca(ctx: StageContext) -> PCAModel:
    pc = to_matrix(field(ctx.data_row(), "pc", ctx.path), ctx.path)
    return PCAModel(
        ctx.uid,
        input_col=ctx.param("inputCol"),
        output_col=ctx.param("outputCol"),
        pc=pc,
        info=ctx.info(num_features=int(pc.shape[0]), k=int(pc.shape[1])),
    )


def load_minhash_lsh(ctx: StageContext) -> MinHashLSHModel:
    """``randCoefficients: array<int>``: a0, b0, a1, b1, ... (one pair per hash table)."""
    flat = [int(v) for v in field(ctx.data_row(), "randCoefficients", ctx.path) or ()]
    if len(flat) % 2 or not flat:
        raise ctx.error(f"randCoefficients must hold (a, b) pairs, got {len(flat)} numbers")
    pairs = tuple(zip(flat[0::2], flat[1::2]))
    if any(not (0 < a < HASH_PRIME and 0 <= b < HASH_PRIME) for a, b in pairs):
        raise ctx.error("randCoefficients out of range [1, HASH_PRIME) x [0, HASH_PRIME)")
    return MinHashLSHModel(ctx.uid, input_col=ctx.param("inputCol"),
                           output_col=ctx.param("outputCol"), coefficients=pairs,
                           info=ctx.info(num_hash_tables=len(pairs)))


def load_bucketed_random_projection_lsh(ctx: StageContext) -> BucketedRandomProjectionLSHModel:
    """``randUnitVectors``: a matrix, one row per hash table (Spark 3.x and 4.x; Spark 2.x
    wrote an array of vectors under the same name)."""
    item = field(ctx.data_row(), "randUnitVectors", ctx.path)
    if isinstance(item, dict):
        matrix = to_matrix(item, ctx.path)
    else:
        matrix = np.vstack([to_vector(v, ctx.path) for v in item or ()])
    length = float(ctx.param("bucketLength"))
    if not length > 0.0:
        raise ctx.error(f"bucketLength must be > 0, got {length}")
    return BucketedRandomProjectionLSHModel(
        ctx.uid, input_col=ctx.param("inputCol"), output_col=ctx.param("outputCol"),
        bucket_length=length, matrix=matrix,
        info=ctx.info(num_hash_tables=int(matrix.shape[0]), num_features=int(matrix.shape[1])))


def load_target_encoder(ctx: StageContext) -> TargetEncoderModel:
    """Spark 4.x: one data row per input column, ``index, categories, counts, stats``."""
    inputs, outputs = ctx.in_out_cols()
    target = ctx.param("targetType", "binary")
    if target not in ("binary", "continuous"):
        raise ctx.error(f"unknown targetType {target!r}")
    handle = ctx.param("handleInvalid", "error")
    if handle not in ("keep", "error"):
        raise ctx.error(f"TargetEncoder takes handleInvalid 'keep' or 'error', not {handle!r}")
    smoothing = float(ctx.param("smoothing", 0.0))
    rows = sorted(ctx.data().to_pylist(), key=lambda r: r["index"])
    if [r["index"] for r in rows] != list(range(len(inputs))):
        raise ctx.error(f"data holds statistics for columns {[r['index'] for r in rows]}, "
                        f"expected one per input column ({len(inputs)})")
    encodings = []
    for row in rows:
        stats = {float(c): (float(n), float(s)) for c, n, s in
                 zip(row["categories"], row["counts"], row["stats"])}
        if UNSEEN_CATEGORY not in stats:
            raise ctx.error(f"column {row['index']} lacks the global (unseen) statistics")
        g_count, g_stat = stats[UNSEEN_CATEGORY]
        codes = {c: blend(n, s, g_count, g_stat, smoothing, target == "binary")
                 for c, (n, s) in stats.items()}
        encodings.append(Encoding(
            codes={c: v for c, v in codes.items() if c not in (UNSEEN_CATEGORY, NULL_CATEGORY)},
            null_code=codes.get(NULL_CATEGORY), unseen_code=codes[UNSEEN_CATEGORY]))
    return TargetEncoderModel(ctx.uid, input_cols=inputs, output_cols=outputs,
                              encodings=tuple(encodings), keep_invalid=handle == "keep",
                              info=ctx.info(num_categories=[len(e.codes) for e in encodings]))
