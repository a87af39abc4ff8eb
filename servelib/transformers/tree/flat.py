"""Spark's decision trees as flat parallel arrays, walked by the tree engine (engine.py).

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/tree/Node.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/tree/Split.scala
Every node of every tree of a model gets one global index. A leaf's children are the leaf itself,
so ``depth`` steps from the roots land every row on its leaf whatever the branch lengths.
Routing is ``Split.shouldGoLeft``:

* continuous: ``x[f] <= threshold`` goes left, so NaN goes right;
* categorical (``leftCategories`` of a feature with ``numCategories`` values): Spark keeps the
  smaller of the left set and its complement in [0, numCategories) (``isLeft`` when
  ``len(left) <= numCategories / 2``) and tests membership of ``x[f]`` (a Double, so -0.0 is
  0.0). A value in no category (NaN, 7.0 for 5 categories, 2.5, -1) is in neither set: it goes
  right when the left set is kept and left otherwise. Each categorical node gets a lookup table
  of ``numCategories + 1`` answers, the last one for those values.

Spark reads ``x[f]`` only at the nodes a row visits: a vector shorter than the model's features
fails only when a visited split reads past its end (a null vector only when the root splits).
Rows walk with the compiled engine (kernels.py) or, where it is off, with NumPy (here level by
level, or heap.py's padded layout for batches); rows narrower than the splits read always walk
here, which finds the rows Spark would fail. Every engine gives the same leaves and sums
(tests/transformers/tree/test_engine.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType

import numpy as np

from servelib.errors import ModelLoadError
from servelib.transformers.tree import engine
from servelib.transformers.tree.heap import HeapForest, build_heap
from servelib.transformers.tree.scoring import lane_dot, sequential_sum

_CHUNK = 1 << 15  # rows x trees per step of the NumPy walk
_PAD_RATIO = 8  # compiled walks use heap.py's layout up to this many padded slots per node


@dataclass(frozen=True)
class TreeNodes:
    """One tree as Spark's node table, rows sorted by node id (pre-order, root 0)."""

    left: np.ndarray  # int, -1 for leaves
    right: np.ndarray
    feature: np.ndarray  # int, -1 for leaves
    num_categories: np.ndarray  # int, -1 for continuous splits and leaves
    split_values: Sequence[Sequence[float]]  # [threshold] or the left categories


@dataclass(frozen=True, eq=False)
class Forest:
    """All trees of one model, flat; node arrays are indexed by global node id."""

    roots: np.ndarray  # (trees,) global id of each root
    left: np.ndarray  # (nodes,) global child ids; a leaf points at itself
    right: np.ndarray
    feature: np.ndarray  # (nodes,) 0 for leaves (read, never used)
    threshold: np.ndarray  # (nodes,) continuous thresholds
    cat_size: np.ndarray | None  # (nodes,) numCategories, 0 for non-categorical nodes
    cat_offset: np.ndarray | None  # (nodes,) start of the node's table in cat_left
    cat_left: np.ndarray | None  # flat bool tables, numCategories + 1 entries per node
    is_leaf: np.ndarray  # (nodes,) bool
    leaf_rank: np.ndarray  # (nodes,) float leaf number in pre-order within its tree (leafCol)
    num_leaves: tuple[int, ...]  # per tree
    depths: tuple[int, ...]  # per tree (0 for a single leaf)
    width: int  # features the splits read: max split feature + 1 (0 without splits)
    # kernels.py's node table: left, right, split feature (-1: leaf), numCategories (0: not
    # categorical), offset of the node's table in cat_table
    table: np.ndarray  # (nodes, 5) int64
    cat_table: np.ndarray  # cat_left, or one unused entry (the kernels take an array)

    @cached_property
    def heap(self) -> HeapForest | None:
        """The complete-tree layout batches walk (heap.py), built on first use."""
        return build_heap(self)

    @property
    def num_trees(self) -> int:
        return int(self.roots.shape[0])

    @property
    def depth(self) -> int:
        return max(self.depths, default=0)

    @property
    def num_nodes(self) -> int:
        return int(self.left.shape[0])

    @property
    def splits(self) -> bool:
        """Whether any tree reads a feature at all (a root that splits)."""
        return bool((~self.is_leaf[self.roots]).any())

    def leaves(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(rows, trees) global leaf ids, and the rows whose path reads a feature past the end
        of ``x`` (None when ``x`` is wide enough for every split; those rows' ids are junk)."""
        n, width = x.shape
        if width < self.width:
            padded = np.full((n, self.width), np.nan)
            padded[:, :width] = x
            return self._walk(padded, width)
        kernels = engine.compiled()
        if kernels is not None:
            walk, args = self._compiled(kernels, "leaves")
            x = np.ascontiguousarray(x, dtype=np.float64)
            out = np.empty((n, self.num_trees), dtype=np.int64)
            engine.in_parts(lambda a, b: walk(x[a:b], *args, out[a:b]), n)
            return out, None
        if self.heap is not None:
            return self.heap.leaves(x), None
        return self._walk(x, None)

    def sums(self, x: np.ndarray, values: np.ndarray, lanes: int
             ) -> tuple[np.ndarray, np.ndarray | None]:
        """(rows, k) sums over trees of ``values`` (nodes, k) at each row's leaves, in
        lane_dot's order with ``lanes``, else sequential_sum's; and :meth:`leaves`' bad rows."""
        kernels = engine.compiled()
        if kernels is None or x.shape[1] < self.width:
            leaves, bad = self.leaves(x)
            return self.leaf_sums(leaves, values, lanes), bad
        walk, args = self._compiled(kernels, "sums")
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty((x.shape[0], values.shape[1]))
        engine.in_parts(lambda a, b: walk(x[a:b], *args, values, lanes, out[a:b]), x.shape[0])
        return out, None

    def _compiled(self, kernels: ModuleType, kind: str) -> tuple[Callable, tuple]:
        """The compiled walk ``kind`` (leaves or sums) and the forest's arrays it takes: over
        heap.py's layout (branch-free) where the forest can be padded, else over the nodes."""
        # padding a forest of long thin branches would cost memory and levels walked in vain
        padded = self.num_trees << (self.depth + 1)
        if padded <= _PAD_RATIO * self.num_nodes and self.heap is not None:
            return getattr(kernels, f"heap_{kind}"), self.heap.kernel_args
        args = (self.roots, self.table, self.threshold, self.cat_table, self.depth)
        return getattr(kernels, f"spark_{kind}"), args

    @staticmethod
    def leaf_sums(leaves: np.ndarray, values: np.ndarray, lanes: int) -> np.ndarray:
        """:meth:`sums` from (rows, trees) leaf ids."""
        kernels = engine.compiled()
        if kernels is not None:
            out = np.empty((leaves.shape[0], values.shape[1]))
            kernels.leaf_sums(np.ascontiguousarray(leaves, dtype=np.int64), values, lanes, out)
            return out
        if lanes:
            return np.stack([lane_dot(v[leaves], lanes) for v in values.T], axis=1)
        return sequential_sum(values[leaves])

    def row_leaves(self) -> Callable[[list[float]], np.ndarray]:
        """One row's (trees,) leaf ids, from at least ``width`` features (the row kernels)."""
        kernels = engine.compiled()
        if kernels is None:
            return lambda x: self.leaves(np.array([x]))[0][0]
        (walk, args), empty, array = self._compiled(kernels, "leaves"), np.empty, np.array
        trees = self.num_trees

        def leaves(x: list[float]) -> np.ndarray:
            out = empty((1, trees), dtype=np.int64)
            walk(array([x]), *args, out)
            return out[0]

        return leaves

    def row_leaf_sums(self, values: np.ndarray, lanes: int
                      ) -> Callable[[list[float]], tuple[np.ndarray, list[float]]]:
        """:meth:`row_leaves` and the row's :meth:`sums`."""
        kernels = engine.compiled()
        walk = self.row_leaves()
        if kernels is None:
            return lambda x: ((found := walk(x)),
                              self.leaf_sums(found[None, :], values, lanes)[0].tolist())
        leaf_sums, empty, k = kernels.leaf_sums, np.empty, values.shape[1]

        def leaves_and_sums(x: list[float]) -> tuple[np.ndarray, list[float]]:
            found = walk(x)
            out = empty((1, k))
            leaf_sums(found.reshape(1, -1), values, lanes, out)
            return found, out[0].tolist()

        return leaves_and_sums

    def row_sums(self, values: np.ndarray, lanes: int) -> Callable[[list[float]], list[float]]:
        """One row's :meth:`sums`, from at least ``width`` features (the row kernels)."""
        kernels = engine.compiled()
        if kernels is None:
            return lambda x: self.sums(np.array([x]), values, lanes)[0][0].tolist()
        (walk, args), empty, array = self._compiled(kernels, "sums"), np.empty, np.array
        args, k = (*args, values, lanes), values.shape[1]

        def sums(x: list[float]) -> list[float]:
            out = empty((1, k))
            walk(array([x]), *args, out)
            return out[0].tolist()

        return sums

    def _walk(self, x: np.ndarray, short: int | None) -> tuple[np.ndarray, np.ndarray | None]:
        n = x.shape[0]
        leaves = np.empty((n, self.num_trees), dtype=np.intp)
        bad = None if short is None else np.zeros(n, dtype=bool)
        step = max(1, _CHUNK // max(self.num_trees, 1))  # rows x trees temporaries stay in cache
        for start in range(0, n, step):
            rows = slice(start, start + step)
            leaves[rows] = self._walk_chunk(x[rows], short, None if bad is None else bad[rows])
        return leaves, bad

    def _walk_chunk(self, x: np.ndarray, short: int | None, bad: np.ndarray | None) -> np.ndarray:
        nodes = np.broadcast_to(self.roots, (x.shape[0], self.num_trees))
        rows = np.arange(x.shape[0])[:, None]
        for _ in range(self.depth):
            feat = self.feature[nodes]
            if bad is not None:
                bad |= ((feat >= short) & ~self.is_leaf[nodes]).any(axis=1)
            values = x[rows, feat]
            go_left = values <= self.threshold[nodes]  # NaN: False
            if self.cat_size is not None:
                self._categorical(nodes, values, go_left)
            nodes = np.where(go_left, self.left[nodes], self.right[nodes])
        return nodes

    def _categorical(self, nodes: np.ndarray, values: np.ndarray, go_left: np.ndarray) -> None:
        size = self.cat_size[nodes]
        at = size > 0
        if not at.any():
            return
        v, size = values[at], size[at]
        valid = (v >= 0) & (v < size) & (v == np.floor(v))  # a category's index; NaN fails
        slot = np.where(valid, v, size).astype(np.intp)
        go_left[at] = self.cat_left[self.cat_offset[nodes[at]] + slot]


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


def build_forest(trees: Sequence[TreeNodes]) -> Forest:
    """Concatenate trees into one Forest (:func:`forest_from_table`)."""
    for t, tree in enumerate(trees):
        lengths = {len(tree.left), len(tree.right), len(tree.feature), len(tree.num_categories),
                   len(tree.split_values)}
        if len(lengths) > 1:
            raise ModelLoadError(f"tree {t}: node fields of different lengths {sorted(lengths)}")
    sizes = [len(tree.left) for tree in trees]
    values = [np.asarray(v, dtype=np.float64).reshape(-1) for t in trees for v in t.split_values]

    def column(name: str) -> np.ndarray:
        parts = [np.asarray(getattr(t, name), dtype=np.int64).reshape(-1) for t in trees]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    return forest_from_table(NodeTable(
        bounds=np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64),
        left=column("left"), right=column("right"), feature=column("feature"),
        num_categories=column("num_categories"),
        values=np.concatenate(values) if values else np.zeros(0),
        value_bounds=np.concatenate([[0], np.cumsum([len(v) for v in values], dtype=np.int64)]
                                    ).astype(np.int64)))


def forest_from_table(nodes: NodeTable) -> Forest:
    """One Forest from the node tables of all trees, column-wise: global child ids, the
    categorical tables and kernels.py's node table."""
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
    threshold, cat_size, cat_offset, cat_table = _splits(nodes, leaf)
    categorical = cat_table is not None
    if cat_table is None:
        cat_table = np.zeros(1, dtype=bool)
    splits = feature[~leaf]
    node_table = np.stack([left, right, np.where(leaf, -1, feature), cat_size, cat_offset],
                          axis=1).astype(np.int64)
    return Forest(
        roots=bounds[:-1].copy(),
        left=left, right=right, feature=feature, threshold=threshold,
        cat_size=cat_size if categorical else None,
        cat_offset=cat_offset if categorical else None,
        cat_left=cat_table if categorical else None,
        is_leaf=leaf, leaf_rank=leaf_rank.astype(np.float64),
        num_leaves=tuple(np.diff(seen[bounds]).tolist()),
        depths=_depths(bounds[:-1], left, right, leaf, sizes),
        width=int(splits.max()) + 1 if splits.size else 0,
        table=node_table, cat_table=cat_table,
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
    every continuous split. The first tree at fault is named, as a tree-by-tree check would."""
    n = nodes.left.shape[0]
    if {nodes.right.shape[0], nodes.feature.shape[0], nodes.num_categories.shape[0],
            nodes.value_bounds.shape[0] - 1} != {n}:
        raise ModelLoadError("node fields of different lengths")
    tree_of = np.repeat(np.arange(sizes.shape[0]), sizes)
    local = np.arange(n) - np.repeat(np.asarray(nodes.bounds[:-1]), sizes)
    size = np.repeat(sizes, sizes)
    split = nodes.left >= 0
    faults: list[tuple[int, int, int, str]] = [(int(t), -1, 0, "") for t in
                                               np.flatnonzero(sizes == 0)[:1]]
    for rank, (name, child) in enumerate((("leftChild", nodes.left),
                                          ("rightChild", nodes.right)), start=1):
        bad = np.flatnonzero(split & ((child <= local) | (child >= size)))
        if bad.size:
            i = int(bad[0])
            faults.append((int(tree_of[i]), rank, int(local[i]),
                           f"{name} {int(child[i])} is not a node after it in the tree's "
                           f"pre-order (ids {int(local[i]) + 1}..{int(size[i]) - 1})"))
    bad = np.flatnonzero(split & (nodes.feature < 0))
    if bad.size:
        i = int(bad[0])
        faults.append((int(tree_of[i]), 3, int(local[i]),
                       f"split on feature index {int(nodes.feature[i])}"))
    bad = np.flatnonzero(split & (nodes.num_categories < 0) & (np.diff(nodes.value_bounds) < 1))
    if bad.size:
        i = int(bad[0])
        faults.append((int(tree_of[i]), 4, int(local[i]), "a continuous split without threshold"))
    if faults:
        t, rank, i, what = min(faults)
        raise ModelLoadError(f"tree {t} has no nodes" if rank < 0 else f"tree {t} node {i}: {what}")


def _depths(roots: np.ndarray, left: np.ndarray, right: np.ndarray, is_leaf: np.ndarray,
            sizes: np.ndarray) -> tuple[int, ...]:
    """Spark's subtreeDepth of each root, level by level (children follow their parent, so at
    most the tree's node count of levels; a node two paths reach is walked once per level)."""
    depths = np.zeros(sizes.shape[0], dtype=np.intp)
    tree_of = np.repeat(np.arange(sizes.shape[0]), sizes)
    level = roots[~is_leaf[roots]]
    d = 0
    while level.size:
        d += 1
        level = np.sort(np.concatenate([left[level], right[level]]))
        level = level[np.concatenate([[True], level[1:] != level[:-1]])]
        depths[tree_of[level]] = d
        level = level[~is_leaf[level]]
    return tuple(depths.tolist())
