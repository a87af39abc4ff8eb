"""Loaders for DecisionTree, RandomForest and GBT models (classification and regression).

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/tree/treeModels.scala
On disk (read by column name, all part files):

* a single tree: ``data/`` holds one row per node: id (pre-order), prediction, impurity,
  impurityStats, rawCount (Spark >= 3.0; not needed here), gain, leftChild, rightChild (-1 for
  leaves) and split {featureIndex, leftCategoriesOrThreshold, numCategories (-1: continuous)};
* an ensemble: ``data/`` holds (treeID, nodeData: the node struct above) and ``treesMetadata/``
  one row per tree (treeID, metadata JSON, weights); the stage metadata adds numFeatures,
  numClasses, numTrees.

Version branches: treesMetadata's columns are named (treeID, metadata, weights) by Spark 3.x and
(_1, _2, _3) by Spark 4.x. ``prediction_has_features_metadata``: Spark 3.x GBTRegressionModel
gave its prediction column the features column's metadata. ``dot_lanes``: a GBT margin is a
netlib ddot whose partial-sum layout is 4 lanes in Spark 3.x (Java11BLAS) and the JVM's vector
species in Spark 4.x (VectorBLAS: 8 lanes on the AVX-512 machine the fixtures come from); see
transformers/tree/scoring.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from servelib.loaders.context import StageContext
from servelib.loaders.params import BadValue
from servelib.loaders.tree_checks import check_preorder, walk
from servelib.transformers.tree.classifiers import (
    DecisionTreeClassificationModel,
    GBTClassificationModel,
    RandomForestClassificationModel,
    class_distribution,
)
from servelib.transformers.tree.flat import Forest, forest_from_table
from servelib.transformers.tree.importances import feature_importances
from servelib.transformers.tree.layout import NodeTable
from servelib.transformers.tree.regressors import (
    DecisionTreeRegressionModel,
    GBTRegressionModel,
    RandomForestRegressionModel,
    leaf_variance,
)

_NODE = ("id", "prediction", "impurityStats", "gain", "leftChild", "rightChild", "split")
_SPLIT = ("featureIndex", "leftCategoriesOrThreshold", "numCategories")


def _dot_lanes(ctx: StageContext) -> int:
    return 8 if ctx.meta.version >= (4, 0) else 4


def _fields(ctx: StageContext, names: list[str], wanted: tuple[str, ...], where: str) -> None:
    missing = [n for n in wanted if n not in names]
    if missing:
        raise ctx.error(f"{where} lacks {missing} (has {sorted(names)})", _data_dir(ctx))


def _data_dir(ctx: StageContext, folder: str = "data") -> str:
    return ctx.mfs.join(ctx.path, folder)


def _numbers(ctx: StageContext, arr: pa.Array | pa.ChunkedArray, name: str, dtype: type,
             folder: str = "data") -> np.ndarray:
    """A non-null integer (or, for float64, numeric) column as NumPy."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    kind = pa.types.is_integer if dtype is np.int64 else (
        lambda t: pa.types.is_floating(t) or pa.types.is_integer(t))
    if not kind(arr.type) or arr.null_count:
        raise ctx.error(f"column {name!r} must hold non-null "
                        f"{'integers' if dtype is np.int64 else 'numbers'}, got {arr.type} with "
                        f"{arr.null_count} nulls", _data_dir(ctx, folder))
    return np.asarray(_numpy(arr), dtype=dtype)


def _numpy(arr: pa.Array) -> np.ndarray:
    """A non-null numeric Arrow array as NumPy, read from its data buffer: ``to_numpy`` imports
    pandas where it is installed (half a second of a fresh process's first prediction)."""
    dtype = np.dtype(arr.type.to_pandas_dtype())
    return np.frombuffer(arr.buffers()[1], dtype=dtype, count=len(arr),
                         offset=arr.offset * dtype.itemsize)


def _lists(ctx: StageContext, arr: pa.Array, name: str, order: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """A column of non-null lists of numbers, its rows taken in ``order``: all their values back
    to back, and where each row's values start (then where the last row's end)."""
    if not (pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)) or arr.null_count:
        raise ctx.error(f"column {name!r} must hold non-null lists of numbers, got {arr.type}",
                        _data_dir(ctx))
    off = np.asarray(_numpy(arr.offsets), dtype=np.int64)
    # the values the offsets span, not flatten(): that imports pyarrow.compute
    flat = _numbers(ctx, arr.values.slice(off[0], off[-1] - off[0]), name, np.float64)
    counts = np.diff(off)[order]
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    starts = off[:-1][order] - off[0]
    return flat[np.repeat(starts - bounds[:-1], counts) + np.arange(bounds[-1])], bounds


class _Nodes:
    """The node table of all trees, sorted by (tree, id), as NumPy arrays, checked: one root
    per tree, children in range, each node reached once in pre-order (tree_checks.py), a depth
    limit, leaves exactly where Spark's reader builds them (leftChild == -1), split features in
    [0, numFeatures), categorical splits Spark's CategoricalSplit would accept."""

    def __init__(self, ctx: StageContext, ensemble: bool) -> None:
        table = ctx.data()
        limits = ctx.limits
        if ensemble:
            _fields(ctx, table.column_names, ("treeID", "nodeData"), "data/")
            struct = table.column("nodeData").combine_chunks()
            tree_id = _numbers(ctx, table.column("treeID"), "treeID", np.int64)
        else:
            _fields(ctx, table.column_names, _NODE, "data/")
            struct = pa.StructArray.from_arrays([table.column(n).combine_chunks() for n in _NODE],
                                                list(_NODE))
            tree_id = np.zeros(table.num_rows, dtype=np.int64)
        if not pa.types.is_struct(struct.type) or struct.null_count:
            raise ctx.error(f"node data must be non-null structs, got {struct.type}",
                            _data_dir(ctx))
        _fields(ctx, [f.name for f in struct.type], _NODE, "node data")
        split = struct.field("split")
        if not pa.types.is_struct(split.type):
            raise ctx.error(f"node splits must be structs, got {split.type}", _data_dir(ctx))
        _fields(ctx, [f.name for f in split.type], _SPLIT, "node splits")
        node_id = _numbers(ctx, struct.field("id"), "id", np.int64)
        order = np.lexsort((node_id, tree_id))
        self.tree_id, node_id = tree_id[order], node_id[order]
        # reordered in NumPy: Arrow's take imports pyarrow.compute (a fresh process's first
        # prediction pays for every import)
        def column(arr: pa.Array, name: str, dtype: type) -> np.ndarray:
            return _numbers(ctx, arr, name, dtype)[order]

        self.prediction = column(struct.field("prediction"), "prediction", np.float64)
        self.gain = column(struct.field("gain"), "gain", np.float64)
        self.left = column(struct.field("leftChild"), "leftChild", np.int64)
        self.right = column(struct.field("rightChild"), "rightChild", np.int64)
        leaf = self.left == -1  # Spark's reader: leftChild != -1 builds an internal node
        feature = column(split.field("featureIndex"), "featureIndex", np.int64)
        num_categories = column(split.field("numCategories"), "numCategories", np.int64)
        self.feature = np.where(leaf, -1, feature)
        self.num_categories = np.where(leaf, -1, num_categories)
        self.values, self.value_bounds = _lists(ctx, split.field("leftCategoriesOrThreshold"),
                                                "leftCategoriesOrThreshold", order)
        stats, stat_bounds = _lists(ctx, struct.field("impurityStats"), "impurityStats", order)
        widths = np.unique(np.diff(stat_bounds))
        if len(widths) > 1:
            raise ctx.error(f"impurityStats of different lengths {widths[:10].tolist()}",
                            _data_dir(ctx))
        self.stats = stats.reshape(len(order), int(widths[0]) if len(widths) else 0)
        first = np.ones(len(order), dtype=bool)  # sorted: a tree starts where its id changes
        first[1:] = self.tree_id[1:] != self.tree_id[:-1]
        self.trees = self.tree_id[first]
        if len(self.trees) == 0:
            raise ctx.error("model data holds no tree nodes", _data_dir(ctx))
        if len(self.trees) > limits.max_trees or len(node_id) > limits.max_nodes:
            raise ctx.error(f"{len(self.trees)} trees of {len(node_id)} nodes exceed LoadLimits "
                            f"(max_trees {limits.max_trees}, max_nodes {limits.max_nodes})",
                            _data_dir(ctx))
        bounds = np.searchsorted(self.tree_id, np.append(self.trees, self.trees[-1] + 1))
        self.bounds = bounds
        start = np.repeat(bounds[:-1], np.diff(bounds))
        if not np.array_equal(node_id, np.arange(len(node_id)) - start):
            t = int(self.tree_id[np.flatnonzero(node_id != np.arange(len(node_id)) - start)[0]])
            raise ctx.error(f"tree {t}: node ids are not 0..(nodes - 1)", _data_dir(ctx))
        try:
            self.depth = self._check(ctx, start, leaf)
        except BadValue as exc:
            raise ctx.error(f"bad tree structure: {exc}", _data_dir(ctx)) from None

    def _check(self, ctx: StageContext, start: np.ndarray, leaf: np.ndarray) -> int:
        """Structure, features and categorical splits; the deepest tree's depth."""
        glob = lambda c: np.where(leaf, -1, c + start)  # noqa: E731 - children as global ids
        left, right = glob(self.left), glob(self.right)
        found = walk(left, right, self.bounds[:-1], self.tree_id, ctx.limits.max_tree_depth)
        check_preorder(left, right, found, start)
        num_features = _num_features(ctx)
        inner = np.flatnonzero(~leaf)
        bad = inner[(self.feature[inner] < 0) | (self.feature[inner] >= num_features)]
        if bad.size:
            raise BadValue(f"tree {int(self.tree_id[bad[0]])} node {int(bad[0] - start[bad[0]])} "
                           f"splits on feature {int(self.feature[bad[0]])}, outside "
                           f"[0, numFeatures={num_features})")
        cats = self.num_categories[inner]
        if ((cats < -1) | (cats == 0)).any() or cats.max(initial=0) > ctx.limits.max_vector_size \
                or int(cats[cats > 0].sum()) > ctx.limits.max_vector_size:
            raise BadValue("numCategories must be -1 (continuous) or a positive category count "
                           "(total within LoadLimits.max_vector_size), got "
                           f"{sorted(set(cats.tolist()))[:5]}")
        counts = np.diff(self.value_bounds)
        wrong = inner[(cats == -1) & (counts[inner] != 1)]  # a continuous split's thresholds
        # each value of a categorical split with the node's numCategories
        owner = np.repeat(np.arange(len(leaf)), counts)
        ncat, v = self.num_categories[owner], self.values
        outside = (ncat > 0) & ~((v >= 0) & (v < ncat) & (v == np.floor(v)))
        first = min(wrong[:1].tolist() + owner[outside][:1].tolist(), default=None)
        if first is not None:  # the first node at fault, as a node-by-node check finds it
            node, ncat_first = int(first - start[first]), int(self.num_categories[first])
            raise BadValue(f"node {node}: a continuous split holds {int(counts[first])} thresholds"
                           if ncat_first == -1 else
                           f"node {node}: left categories outside 0..{ncat_first - 1}")
        return int(found.depth.max())

    def table(self) -> NodeTable:
        return NodeTable(self.bounds, self.left, self.right, self.feature, self.num_categories,
                         self.values, self.value_bounds)

    def importances(self, count: np.ndarray, num_features: int, per_tree: bool) -> list[float]:
        return feature_importances(self.bounds, self.feature, self.gain, count, num_features,
                                   per_tree)


def _num_features(ctx: StageContext) -> int:
    """The metadata's numFeatures (Spark's tree readers extract it; a split must stay below)."""
    return ctx.extra.integer("numFeatures", lo=0, hi=ctx.limits.max_vector_size)


def _check_num_trees(ctx: StageContext, nodes: _Nodes) -> None:
    """The ensemble readers' ``require(numTrees == trees.length)``."""
    num_trees = ctx.extra.integer("numTrees", lo=0, hi=ctx.limits.max_trees)
    if num_trees != len(nodes.trees):
        raise ctx.param_error(f"metadata numTrees={num_trees} but data/ holds "
                              f"{len(nodes.trees)} trees")


def _weights(ctx: StageContext, nodes: _Nodes) -> np.ndarray:
    table = ctx.data("treesMetadata")
    names = ("treeID", "weights") if "treeID" in table.column_names else ("_1", "_3")
    _fields(ctx, table.column_names, names, "treesMetadata/")
    ids = _numbers(ctx, table.column(names[0]), names[0], np.int64, "treesMetadata")
    if not np.array_equal(np.sort(ids), nodes.trees):
        raise ctx.error(f"treesMetadata has trees {sorted(ids.tolist())[:10]} "
                        f"but data/ has {nodes.trees.tolist()[:10]}",
                        _data_dir(ctx, "treesMetadata"))
    weights = _numbers(ctx, table.column(names[1]), names[1], np.float64, "treesMetadata")
    return weights[np.argsort(ids)]


def _facts(ctx: StageContext, forest: Forest, nodes: _Nodes, classification: bool,
           per_tree_normalization: bool, **extra: Any) -> dict:
    """``servelib inspect`` facts; an impurity calculator's count is the sum of the class
    counts (gini, entropy) or the first stat (variance)."""
    count = nodes.stats.sum(axis=1) if classification else nodes.stats[:, 0]
    num_features = _num_features(ctx)
    return ctx.info(num_trees=forest.num_trees, max_depth=forest.depth,
                    num_nodes=forest.num_nodes, num_features=num_features,
                    feature_importances=nodes.importances(count, num_features,
                                                          per_tree_normalization), **extra)


def _classifier_kw(ctx: StageContext, nodes: _Nodes, num_classes: int | None = None) -> dict:
    if num_classes is None:  # DecisionTree, RandomForest: the leaves' class counts
        num_classes = ctx.extra.integer("numClasses", lo=1, hi=ctx.limits.max_vector_size)
        if nodes.stats.shape[1] != num_classes:
            raise ctx.error(f"impurityStats hold {nodes.stats.shape[1]} classes, "
                            f"metadata says numClasses={num_classes}", _data_dir(ctx))
    thresholds = None
    if ctx.meta.has("thresholds"):
        thresholds = ctx.params.doubles("thresholds")
        if not all(t >= 0 for t in thresholds) or thresholds.count(0.0) > 1:
            raise ctx.param_error("param 'thresholds' must be >= 0 with at most one 0")
        if len(thresholds) != num_classes:  # Spark's transform() fails this require every call
            raise ctx.param_error(f"thresholds has length {len(thresholds)} "
                                  f"but numClasses={num_classes}")
    return dict(
        features_col=ctx.params.string("featuresCol", "features"),
        prediction_col=ctx.params.string("predictionCol", "prediction"),
        raw_prediction_col=ctx.params.string("rawPredictionCol", "rawPrediction"),
        probability_col=ctx.params.string("probabilityCol", "probability"),
        leaf_col=ctx.params.string("leafCol", ""),
        num_classes=num_classes, thresholds=thresholds,
        num_features=_num_features(ctx),
    )


def _regressor_kw(ctx: StageContext) -> dict[str, Any]:
    return dict(
        features_col=ctx.params.string("featuresCol", "features"),
        prediction_col=ctx.params.string("predictionCol", "prediction"),
        leaf_col=ctx.params.string("leafCol", ""),
        num_features=_num_features(ctx),
    )


def _read(ctx: StageContext, ensemble: bool) -> tuple[_Nodes, Forest]:
    nodes = _Nodes(ctx, ensemble)
    if ensemble:
        _check_num_trees(ctx, nodes)
    return nodes, forest_from_table(nodes.table())


def _boosted(ctx: StageContext, nodes: _Nodes) -> tuple[dict[str, Any], list[float]]:
    """GBT: each node's prediction times its tree's weight, and the netlib ddot layout."""
    weights = _weights(ctx, nodes)
    weighted = nodes.prediction * weights[np.searchsorted(nodes.trees, nodes.tree_id)]
    return dict(weighted=weighted, dot_lanes=_dot_lanes(ctx)), weights.tolist()


def load_decision_tree_classifier(ctx: StageContext) -> DecisionTreeClassificationModel:
    nodes, forest = _read(ctx, ensemble=False)
    kw = _classifier_kw(ctx, nodes)
    return DecisionTreeClassificationModel(
        ctx.uid, **kw, forest=forest, stats=nodes.stats, node_prediction=nodes.prediction,
        info=_facts(ctx, forest, nodes, True, True, num_classes=kw["num_classes"]))


def load_random_forest_classifier(ctx: StageContext) -> RandomForestClassificationModel:
    nodes, forest = _read(ctx, ensemble=True)
    kw = _classifier_kw(ctx, nodes)
    return RandomForestClassificationModel(
        ctx.uid, **kw, forest=forest, distribution=class_distribution(nodes.stats),
        info=_facts(ctx, forest, nodes, True, True, num_classes=kw["num_classes"]))


def load_gbt_classifier(ctx: StageContext) -> GBTClassificationModel:
    nodes, forest = _read(ctx, ensemble=True)
    boost, weights = _boosted(ctx, nodes)
    return GBTClassificationModel(
        ctx.uid, **_classifier_kw(ctx, nodes, num_classes=2), forest=forest, **boost,
        info=_facts(ctx, forest, nodes, False, False, tree_weights=weights))


def load_decision_tree_regressor(ctx: StageContext) -> DecisionTreeRegressionModel:
    nodes, forest = _read(ctx, ensemble=False)
    variance_col = ctx.params.string("varianceCol", "")
    return DecisionTreeRegressionModel(
        ctx.uid, **_regressor_kw(ctx), variance_col=variance_col, forest=forest,
        node_prediction=nodes.prediction, node_variance=leaf_variance(nodes.stats),
        info=_facts(ctx, forest, nodes, False, True))


def load_random_forest_regressor(ctx: StageContext) -> RandomForestRegressionModel:
    nodes, forest = _read(ctx, ensemble=True)
    return RandomForestRegressionModel(
        ctx.uid, **_regressor_kw(ctx), forest=forest, node_prediction=nodes.prediction,
        info=_facts(ctx, forest, nodes, False, True))


def load_gbt_regressor(ctx: StageContext) -> GBTRegressionModel:
    nodes, forest = _read(ctx, ensemble=True)
    boost, weights = _boosted(ctx, nodes)
    return GBTRegressionModel(
        ctx.uid, **_regressor_kw(ctx), forest=forest, **boost,
        prediction_has_features_metadata=ctx.meta.version < (4, 0),
        info=_facts(ctx, forest, nodes, False, False, tree_weights=weights))
