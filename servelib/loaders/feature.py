"""Loaders for the categorical encoders: StringIndexerModel, IndexToString, OneHotEncoderModel,
VectorIndexerModel. Spark-version differences in the saved data live here."""

from __future__ import annotations

from typing import Any

from servelib.loaders.context import StageContext
from servelib.loaders.parquet import field
from servelib.transformers.base import HandleInvalid
from servelib.transformers.feature.index_to_string import IndexToString
from servelib.transformers.feature.one_hot import OneHotEncoderModel
from servelib.transformers.feature.string_indexer import StringIndexerModel
from servelib.transformers.feature.vector_indexer import CategoryMap, VectorIndexerModel


# ---- StringIndexerModel -----------------------------------------------------------------------
def load_string_indexer(ctx: StageContext) -> StringIndexerModel:
    inputs, outputs = ctx.in_out_cols()
    data = ctx.data_row()
    if ctx.meta.version < (3, 0) or ("labelsArray" not in data and "labels" in data):
        labels = _labels_spark2(ctx, data)
    else:
        labels = _labels_array(ctx, data)
    if len(labels) != len(inputs):
        raise ctx.error(f"{len(labels)} label arrays for {len(inputs)} input columns")
    return StringIndexerModel(
        ctx.uid,
        input_cols=inputs,
        output_cols=outputs,
        labels=labels,
        handle_invalid=ctx.handle_invalid(),
        info=ctx.info(num_labels=[len(x) for x in labels]),
    )


def _labels_array(ctx: StageContext, data: dict[str, Any]) -> tuple[tuple[str, ...], ...]:
    """Spark 3.0+: ``labelsArray: array<array<string>>``, one array per input column."""
    arrays = field(data, "labelsArray", ctx.path)
    return tuple(tuple(labels) for labels in arrays)


def _labels_spark2(ctx: StageContext, data: dict[str, Any]) -> tuple[tuple[str, ...], ...]:
    """Spark 2.x: ``labels: array<string>``, a single input column."""
    return (tuple(field(data, "labels", ctx.path)),)


# ---- IndexToString ----------------------------------------------------------------------------
def load_index_to_string(ctx: StageContext) -> IndexToString:
    labels = ctx.param("labels", None)
    return IndexToString(
        ctx.uid,
        input_col=ctx.param("inputCol"),
        output_col=ctx.param("outputCol"),
        labels=tuple(labels) if labels else None,  # empty labels: Spark uses the attribute
        sql_expression=ctx.meta.version >= (4, 1),  # SPARK-51963: built-ins replaced the UDF
        info=ctx.info(),
    )


# ---- OneHotEncoderModel -----------------------------------------------------------------------
def load_one_hot_encoder(ctx: StageContext) -> OneHotEncoderModel:
    handle = ctx.handle_invalid()
    if handle is HandleInvalid.SKIP:
        raise ctx.error("OneHotEncoder supports handleInvalid 'error' or 'keep', not 'skip'")
    inputs, outputs = ctx.in_out_cols()
    sizes = tuple(int(s) for s in field(ctx.data_row(), "categorySizes", ctx.path))
    if len(sizes) != len(inputs):
        raise ctx.error(f"{len(sizes)} categorySizes for {len(inputs)} input columns")
    return OneHotEncoderModel(
        ctx.uid,
        input_cols=inputs,
        output_cols=outputs,
        category_sizes=sizes,
        drop_last=bool(ctx.param("dropLast", True)),
        keep_invalid=handle is HandleInvalid.KEEP,
        info=ctx.info(category_sizes=list(sizes)),
    )


# ---- VectorIndexerModel -----------------------------------------------------------------------
def load_vector_indexer(ctx: StageContext) -> VectorIndexerModel:
    data = ctx.data_row()
    num_features = int(field(data, "numFeatures", ctx.path))
    raw = field(data, "categoryMaps", ctx.path)
    # pyarrow gives a Parquet map as a list of (key, value) pairs
    pairs = raw.items() if isinstance(raw, dict) else raw or ()
    maps = []
    for feature, mapping in sorted(pairs, key=lambda kv: kv[0]):
        inner = dict(mapping.items() if isinstance(mapping, dict) else mapping or ())
        if not 0 <= feature < num_features:
            raise ctx.error(f"categoryMaps has feature {feature} outside [0, {num_features})")
        if not inner:
            raise ctx.error(f"categoryMaps has an empty map for feature {feature}")
        maps.append(CategoryMap.of(int(feature), {float(k): int(v) for k, v in inner.items()}))
    return VectorIndexerModel(
        ctx.uid,
        input_col=ctx.param("inputCol"),
        output_col=ctx.param("outputCol"),
        num_features=num_features,
        category_maps=tuple(maps),
        handle_invalid=ctx.handle_invalid(),
        # SPARK-58293 (4.3): output attributes follow handleInvalid; before, they ignored it
        eager_attributes=ctx.meta.version < (4, 3),
        info=ctx.info(num_features=num_features, categorical_features=[m.feature for m in maps]),
    )
