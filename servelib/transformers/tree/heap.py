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
    """The heap layout of ``forest``, or None when it is too deep to pad."""
    depth, trees = forest.depth, forest.num_trees
    if trees << (depth + 1) > _NODE_LIMIT:
        return None
    inner, bottom = (1 << depth) - 1, 1 << depth
    column = np.zeros(trees * inner, dtype=np.intp)
    threshold = np.zeros(trees * inner)
    leaf = np.zeros(trees * bottom, dtype=np.intp)
    node_column, node_threshold, virtual = _columns(forest)
    left, right, is_leaf = forest.left.tolist(), forest.right.tolist(), forest.is_leaf.tolist()
    for t, root in enumerate(forest.roots.tolist()):
        stack = [(root, 0, 0)]  # node, heap position, level
        while stack:
            node, p, level = stack.pop()
            if is_leaf[node]:
                span = 1 << (depth - level)
                first = t * bottom + (p - ((1 << level) - 1)) * span
                leaf[first : first + span] = node
                continue
            column[t * inner + p] = node_column[node]
            threshold[t * inner + p] = node_threshold[node]
            stack.append((left[node], 2 * p + 1, level + 1))
            stack.append((right[node], 2 * p + 2, level + 1))
    return HeapForest(depth, trees, forest.width, column, threshold, leaf, virtual)


def _columns(forest: Forest) -> tuple[list[int], list[float], tuple]:
    """Per node: the augmented column and threshold its split compares; the virtual columns."""
    columns = forest.feature.tolist()
    thresholds = forest.threshold.tolist()
    if forest.cat_size is None:
        return columns, thresholds, ()
    virtual: dict[tuple, int] = {}
    for node in np.flatnonzero(forest.cat_size > 0).tolist():
        ncat, start = int(forest.cat_size[node]), int(forest.cat_offset[node])
        goes_left = forest.cat_left[start : start + ncat + 1]
        key = (columns[node], ncat, goes_left.tobytes())
        j = virtual.setdefault(key, len(virtual))
        columns[node] = forest.width + j
        thresholds[node] = 0.5
    specs = tuple((feature, ncat, np.where(np.frombuffer(table, dtype=bool), 0.0, 1.0))
                  for (feature, ncat, table) in virtual)
    return columns, thresholds, specs
