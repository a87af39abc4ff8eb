"""tree_checks.walk over all trees at once: depths and parents, and a node two parents of one
level reach, or a cycle, refused."""

from __future__ import annotations

import numpy as np
import pytest

from servelib.loaders.params import BadValue
from servelib.loaders.tree_checks import walk


def _walk(left, right, roots, tree_of, max_depth=10):
    return walk(np.array(left), np.array(right), np.array(roots), np.array(tree_of), max_depth)


def test_depths_and_parents_of_two_trees():
    # tree 0: 0 -> (1, 2), 2 -> (3, 4); tree 1: the single leaf 5
    found = _walk([1, -1, 3, -1, -1, -1], [2, -1, 4, -1, -1, -1], [0, 5], [0, 0, 0, 0, 0, 1])
    assert found.depth.tolist() == [0, 1, 1, 2, 2, 0]
    assert found.parent.tolist() == [-1, 0, 0, 2, 2, -1]


@pytest.mark.parametrize("left, right", [
    ([1, 3, 3, -1, -1], [2, 4, 4, -1, -1]),  # nodes 1 and 2 (one level) share children
    ([1, 3, -1, -1, -1], [1, 4, -1, -1, -1]),  # both children of the root are node 1
    ([1, 0, -1, -1, -1], [2, 3, -1, -1, -1]),  # node 1 points back at the root
])
def test_a_node_reached_twice_is_refused(left, right):
    with pytest.raises(BadValue, match="reached twice"):
        _walk(left, right, [0], [0] * 5)
