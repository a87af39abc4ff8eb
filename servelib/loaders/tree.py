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
from servelib.transformers.tree.classifiers import (
    DecisionTreeClassificationModel,
    GBTClassificationModel,
    RandomForestClassificationModel,
    class_distribution,
)
from servelib.transformers.tree.flat import Forest, TreeNodes, build_forest
from servelib.transformers.tree.importances import feature_importances
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
        raise ctx.error(f"{where} lacks {missing} (has {sorted(names)})")


def _lists(arr: pa.Array) -> list[np.ndarray]:
    off = np.asarray(arr.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    flat = np.asarray(arr.values.to_numpy(zero_copy_only=False), dtype=np.float64)
    return [flat[a:b] for a, b in zip(off[:-1], off[1:])]


class _Nodes:
    """The node table of all trees, sorted by (tree, id), as NumPy arrays."""

    def __init__(self, ctx: StageContext, ensemble: bool) -> None:
        table = ctx.data()
        if ensemble:
            _fields(ctx, table.column_names, ("treeID", "nodeData"), "data/")
            struct = table.column("nodeData").combine_chunks()
            tree_id = table.column("treeID").to_numpy().astype(np.int64)
        else:
            _fields(ctx, table.column_names, _NODE, "data/")
            struct = pa.StructArray.from_arrays([table.column(n).combine_chunks() for n in _NODE],
                                                list(_NODE))
            tree_id = np.zeros(table.num_rows, dtype=np.int64)
        _fields(ctx, [f.name for f in struct.type], _NODE, "node data")
        split = struct.field("split")
        _fields(ctx, [f.name for f in split.type], _SPLIT, "node splits")
        node_id = np.asarray(struct.field("id").to_numpy(zero_copy_only=False), dtype=np.int64)
        order = np.lexsort((node_id, tree_id))
        self.tree_id, node_id = tree_id[order], node_id[order]
        take = pa.array(order)

        def column(arr: pa.Array, dtype: type) -> np.ndarray:
            return np.asarray(arr.take(take).to_numpy(zero_copy_only=False), dtype=dtype)

        self.prediction = column(struct.field("prediction"), np.float64)
        self.gain = column(struct.field("gain"), np.float64)
        self.left = column(struct.field("leftChild"), np.int64)
        self.right = column(struct.field("rightChild"), np.int64)
        leaf = self.left < 0
        self.feature = np.where(leaf, -1, column(split.field("featureIndex"), np.int64))
        self.num_categories = np.where(leaf, -1, column(split.field("numCategories"), np.int64))
        self.split_values = _lists(split.field("leftCategoriesOrThreshold").take(take))
        stats = _lists(struct.field("impurityStats").take(take))
        widths = sorted({len(s) for s in stats})
        if len(widths) > 1:
            raise ctx.error(f"impurityStats of different lengths {widths}")
        self.stats = np.array(stats, dtype=np.float64).reshape(len(stats), (widths or [0])[0])
        self.trees = np.unique(self.tree_id)
        if len(self.trees) == 0:
            raise ctx.error("model data holds no tree nodes")
        bounds = np.searchsorted(self.tree_id, np.append(self.trees, self.trees[-1] + 1))
        self.spans = list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))
        for t, (a, b) in zip(self.trees, self.spans):
            if not np.array_equal(node_id[a:b], np.arange(b - a)):
                raise ctx.error(f"tree {t}: node ids are not 0..{b - a - 1}")

    def tree_nodes(self) -> list[TreeNodes]:
        return [TreeNodes(self.left[a:b], self.right[a:b], self.feature[a:b],
                          self.num_categories[a:b], self.split_values[a:b])
                for a, b in self.spans]

    def importances(self, count: np.ndarray, num_features: int, per_tree: bool) -> list[float]:
        trees = [(self.feature[a:b], self.gain[a:b], count[a:b]) for a, b in self.spans]
        return feature_importances(trees, num_features, per_tree)


def _weights(ctx: StageContext, nodes: _Nodes) -> np.ndarray:
    table = ctx.data("treesMetadata")
    names = ("treeID", "weights") if "treeID" in table.column_names else ("_1", "_3")
    _fields(ctx, table.column_names, names, "treesMetadata/")
    ids = table.column(names[0]).to_numpy().astype(np.int64)
    if not np.array_equal(np.sort(ids), nodes.trees):
        raise ctx.error(f"treesMetadata has trees {sorted(ids.tolist())} "
                        f"but data/ has {nodes.trees.tolist()}")
    return table.column(names[1]).to_numpy().astype(np.float64)[np.argsort(ids)]


def _facts(ctx: StageContext, forest: Forest, nodes: _Nodes, classification: bool,
           per_tree_normalization: bool, **extra: Any) -> dict:
    """``servelib inspect`` facts; an impurity calculator's count is the sum of the class
    counts (gini, entropy) or the first stat (variance)."""
    count = nodes.stats.sum(axis=1) if classification else nodes.stats[:, 0]
    num_features = int(ctx.meta.raw.get("numFeatures", -1))
    return ctx.info(num_trees=forest.num_trees, max_depth=forest.depth,
                    num_nodes=forest.num_nodes, num_features=num_features,
                    feature_importances=nodes.importances(count, num_features,
                                                          per_tree_normalization), **extra)


def _classifier_kw(ctx: StageContext, nodes: _Nodes, num_classes: int | None = None) -> dict:
    if num_classes is None:  # DecisionTree, RandomForest: the leaves' class counts
        num_classes = int(ctx.meta.raw.get("numClasses", nodes.stats.shape[1]))
        if nodes.stats.shape[1] != num_classes:
            raise ctx.error(f"impurityStats hold {nodes.stats.shape[1]} classes, "
                            f"metadata says numClasses={num_classes}")
    thresholds = None
    if ctx.meta.has("thresholds"):
        thresholds = tuple(float(t) for t in ctx.param("thresholds"))
        if len(thresholds) != num_classes:  # Spark's transform() fails this require every call
            raise ctx.error(f"thresholds has length {len(thresholds)} "
                            f"but numClasses={num_classes}")
    return dict(
        features_col=ctx.param("featuresCol", "features"),
        prediction_col=ctx.param("predictionCol", "prediction"),
        raw_prediction_col=ctx.param("rawPredictionCol", "rawPrediction"),
        probability_col=ctx.param("probabilityCol", "probability"),
        leaf_col=ctx.param("leafCol", ""),
        num_classes=num_classes, thresholds=thresholds,
        num_features=int(ctx.meta.raw.get("numFeatures", -1)),
    )


def _regressor_kw(ctx: StageContext) -> dict[str, Any]:
    return dict(
        features_col=ctx.param("featuresCol", "features"),
        prediction_col=ctx.param("predictionCol", "prediction"),
        leaf_col=ctx.param("leafCol", ""),
        num_features=int(ctx.meta.raw.get("numFeatures", -1)),
    )


def _read(ctx: StageContext, ensemble: bool) -> tuple[_Nodes, Forest]:
    nodes = _Nodes(ctx, ensemble)
    return nodes, build_forest(nodes.tree_nodes())


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
    variance_col = ctx.param("varianceCol", "") if ctx.meta.has("varianceCol") else ""
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
