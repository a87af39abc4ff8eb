"""Feature importances computed a block of trees at a time give, bit for bit, what Spark's
definition gives tree by tree (each tree's dense vector summed, normalised, added in order)."""

from __future__ import annotations

import numpy as np
import pytest

from servelib.transformers.tree import importances


def _tree_by_tree(trees, width: int, per_tree: bool) -> list[float]:
    total = np.zeros(width)
    for feature, gain, count in trees:
        imp = np.zeros(width)
        inner = feature >= 0
        np.add.at(imp, feature[inner], gain[inner] * count[inner])
        norm = imp.sum() if per_tree else np.nan
        if norm != 0:
            total += imp / norm if per_tree else imp
    norm = total.sum()
    return (total / norm if norm != 0 else total).tolist()


@pytest.mark.parametrize("per_tree", [True, False])
@pytest.mark.parametrize("block", [1, 7, 1 << 20])
def test_blocks_of_trees_match_tree_by_tree(per_tree, block, monkeypatch):
    monkeypatch.setattr(importances, "_BLOCK", block)
    rng = np.random.default_rng(block)
    width, trees = 13, []
    for t in range(40):
        n = int(rng.integers(1, 30))
        feature = np.where(rng.random(n) < 0.4, -1, rng.integers(0, width, n))
        gain = rng.choice([0.0, -0.0, 1e-300, 0.37, 5.5, -2.0], n) * rng.random(n)
        if t % 9 == 0:
            gain[:] = 0.0  # a tree whose vector sums to 0 is skipped
        trees.append((feature, gain, rng.random(n) * 100))
    bounds = np.concatenate([[0], np.cumsum([len(f) for f, _, _ in trees])])
    got = importances.feature_importances(
        bounds, *(np.concatenate(parts) for parts in zip(*trees)), width, per_tree)
    want = _tree_by_tree(trees, width, per_tree)
    assert np.array(got).tobytes() == np.array(want).tobytes()
