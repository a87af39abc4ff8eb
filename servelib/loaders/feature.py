"""Loaders for the categorical encoders: StringIndexerModel, IndexToString, OneHotEncoderModel,
VectorIndexerModel. Spark-version differences in the saved data live here."""

from __future__ import annotations

from typing import Any

from servelib.loaders.context import StageContext
from servelib.loaders.params import (
    BadValue,
    Fields,
    as_double,
    as_int,
    as_list,
    as_strings,
)
from servelib.transformers.base import HandleInvalid
from servelib.transformers.feature.index_to_string import IndexToString
from servelib.transformers.feature.one_hot import OneHotEncoderModel
from servelib.transformers.feature.string_indexer import StringIndexerModel
from servelib.transformers.feature.vector_indexer import CategoryMap, VectorIndexerModel


# ---- StringIndexerModel -----------------------------------------------------------------------
def load_string_indexer(ctx: StageContext) -> StringIndexerModel:
    inputs, outputs = ctx.in_out_cols()
    data = ctx.data_fields()
    if ctx.meta.version < (3, 0) or (not data.has("labelsArray") and data.has("labels")):
        labels = _labels_spark2(ctx, data)
    else:
        labels = _labels_array(ctx, data)
    if len(labels) != len(inputs):
        raise ctx.error(f"{len(labels)} label arrays for {len(inputs)} input columns",
                        ctx.mfs.join(ctx.path, "data"))
    return StringIndexerModel(
        ctx.uid,
        input_cols=inputs,
        output_cols=outputs,
        labels=labels,
        handle_invalid=ctx.handle_invalid(),
        info=ctx.info(num_labels=[len(x) for x in labels]),
    )


def _labels_array(ctx: StageContext, data: Fields) -> tuple[tuple[str, ...], ...]:
    """Spark 3.0+: ``labelsArray: array<array<string>>``, one array per input column."""
    limit = ctx.limits.max_labels

    def convert(value: Any) -> tuple[tuple[str, ...], ...]:
        return tuple(as_strings(labels, limit) for labels in as_list(value, limit))
    return data.read("labelsArray", convert)


def _labels_spark2(ctx: StageContext, data: Fields) -> tuple[tuple[str, ...], ...]:
    """Spark 2.x: ``labels: array<string>``, a single input column."""
    return (data.strings("labels", limit=ctx.limits.max_labels),)


# ---- IndexToString ----------------------------------------------------------------------------
def load_index_to_string(ctx: StageContext) -> IndexToString:
    labels = ctx.params.strings("labels", None, limit=ctx.limits.max_labels)
    return IndexToString(
        ctx.uid,
        input_col=ctx.params.string("inputCol"),
        output_col=ctx.params.string("outputCol"),
        labels=tuple(labels) if labels else None,  # empty labels: Spark uses the attribute
        sql_expression=ctx.meta.version >= (4, 1),  # SPARK-51963: built-ins replaced the UDF
        info=ctx.info(),
    )


# ---- OneHotEncoderModel -----------------------------------------------------------------------
def load_one_hot_encoder(ctx: StageContext) -> OneHotEncoderModel:
    handle = ctx.handle_invalid()
    if handle is HandleInvalid.SKIP:
        raise ctx.param_error("OneHotEncoder supports handleInvalid 'error' or 'keep', not 'skip'")
    inputs, outputs = ctx.in_out_cols()
    sizes = ctx.data_fields().integers("categorySizes", lo=0, hi=ctx.limits.max_vector_size)
    if len(sizes) != len(inputs):
        raise ctx.error(f"{len(sizes)} categorySizes for {len(inputs)} input columns",
                        ctx.mfs.join(ctx.path, "data"))
    return OneHotEncoderModel(
        ctx.uid,
        input_cols=inputs,
        output_cols=outputs,
        category_sizes=sizes,
        drop_last=ctx.params.boolean("dropLast", True),
        keep_invalid=handle is HandleInvalid.KEEP,
        info=ctx.info(category_sizes=list(sizes)),
    )


# ---- VectorIndexerModel -----------------------------------------------------------------------
def load_vector_indexer(ctx: StageContext) -> VectorIndexerModel:
    data = ctx.data_fields()
    num_features = data.integer("numFeatures", lo=0, hi=ctx.limits.max_vector_size)
    maps = data.read("categoryMaps", lambda raw: _category_maps(raw, num_features,
                                                                 ctx.limits.max_vector_size))
    return VectorIndexerModel(
        ctx.uid,
        input_col=ctx.params.string("inputCol"),
        output_col=ctx.params.string("outputCol"),
        num_features=num_features,
        category_maps=tuple(maps),
        handle_invalid=ctx.handle_invalid(),
        # SPARK-58293 (4.3): output attributes follow handleInvalid; before, they ignored it
        eager_attributes=ctx.meta.version < (4, 3),
        info=ctx.info(num_features=num_features, categorical_features=[m.feature for m in maps]),
    )


def _pairs(value: Any, limit: int) -> list[tuple[Any, Any]]:
    """pyarrow gives a Parquet map as a list of (key, value) pairs."""
    pairs = list(value.items()) if isinstance(value, dict) else as_list(value, limit)
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise BadValue(f"expected a map, got an entry {pair!r:.80}")
    return pairs


def _category_maps(raw: Any, num_features: int, limit: int) -> tuple[CategoryMap, ...]:
    """categoryMaps: feature -> (value -> category index), indices 0..k-1 for k values."""
    maps = {}
    for feature, mapping in _pairs(raw, limit):
        feature = as_int(feature, 0, num_features - 1)
        if feature in maps:
            raise BadValue(f"feature {feature} is mapped twice")
        inner = {as_double(k): as_int(v) for k, v in _pairs(mapping, limit)}
        if sorted(inner.values()) != list(range(len(inner))) or not inner:
            raise BadValue(f"feature {feature}: category indices are not 0..k-1 for its k values")
        maps[feature] = CategoryMap.of(feature, inner)
    return tuple(maps[f] for f in sorted(maps))
