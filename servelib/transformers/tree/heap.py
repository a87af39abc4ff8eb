"""A Forest laid out as complete binary trees (heap order), walked without branches: by
kernels.py's heap kernels, or (the NumPy engine) level by level with NumPy here.

Every tree is padded to the forest's depth ``D``: node ``p`` has children ``2p + 1`` and
``2p + 2``, so a level of the walk needs no child arrays, only the split's column and threshold:
``p = 2p + 2 - (x[column] <= threshold)``. A leaf above the bottom level owns the whole bottom
range under it, so whichever way its (dummy) padding nodes send a row, the row lands on that leaf.

Categorical splits (flat.py: a table of answers per category, plus one for values in no
category) become continuous ones over *virtual columns* appended to the batch: for each distinct
(feature, table), ``z = 0.0`` where the value goes left and ``1.0`` where it goes right, split at
``z <= 0.5``. So every level is the same three gathers and arithmetic, which on the 100-tree GBT
of the benchmark pipeline is several times faster than flat.py's general walk (see
BENCHMARKS.md); compiled, it is about three times faster than the compiled walk over the node
table on shallow forests (no branch to mispredict per level). Forests too deep to pad
(``trees * 2**(D + 1)`` over ``_NODE_LIMIT``) and rows narrower than the splits read keep
flat.py's walks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from servelib.transformers.tree.engine import in_parts

if TYPE_CHECKING:
    from servelib.transformers.tree.flat import Forest

_NODE_LIMIT = 1 << 22  # padded nodes (trees * 2**(depth + 1)); about 64 MB of arrays
_CHUNK = 1 << 16  # rows x trees per step: the temporaries stay in cache


@dataclass(frozen=True, eq=False)
class HeapForest:
    depth: int
    num_trees: int
    width: int  # the batch columns the splits read; virtual columns follow them
    column: np.ndarray  # (trees * (2**depth - 1),) column of the augmented batch per inner node
    threshold: np.ndarray  # (trees * (2**depth - 1),)
    leaf: np.ndarray  # (trees * 2**depth,) global leaf id (flat.py numbering) per bottom slot
    virtual: tuple[tuple[int, int, np.ndarray], ...]  # (feature, numCategories, z per slot)

    @cached_property
    def kernel_args(self) -> tuple:
        """The arrays kernels.heap_leaves/heap_sums take after the rows: the virtual columns as
        a (virtual, 3) table (feature, numCategories, offset of its z slots) and the z slots."""
        sizes = [ncat + 1 for _, ncat, _ in self.virtual]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if sizes else np.zeros(0)
        table = np.array([[f, ncat, off] for (f, ncat, _), off in zip(self.virtual, offsets)],
                         dtype=np.int64).reshape(-1, 3)
        z = np.concatenate([z for _, _, z in self.virtual]) if self.virtual else np.zeros(1)
        return (self.width, self.column.astype(np.int64), self.threshold.astype(np.float64),
                self.leaf.astype(np.int64), self.depth, table, z.astype(np.float64))

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """(rows, trees) global leaf ids; ``x`` is at least as wide as the splits read. Big
        batches are split between threads (NumPy's gathers release the GIL)."""
        xa = self._augment(x)
        out = np.empty((xa.shape[0], self.num_trees), dtype=np.intp)
        in_parts(lambda a, b: self._walk(xa[a:b], out[a:b]), xa.shape[0])
        return out

    def _walk(self, xa: np.ndarray, out: np.ndarray) -> None:
        n, width = xa.shape
        trees, inner, bottom = self.num_trees, (1 << self.depth) - 1, 1 << self.depth
        tree_inner = np.arange(trees, dtype=np.intp) * inner
        step = max(1, _CHUNK // max(trees, 1))
        for start in range(0, n, step):
            chunk = xa[start : start + step]
            flat = chunk.ravel()
            row_start = (np.arange(chunk.shape[0], dtype=np.intp) * width)[:, None]
            # g: the node's index in column/threshold, tree * inner + heap position p; the
            # child 2p + 2 - go_left is 2g - tree * inner + 2 - go_left
            g = np.broadcast_to(tree_inner, (chunk.shape[0], trees)).copy()
            col = np.empty_like(g)
            for _ in range(self.depth):
                self.column.take(g, out=col)
                col += row_start
                go_left = flat.take(col) <= self.threshold.take(g)  # NaN: False, goes right
                g *= 2
                g -= tree_inner - 2
                g -= go_left
            g += np.arange(trees, dtype=np.intp) * (bottom - inner) - inner  # -> bottom slot
            self.leaf.take(g, out=out[start : start + step])

    def _augment(self, x: np.ndarray) -> np.ndarray:
        if not self.virtual:
            return np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty((x.shape[0], self.width + len(self.virtual)))
        out[:, : self.width] = x[:, : self.width]
        for j, (feature, ncat, z) in enumerate(self.virtual, start=self.width):
            v = x[:, feature]
            valid = (v >= 0) & (v < ncat) & (v == np.floor(v))  # a category's index; NaN fails
            out[:, j] = z[np.where(valid, v, ncat).astype(np.intp)]
        return out


def build_heap(forest: Forest) -> HeapForest | None:
    """The heap layout of ``forest``, or None when it is too deep to pad. The trees are walked
    level by level from their roots, all at once: each node's heap position follows from its
    parent's, and a leaf at level ``l`` owns the ``2**(depth - l)`` bottom slots under it."""
    depth, trees = forest.depth, forest.num_trees
    if trees << (depth + 1) > _NODE_LIMIT:
        return None
    inner, bottom = (1 << depth) - 1, 1 << depth
    column = np.zeros(trees * inner, dtype=np.intp)
    threshold = np.zeros(trees * inner)
    node_column, node_threshold, virtual = _columns(forest)
    nodes, tree = forest.roots, np.arange(trees, dtype=np.intp)
    pos = np.zeros(trees, dtype=np.intp)  # heap position within the tree
    firsts, leaves, spans = [], [], []
    for level in range(depth + 1):
        leaf = forest.is_leaf[nodes]
        span = 1 << (depth - level)
        firsts.append(tree[leaf] * bottom + (pos[leaf] - ((1 << level) - 1)) * span)
        leaves.append(nodes[leaf])
        spans.append(np.full(int(leaf.sum()), span, dtype=np.intp))
        split = ~leaf
        nodes, tree, pos = nodes[split], tree[split], pos[split]
        column[tree * inner + pos] = node_column[nodes]
        threshold[tree * inner + pos] = node_threshold[nodes]
        nodes = np.concatenate([forest.left[nodes], forest.right[nodes]])
        tree = np.concatenate([tree, tree])
        pos = np.concatenate([2 * pos + 1, 2 * pos + 2])
    # the leaves' bottom ranges tile every tree's bottom level: in order, they are the layout
    order = np.argsort(np.concatenate(firsts), kind="stable")
    leaf_slots = np.repeat(np.concatenate(leaves)[order], np.concatenate(spans)[order])
    return HeapForest(depth, trees, forest.width, column, threshold, leaf_slots.astype(np.intp),
                      virtual)


def _columns(forest: Forest) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Per node: the augmented column and threshold its split compares; the virtual columns, one
    per distinct (feature, numCategories, table) in node order."""
    columns = forest.feature.copy()
    thresholds = forest.threshold.copy()
    if forest.cat_size is None:
        return columns, thresholds, ()
    cats = np.flatnonzero(forest.cat_size > 0)
    group = np.empty(cats.shape[0], dtype=np.intp)  # each categorical node's distinct table
    firsts, specs = [], []  # per distinct table: its first node; (feature, ncat, z)
    sizes = forest.cat_size[cats]
    for ncat in np.unique(sizes).tolist():
        at = np.flatnonzero(sizes == ncat)
        feature = forest.feature[cats[at]]
        tables = forest.cat_left[forest.cat_offset[cats[at], None] + np.arange(ncat + 1)]
        # one byte string per node, feature then packed table: equal strings, equal columns
        key = np.concatenate([feature.astype(">i8").view(np.uint8).reshape(-1, 8),
                              np.packbits(tables, axis=1)], axis=1)
        key = key.view(np.dtype((np.void, key.shape[1]))).reshape(-1)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        group[at] = len(specs) + inverse.reshape(-1)
        firsts.append(at[first])
        z = np.where(tables[first], 0.0, 1.0)
        specs += [(f, ncat, row) for f, row in zip(feature[first].tolist(), z)]
    order = np.argsort(np.concatenate(firsts), kind="stable")
    rank = np.empty(order.shape[0], dtype=np.intp)
    rank[order] = np.arange(order.shape[0])
    columns[cats] = forest.width + rank[group]
    thresholds[cats] = 0.5
    return columns, thresholds, tuple(specs[g] for g in order.tolist())
