"""Spark's decision trees as flat parallel arrays, walked by the tree engine (engine.py).

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/tree/Node.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/tree/Split.scala
Every node of every tree of a model gets one global index (layout.py builds the arrays from the
node tables of all trees at once). A leaf's children are the leaf itself, so ``depth`` steps from
the roots land every row on its leaf whatever the branch lengths.
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
from servelib.transformers.tree.layout import NodeTable, forest_arrays
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
    """One Forest from the node tables of all trees (layout.py)."""
    return Forest(**forest_arrays(nodes))
