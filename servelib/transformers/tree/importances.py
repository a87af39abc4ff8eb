"""Spark's featureImportances for trees and ensembles (shown by `servelib inspect`).

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/tree/treeModels.scala
(TreeEnsembleModel.featureImportances): per tree, each internal node adds ``gain * count`` (its
impurity calculator's weighted count) to its split feature; the tree's vector is normalised to
sum 1 (``perTreeNormalization``: DecisionTree and RandomForest; GBT skips it) unless it sums to 0;
the trees' vectors are added and the total normalised to sum 1. Spark sums hash-map values in
hash order; here sums run by feature index (the same values to ~1e-16).
"""

from __future__ import annotations

import numpy as np

_BLOCK = 1 << 20  # (trees x features) entries of one step: a block of trees at once


def feature_importances(
    bounds: np.ndarray,
    feature: np.ndarray,
    gain: np.ndarray,
    count: np.ndarray,
    num_features: int,
    per_tree_normalization: bool = True,
) -> list[float]:
    """Per node of all trees back to back (tree ``t``'s nodes from ``bounds[t]`` to
    ``bounds[t + 1]``, in pre-order): split feature or -1 for a leaf, gain, weighted count.
    Each tree's vector is summed as a dense row, as a tree at a time would be, a block of
    trees per step."""
    width = num_features
    if width < 0:
        width = int(feature.max(initial=-1)) + 1
    trees = len(bounds) - 1
    tree_of = np.repeat(np.arange(trees), np.diff(bounds))
    internal = feature >= 0
    tree_of, feature = tree_of[internal], feature[internal]
    weighted = gain[internal] * count[internal]
    starts = np.searchsorted(tree_of, np.arange(trees + 1))
    total = np.zeros(width)
    step = max(1, _BLOCK // max(width, 1))
    for first in range(0, trees, step):
        last = min(trees, first + step)
        imp = np.zeros((last - first, width))
        nodes = slice(starts[first], starts[last])
        np.add.at(imp, (tree_of[nodes] - first, feature[nodes]), weighted[nodes])  # pre-order
        norm = imp.sum(axis=1) if per_tree_normalization else np.full(last - first, np.nan)
        kept = norm != 0
        rows = imp[kept] / norm[kept, None] if per_tree_normalization else imp[kept]
        for row in rows:  # tree by tree, in order
            total += row
    norm = total.sum()
    if norm != 0:
        total = total / norm
    return total.tolist()
