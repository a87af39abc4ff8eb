"""Batches of rows through the compiled engine's block walks (block_kernels.py), where a forest
walks heap.py's padded layout: the arrays those walks take, built once per forest from its
HeapForest, and the batch entry points scoring.py calls.

The block walks give the leaves and sums of Forest.leaves / Forest.sums bit for bit (the same
comparisons, the same summation order: tests/transformers/tree/test_blocks.py) and walk big
batches two to three times faster. Forests they do not cover (the NumPy engine, the node-table
layout, rows narrower than the splits read, a categorical feature with 64 categories or more)
go to Forest.leaves / Forest.sums as before.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from servelib.transformers.tree import engine

if TYPE_CHECKING:  # flat.py imports scoring.py, which imports this module
    from servelib.transformers.tree.flat import Forest
    from servelib.transformers.tree.heap import HeapForest

_MASK_BITS = 64  # a categorical split's table (numCategories + 1 answers) as one uint64 mask


@dataclass(frozen=True, eq=False)
class BlockForest:
    """block_kernels' arrays for one forest (see that module)."""

    width: int
    depth: int
    num_trees: int
    column: dict[int, np.ndarray]  # per block size: uint64 per inner node, its column times it
    threshold: np.ndarray  # float64 per inner node
    leaf: np.ndarray  # int64 global leaf id per bottom position (heap.py's)
    cats: np.ndarray  # (sources, 2) int64: feature, numCategories of each categorical source
    source: np.ndarray  # int64 per virtual column: its categorical source
    mask: np.ndarray  # uint64 per virtual column: bit s set where slot s goes right
    left: np.ndarray  # block_kernels.left_masks(depth)
    _slot_values: dict = field(default_factory=dict, repr=False)

    def slot_values(self, values: np.ndarray) -> np.ndarray:
        """``values`` (nodes, k) at each bottom position; kept per values array (a model sums
        the same one every batch)."""
        hit = self._slot_values.get(id(values))
        if hit is None or hit[0] is not values:
            if len(self._slot_values) >= 8:
                self._slot_values.clear()
            hit = (values, np.ascontiguousarray(values[self.leaf], dtype=np.float64))
            self._slot_values[id(values)] = hit
        return hit[1]


_PLANS: weakref.WeakKeyDictionary[Forest, BlockForest | None] = weakref.WeakKeyDictionary()



def leaves(forest: Forest, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Forest.leaves, by the block walk where it applies."""
    kernels, plan = _plan(forest, x)
    if plan is None:
        return forest.leaves(x)
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty((x.shape[0], plan.num_trees), dtype=np.int64)
    args = _args(plan)

    def score(a: int, b: int) -> None:
        walk = kernels.walks(b - a)
        walk.block_leaves(x[a:b], plan.width, plan.column[walk.block], plan.threshold, plan.leaf,
                          *args, out[a:b])

    engine.in_parts(score, x.shape[0])
    return out, None


def sums(forest: Forest, x: np.ndarray, values: np.ndarray, lanes: int
         ) -> tuple[np.ndarray, np.ndarray | None]:
    """Forest.sums, by the block walk where it applies."""
    kernels, plan = _plan(forest, x)
    if plan is None:
        return forest.sums(x, values, lanes)
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty((x.shape[0], values.shape[1]))
    slot_values, args = plan.slot_values(values), _args(plan)

    def score(a: int, b: int) -> None:
        walk = kernels.walks(b - a)
        walk.block_sums(x[a:b], plan.width, plan.column[walk.block], plan.threshold, *args,
                        slot_values, lanes, out[a:b])

    engine.in_parts(score, x.shape[0])
    return out, None


def _args(plan: BlockForest) -> tuple:
    return plan.depth, plan.cats, plan.source, plan.mask, plan.left


def _plan(forest: Forest, x: np.ndarray) -> tuple[ModuleType, BlockForest | None]:
    kernels = engine.compiled()
    if kernels is None or x.shape[1] < forest.width:
        return kernels, None
    if forest not in _PLANS:
        # the padded layout only where the compiled walk over the nodes would take it too
        walk, _ = forest._compiled(kernels, "leaves")
        heap = forest.heap if walk is kernels.heap_leaves else None
        _PLANS[forest] = None if heap is None else build_blocks(heap, kernels)
    return kernels, _PLANS[forest]


def build_blocks(heap: HeapForest, kernels: ModuleType) -> BlockForest | None:
    """The block walks' arrays for ``heap``; None when a categorical table is too long for a
    mask."""
    if any(ncat + 1 > _MASK_BITS for _, ncat, _ in heap.virtual):
        return None
    sources: dict[tuple[int, int], int] = {}
    source = np.array([sources.setdefault((feature, ncat), len(sources))
                       for feature, ncat, _ in heap.virtual], dtype=np.int64)
    mask = np.array([sum(1 << s for s in np.flatnonzero(z).tolist())
                     for _, _, z in heap.virtual], dtype=np.uint64)
    cats = np.array(list(sources), dtype=np.int64).reshape(-1, 2)
    column = {block: (heap.column * block).astype(np.uint64) for block in kernels.BLOCKS}
    return BlockForest(heap.width, heap.depth, heap.num_trees, column,
                       heap.threshold.astype(np.float64), heap.leaf.astype(np.int64),
                       cats, source, mask, kernels.left_masks(heap.depth))
