"""layout.py builds a Forest's arrays from the node tables of all trees at once: the same arrays
as building each tree alone and concatenating them, leaves ranked in pre-order within their
tree, depths of the reachable nodes, categorical tables by CategoricalSplit's rule, and the
first fault of the first tree at fault named."""

from __future__ import annotations

import numpy as np
import pytest

from servelib.errors import ModelLoadError
from servelib.transformers.tree.flat import Forest, TreeNodes, build_forest
from tests.transformers.test_tree import _random_tree


def _tree(left, right, feature, ncat, values) -> TreeNodes:
    return TreeNodes(np.array(left), np.array(right), np.array(feature), np.array(ncat), values)


def _node_tables(forest: Forest) -> list[list[bool]]:
    """Each node's categorical table ([] for the others)."""
    if forest.cat_size is None:
        return [[]] * forest.num_nodes
    return [forest.cat_left[o : o + s + 1].tolist() if s else []
            for s, o in zip(forest.cat_size.tolist(), forest.cat_offset.tolist())]


def test_all_trees_at_once_equal_one_tree_at_a_time():
    rng = np.random.default_rng(3)
    trees = [_random_tree(rng, depth=int(rng.integers(0, 6)), width=5) for _ in range(30)]
    whole = build_forest(trees)
    alone = [build_forest([t]) for t in trees]
    base = np.cumsum([0] + [f.num_nodes for f in alone])[:-1]
    assert whole.roots.tolist() == base.tolist()
    assert whole.depths == tuple(f.depth for f in alone)
    assert whole.num_leaves == tuple(f.num_leaves[0] for f in alone)
    assert whole.width == max(f.width for f in alone)
    for name in ("left", "right"):
        want = np.concatenate([getattr(f, name) + b for f, b in zip(alone, base)])
        assert np.array_equal(getattr(whole, name), want), name
        assert np.array_equal(whole.table[:, 0 if name == "left" else 1], want)
    for name in ("feature", "threshold", "is_leaf", "leaf_rank"):
        want = np.concatenate([getattr(f, name) for f in alone])
        assert getattr(whole, name).tobytes() == want.tobytes(), name
    assert np.array_equal(whole.table[:, 2:4], np.concatenate([f.table[:, 2:4] for f in alone]))
    assert _node_tables(whole) == [t for f in alone for t in _node_tables(f)]
    assert np.array_equal(whole.table[:, 4], whole.cat_offset)


def test_leaf_ranks_depths_and_categorical_tables():
    # tree 0: root splits feature 1 (4 categories, left {0, 2}: kept, values in none go right),
    # its right child splits feature 0 at 0.5; tree 1: a single leaf; tree 2: feature 2 with 4
    # categories, left {0, 1, 3} (the complement {2} is kept: values in none go left)
    forest = build_forest([
        _tree([1, -1, 3, -1, -1], [2, -1, 4, -1, -1], [1, -1, 0, -1, -1], [4, -1, -1, -1, -1],
              [[0.0, 2.0], [], [0.5], [], []]),
        _tree([-1], [-1], [-1], [-1], [[]]),
        _tree([1, -1, -1], [2, -1, -1], [2, -1, -1], [4, -1, -1], [[0.0, 1.0, 3.0], [], []]),
    ])
    assert forest.depths == (2, 0, 1) and forest.num_leaves == (3, 1, 2)
    assert forest.leaf_rank.tolist() == [-1, 0, 0, 1, 2, 0, -1, 0, 1]
    assert forest.left.tolist() == [1, 1, 3, 3, 4, 5, 7, 7, 8]
    assert forest.threshold[2] == 0.5 and forest.width == 3
    assert forest.cat_size.tolist() == [4, 0, 0, 0, 0, 0, 4, 0, 0]
    assert forest.cat_offset[[0, 6]].tolist() == [0, 5]
    assert forest.cat_left.tolist() == [True, False, True, False, False,
                                        True, True, False, True, True]


def test_unreachable_nodes_do_not_count_for_depth():
    """A root made a leaf: Spark's subtreeDepth of that tree is 0."""
    forest = build_forest([_tree([-1, -1, -1], [2, -1, -1], [0, -1, -1], [-1] * 3,
                                 [[0.5], [], []])])
    assert forest.depths == (0,)


@pytest.mark.parametrize("trees, message", [
    ([_tree([1, -1, -1], [2, -1, -1], [0, -1, -1], [-1] * 3, [[], [], []])],
     "tree 0 node 0: a continuous split without threshold"),
    # tree 1's faults are named before tree 2's, and in a tree leftChild before rightChild
    # before the feature, whatever the node order
    ([_tree([-1], [-1], [-1], [-1], [[]]),
      _tree([1, -1, -1], [7, -1, -1], [-4, -1, -1], [-1] * 3, [[0.5], [], []]),
      _tree([], [], [], [], [])], "tree 1 node 0: rightChild 7"),
    ([_tree([1, 2, 0, -1, -1], [4, 1, 3, -1, -1], [0, -7, 0, -1, -1], [-1] * 5, [[0.5]] * 5)],
     "tree 0 node 2: leftChild 0"),
])
def test_the_first_fault_is_named(trees, message):
    with pytest.raises(ModelLoadError, match=message):
        build_forest(trees)


def test_a_forest_of_no_trees():
    forest = build_forest([])
    assert forest.num_trees == 0 and forest.num_nodes == 0 and forest.depth == 0
