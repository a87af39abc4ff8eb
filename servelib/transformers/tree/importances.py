"""Spark's featureImportances for trees and ensembles (shown by `servelib inspect`).

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/tree/treeModels.scala
(TreeEnsembleModel.featureImportances): per tree, each internal node adds ``gain * count`` (its
impurity calculator's weighted count) to its split feature; the tree's vector is normalised to
sum 1 (``perTreeNormalization``: DecisionTree and RandomForest; GBT skips it) unless it sums to 0;
the trees' vectors are added and the total normalised to sum 1. Spark sums hash-map values in
hash order; here sums run by feature index (the same values to ~1e-16).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def feature_importances(
    trees: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    num_features: int,
    per_tree_normalization: bool = True,
) -> list[float]:
    """``trees``: per tree (split feature or -1 for a leaf, gain, weighted count) per node."""
    width = num_features
    if width < 0:
        width = max((int(f.max()) + 1 for f, _, _ in trees if f.size), default=0)
    total = np.zeros(width)
    for feature, gain, count in trees:
        internal = feature >= 0
        imp = np.zeros(width)
        np.add.at(imp, feature[internal], gain[internal] * count[internal])  # pre-order
        norm = imp.sum() if per_tree_normalization else np.nan
        if norm != 0:
            total += imp / norm if per_tree_normalization else imp
    norm = total.sum()
    if norm != 0:
        total = total / norm
    return total.tolist()
