"""An XGBoost booster's selected trees as flat arrays, and their float32 margins.

https://github.com/dmlc/xgboost/blob/v3.2.0/src/predictor/cpu_predictor.cc
https://github.com/dmlc/xgboost/blob/v3.2.0/src/predictor/predict_fn.h (GetNextNode)
Routing, in float32: missing (NaN, or the model's ``missing``) -> the node's default child, else
``x < split_condition`` goes left. Margins start at the intercept (or a row's base margin) and
add each tree's leaf in tree order in float32, trees grouped per class. Walked by the tree engine
(kernels.xgb_margins compiled, or NumPy level by level here; both give the same bits).
xgboost.py turns margins into xgboost.spark's output columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from servelib.errors import ModelLoadError
from servelib.transformers.tree import engine

_F32 = np.float32
# One row's (groups,) float32 margins from its (features,) float32 values, a (1, groups) float32
# intercept or None for the booster's, and the float32 value that is missing besides NaN
RowWalk = Callable[[np.ndarray, np.ndarray | None, np.float32], np.ndarray]


@dataclass(frozen=True, eq=False)
class XGBTrees:
    """The selected trees of one booster as flat arrays over global node ids.

    A leaf's children (and default child) are the leaf itself, so ``depth`` steps land every row
    on its leaf. ``order`` (groups, trees per group) lists tree numbers class by class in
    boosting order; ``-1`` pads a short group with a ``-0.0`` leaf (``x + -0.0 == x``)."""

    roots: np.ndarray  # (trees,)
    left: np.ndarray  # (nodes,)
    right: np.ndarray
    default: np.ndarray  # child taken by a missing value
    feature: np.ndarray
    threshold: np.ndarray  # float32
    value: np.ndarray  # float32 leaf values
    order: np.ndarray  # (groups, per group) tree numbers, -1 pads
    base: np.ndarray  # (groups,) float32 intercept margins
    depth: int
    num_features: int
    walk_one: RowWalk | None = field(default=None, repr=False)  # compile_walk(self)

    def __post_init__(self) -> None:
        _check(self)

    @property
    def groups(self) -> int:
        return int(self.order.shape[0])

    @cached_property
    def table(self) -> np.ndarray:
        """kernels.py's (nodes, 4) int64 node table: left, right, default child, feature."""
        return np.stack([self.left, self.right, self.default, self.feature], axis=1).astype(
            np.int64)

    def margins(self, x: np.ndarray, base: np.ndarray | None) -> np.ndarray:
        """(rows, groups) float32 margins of float32 rows ``x`` (missing already NaN) and the
        rows' float32 intercepts ``base`` (rows,), or the booster's."""
        kernels = engine.compiled()
        if kernels is None:
            return self.numpy_margins(x, base)
        n, groups = x.shape[0], self.groups
        x = np.ascontiguousarray(x, dtype=_F32)
        if base is None:
            intercepts = self.base.reshape(1, groups).astype(_F32)
        else:
            intercepts = np.empty((n, groups), dtype=_F32)
            intercepts[:] = np.asarray(base, dtype=_F32)[:, None]
        out = np.empty((n, groups), dtype=_F32)
        args = (self.roots.astype(np.int64), self.table, self.threshold.astype(_F32),
                self.value.astype(_F32), self.order.astype(np.int64))

        def part(a: int, b: int) -> None:
            b_base = intercepts if base is None else intercepts[a:b]
            kernels.xgb_margins(x[a:b], *args, b_base, _F32(np.nan), self.depth, out[a:b])

        engine.in_parts(part, n)
        return out

    def numpy_margins(self, x: np.ndarray, base: np.ndarray | None) -> np.ndarray:
        """:meth:`margins` with NumPy: each tree's leaves level by level, then np.cumsum."""
        n, groups, width = x.shape[0], self.groups, self.order.shape[1] + 1
        acc = np.empty((n, groups, width), dtype=_F32)
        acc[:, :, 0] = self.base if base is None else base[:, None]
        leaves = np.append(self._leaves(x), np.full((n, 1), -0.0, dtype=_F32), axis=1)
        acc[:, :, 1:] = leaves[:, self.order]  # -1 picks the -0.0 pad column
        return np.ascontiguousarray(np.cumsum(acc, axis=2, dtype=_F32)[:, :, -1])

    def _leaves(self, x: np.ndarray) -> np.ndarray:
        node = np.broadcast_to(self.roots, (x.shape[0], self.roots.shape[0])).copy()
        rows = np.arange(x.shape[0])[:, None]
        for _ in range(self.depth):
            v = x[rows, self.feature[node]]
            step = np.where(v < self.threshold[node], self.left[node], self.right[node])
            node = np.where(np.isnan(v), self.default[node], step)
        return self.value[node]


def _check(trees: XGBTrees) -> None:
    """The ranges every walk relies on (the compiled one reads memory unchecked)."""
    nodes, count = trees.left.shape[0], trees.roots.shape[0]
    arrays = (trees.right, trees.default, trees.feature, trees.threshold, trees.value)
    if any(a.shape != (nodes,) for a in arrays):
        raise ModelLoadError("XGBoost trees: node arrays of different lengths")
    if trees.base.shape != (trees.groups,) or trees.order.ndim != 2 or trees.depth < 0:
        raise ModelLoadError("XGBoost trees: intercepts do not match the output groups")
    if count and ((trees.roots < 0) | (trees.roots >= nodes)).any():
        raise ModelLoadError("XGBoost trees: a root outside the node arrays")
    if trees.order.size and ((trees.order < -1) | (trees.order >= count)).any():
        raise ModelLoadError("XGBoost trees: tree order names a tree that is not there")
    split = trees.left != np.arange(nodes)
    for name, ids in (("left_children", trees.left), ("right_children", trees.right),
                      ("default child", trees.default)):
        bad = split & ((ids < 0) | (ids >= nodes))
        if bad.any():
            raise ModelLoadError(f"XGBoost trees: node {int(np.argmax(bad))} has {name} "
                                 f"{int(ids[np.argmax(bad)])}, not a node")
    bad = split & ((trees.feature < 0) | (trees.feature >= trees.num_features))
    if bad.any():
        i = int(np.argmax(bad))
        raise ModelLoadError(f"XGBoost trees: node {i} splits on feature {int(trees.feature[i])}"
                             f", outside the booster's {trees.num_features} features")


def compile_walk(trees: XGBTrees) -> RowWalk:
    """The row kernels' walk (:data:`RowWalk`) over ``trees``: the compiled kernel bound to its
    arrays, or :meth:`XGBTrees.numpy_margins` of one row."""
    kernels = engine.compiled()
    if kernels is None:
        def numpy_walk(x: np.ndarray, base: np.ndarray | None, missing: np.float32
                       ) -> np.ndarray:
            x = np.where(x == missing, _F32(np.nan), x)
            return trees.numpy_margins(x[None, :], None if base is None else base[:, 0])[0]

        return numpy_walk
    margins, empty, groups, depth = kernels.xgb_margins, np.empty, trees.groups, trees.depth
    own_base = trees.base.reshape(1, groups).astype(_F32)
    args = (trees.roots.astype(np.int64), trees.table, trees.threshold.astype(_F32),
            trees.value.astype(_F32), trees.order.astype(np.int64))

    def walk(x: np.ndarray, base: np.ndarray | None, missing: np.float32) -> np.ndarray:
        out = empty((1, groups), dtype=_F32)
        margins(x.reshape(1, -1), *args, own_base if base is None else base, missing, depth,
                out)
        return out[0]

    return walk
