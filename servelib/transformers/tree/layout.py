"""Spark's node tables of all trees of a model -> the flat arrays of flat.Forest, column-wise.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/tree/Node.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/tree/Split.scala
Every step runs over the nodes of all trees at once with NumPy (a model of 200 trees and 50k
nodes builds in a few milliseconds): children become global ids, leaves are ranked in pre-order
within their tree (Spark's leaf numbering), each tree's depth comes from a walk by levels, and
each categorical split gets its table of ``numCategories + 1`` answers (``CategoricalSplit``:
the kept set is the smaller of the left categories and their complement, ``isLeft`` when
``len(left) <= numCategories / 2``; the last answer is for values in no category).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from servelib.errors import ModelLoadError


@dataclass(frozen=True)
class NodeTable:
    """All trees of a model as Spark's node tables, back to back: each tree's rows sorted by node
    id (pre-order, root first), children as ids within the tree."""

    bounds: np.ndarray  # (trees + 1,) int: the first row of each tree, then the row count
    left: np.ndarray  # (nodes,) int, -1 for leaves
    right: np.ndarray
    feature: np.ndarray  # (nodes,) int, -1 for leaves
    num_categories: np.ndarray  # (nodes,) int, -1 for continuous splits and leaves
    values: np.ndarray  # float: every node's [threshold] or left categories, back to back
    value_bounds: np.ndarray  # (nodes + 1,) int: where each node's values start, then the end


def forest_arrays(nodes: NodeTable) -> dict[str, Any]:
    """flat.Forest's fields from the node tables of all trees: global child ids (a leaf's are
    itself), leaf ranks, the categorical tables and kernels.py's node table."""
    bounds = np.asarray(nodes.bounds, dtype=np.intp)
    sizes = np.diff(bounds)
    _check(nodes, sizes)
    total = int(bounds[-1])
    start = np.repeat(bounds[:-1], sizes)  # each node's tree root
    ids = np.arange(total, dtype=np.intp)
    leaf = nodes.left < 0
    left = np.where(leaf, ids, nodes.left + start).astype(np.intp)
    right = np.where(leaf, ids, nodes.right + start).astype(np.intp)
    feature = np.where(leaf, 0, nodes.feature).astype(np.intp)
    # leaves before each node within its tree (ids are pre-order, as Spark numbers leaves)
    seen = np.concatenate([[0], np.cumsum(leaf, dtype=np.intp)])
    leaf_rank = seen[1:] - np.repeat(seen[bounds[:-1]], sizes) - 1
    threshold, cat_size, cat_offset, cat_left = _splits(nodes, leaf)
    categorical = cat_left is not None
    splits = feature[~leaf]
    node_table = np.stack([left, right, np.where(leaf, -1, feature), cat_size, cat_offset],
                          axis=1).astype(np.int64)
    return dict(
        roots=bounds[:-1].copy(),
        left=left, right=right, feature=feature, threshold=threshold,
        cat_size=cat_size if categorical else None,
        cat_offset=cat_offset if categorical else None,
        cat_left=cat_left,
        is_leaf=leaf, leaf_rank=leaf_rank.astype(np.float64),
        num_leaves=tuple(np.diff(seen[bounds]).tolist()),
        depths=_depths(bounds[:-1], left, right, leaf, sizes),
        width=int(splits.max()) + 1 if splits.size else 0,
        table=node_table, cat_table=cat_left if categorical else np.zeros(1, dtype=bool),
    )


def _splits(nodes: NodeTable, leaf: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Continuous thresholds; numCategories, table offsets and the flat tables of categorical
    splits (None without any): ``numCategories + 1`` answers per node, True where a category
    goes left, the last one for values in no category."""
    total = leaf.shape[0]
    ncat = nodes.num_categories
    threshold = np.zeros(total)
    continuous = np.flatnonzero(~leaf & (ncat < 0))
    threshold[continuous] = nodes.values[nodes.value_bounds[continuous]]
    cat_size = np.zeros(total, dtype=np.intp)
    cat_offset = np.zeros(total, dtype=np.intp)
    cats = np.flatnonzero(~leaf & (ncat >= 0))
    if cats.size == 0:
        return threshold, cat_size, cat_offset, None
    size = ncat[cats].astype(np.intp)
    ends = np.cumsum(size + 1)
    cat_size[cats], cat_offset[cats] = size, ends - (size + 1)
    table = np.zeros(int(ends[-1]), dtype=bool)
    first, counts = nodes.value_bounds[cats], np.diff(nodes.value_bounds)[cats]
    v = nodes.values[_ranges(first, counts)]
    owner_size = np.repeat(size, counts)
    # a value that is no category's index (never in a Spark model: the loader refuses it)
    # matches no slot
    ok = (v >= 0) & (v < owner_size) & (v == np.floor(v))
    table[np.repeat(cat_offset[cats], counts)[ok] + v[ok].astype(np.intp)] = True
    table[cat_offset[cats] + size] = ~(counts <= size // 2)  # CategoricalSplit.isLeft
    return threshold, cat_size, cat_offset, table


def _ranges(first: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The indices ``first[i] .. first[i] + counts[i] - 1`` of every i, back to back."""
    ends = np.cumsum(counts)
    return np.repeat(first - (ends - counts), counts) + np.arange(int(ends[-1]) if ends.size else 0)


def _check(nodes: NodeTable, sizes: np.ndarray) -> None:
    """What every walk relies on (the compiled one reads memory unchecked): children inside the
    tree and after their parent (Spark numbers nodes in pre-order, so a tree has no cycle and
    at most its node count in depth), split features that are column indices, a threshold for
    every continuous split. The error names the first fault of the first tree at fault, as a
    tree-by-tree check would."""
    n = nodes.left.shape[0]
    if {nodes.right.shape[0], nodes.feature.shape[0], nodes.num_categories.shape[0],
            nodes.value_bounds.shape[0] - 1} != {n}:
        raise ModelLoadError("node fields of different lengths")
    tree_of = np.repeat(np.arange(sizes.shape[0]), sizes)
    local = np.arange(n) - np.repeat(np.asarray(nodes.bounds[:-1]), sizes)
    size = np.repeat(sizes, sizes)
    split = nodes.left >= 0
    faults = [(int(t), 0, 0, "has no nodes") for t in np.flatnonzero(sizes == 0)[:1]]

    def fault(rank: int, bad: np.ndarray, what: Callable[[int], str]) -> None:
        at = np.flatnonzero(bad)
        if at.size:
            i = int(at[0])
            faults.append((int(tree_of[i]), rank, int(local[i]), f"node {local[i]}: {what(i)}"))

    for rank, name, child in ((1, "leftChild", nodes.left), (2, "rightChild", nodes.right)):
        fault(rank, split & ((child <= local) | (child >= size)),
              lambda i: (f"{name} {child[i]} is not a node after it in the tree's pre-order "
                         f"(ids {local[i] + 1}..{size[i] - 1})"))
    fault(3, split & (nodes.feature < 0), lambda i: f"split on feature index {nodes.feature[i]}")
    fault(4, split & (nodes.num_categories < 0) & (np.diff(nodes.value_bounds) < 1),
          lambda i: "a continuous split without threshold")
    if faults:
        tree, _, _, what = min(faults)
        raise ModelLoadError(f"tree {tree} {what}")


def _depths(roots: np.ndarray, left: np.ndarray, right: np.ndarray, is_leaf: np.ndarray,
            sizes: np.ndarray) -> tuple[int, ...]:
    """Spark's subtreeDepth of each root, level by level (children follow their parent, so at
    most the tree's node count of levels)."""
    depths = np.zeros(sizes.shape[0], dtype=np.intp)
    tree_of = np.repeat(np.arange(sizes.shape[0]), sizes)
    level = roots[~is_leaf[roots]]
    d = 0
    while level.size:
        d += 1
        level = np.concatenate([left[level], right[level]])
        if level.size > left.size:  # only a node two paths reach repeats: keep one of each
            level = np.unique(level)
        depths[tree_of[level]] = d
        level = level[~is_leaf[level]]
    return tuple(depths.tolist())
