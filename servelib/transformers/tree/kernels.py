"""The compiled tree engine: numba functions over a forest's flat arrays (engine.py calls them).

Compiled once per process, not per model: the model's arrays are arguments, so every forest
shares these machine-code functions, and ``cache=True`` keeps them on disk between processes
(in ``__pycache__`` next to this file, or numba's user cache directory when that is read-only,
or ``NUMBA_CACHE_DIR``). ``nogil=True``: engine.py runs row chunks of big batches in threads.

Routing and sums are those of the NumPy walks they replace, to the bit:

* Spark (flat.py): ``x <= threshold`` goes left (NaN right); a categorical split looks the
  value's category up in its table, values in no category (NaN, fractions, out of range) at
  the table's last slot; ``-0.0`` is category 0. ``depth`` steps from the root, as the NumPy
  walk takes, so even a malformed tree cannot loop forever.
* Sums over trees (scoring.py): left to right from the first tree's value, or in netlib
  ddot's order with ``lanes`` partial sums; no fused multiply-add or reassociation (numba does
  neither without ``fastmath``).
* XGBoost (xgboost.py): float32 throughout; missing (NaN, or equal to ``missing``) takes the
  default child, else ``x < threshold`` goes left; each group's margin adds its trees' leaves
  to its intercept in ``order``, a ``-1`` pad adding float32 ``-0.0``.

Rows are taken in chunks of ``_CHUNK``; within a chunk the loop runs tree by tree, so one
tree's nodes stay in cache while the chunk's rows walk it. The helpers are inlined into the entry
points (``inline="always"``): a call per tree walk, passing five arrays, tripled its cost.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_CHUNK = 64  # rows per tree-outer pass
_NEG_ZERO = np.float32(-0.0)

# columns of a Spark forest's node table (flat.build_forest builds it)
LEFT, RIGHT, FEATURE, CAT_SIZE, CAT_OFFSET = range(5)


@njit(cache=True, nogil=True, inline="always")
def _spark_leaf(x, i, node, nodes, threshold, cat_left, depth):  # type: ignore[no-untyped-def]
    for _ in range(depth):
        feature = nodes[node, FEATURE]
        if feature < 0:  # a leaf
            break
        v = x[i, feature]
        size = nodes[node, CAT_SIZE]
        if size == 0:
            go_left = v <= threshold[node]
        else:
            slot = size
            if v >= 0.0 and v < size and v == np.floor(v):
                slot = int(v)
            go_left = cat_left[nodes[node, CAT_OFFSET] + slot]
        node = nodes[node, LEFT] if go_left else nodes[node, RIGHT]
    return node


@njit(cache=True, nogil=True, inline="always")
def _leaf_chunk(x, start, stop, roots, nodes, threshold, cat_left, depth, out, shift):  # type: ignore[no-untyped-def]
    """out[i - shift, t]: row i's leaf in tree t, for rows [start, stop), tree by tree."""
    for t in range(roots.shape[0]):
        root = roots[t]
        for i in range(start, stop):
            out[i - shift, t] = _spark_leaf(x, i, root, nodes, threshold, cat_left, depth)


@njit(cache=True, nogil=True)
def spark_leaves(x, roots, nodes, threshold, cat_left, depth, out):  # type: ignore[no-untyped-def]
    """(rows, trees) leaf ids of float64 rows ``x`` (as wide as the splits read) into ``out``."""
    n = x.shape[0]
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        _leaf_chunk(x, start, stop, roots, nodes, threshold, cat_left, depth, out, 0)


@njit(cache=True, nogil=True, inline="always")
def _sum_leaves(leaves, values, lanes, out):  # type: ignore[no-untyped-def]
    """out[j]: the sum over trees of ``values[leaf, j]``, as scoring.sequential_sum (``lanes``
    0) or scoring.lane_dot adds them."""
    trees = leaves.shape[0]
    whole = trees - trees % lanes if lanes > 0 else 0
    for j in range(values.shape[1]):
        if trees == 0:
            out[j] = 0.0
            continue
        if whole > 0:  # lane l adds terms l, l + lanes, ...; then the lanes, then the rest
            total = 0.0
            for lane in range(lanes):
                part = values[leaves[lane], j]
                for t in range(lane + lanes, whole, lanes):
                    part += values[leaves[t], j]
                total = part if lane == 0 else total + part
            first = whole
        else:
            total = values[leaves[0], j]
            first = 1
        for t in range(first, trees):
            total += values[leaves[t], j]
        out[j] = total


@njit(cache=True, nogil=True)
def leaf_sums(leaves, values, lanes, out):  # type: ignore[no-untyped-def]
    """Per row of (rows, trees) ``leaves``, :func:`_sum_leaves` into ``out`` (rows, k)."""
    for i in range(leaves.shape[0]):
        _sum_leaves(leaves[i], values, lanes, out[i])


@njit(cache=True, nogil=True)
def spark_sums(x, roots, nodes, threshold, cat_left, depth, values, lanes, out):  # type: ignore[no-untyped-def]
    """:func:`leaf_sums` of :func:`spark_leaves` without keeping the leaves: (rows, k)."""
    n = x.shape[0]
    buffer = np.empty((min(n, _CHUNK), roots.shape[0]), dtype=np.int64)
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        _leaf_chunk(x, start, stop, roots, nodes, threshold, cat_left, depth, buffer, start)
        for i in range(start, stop):
            _sum_leaves(buffer[i - start], values, lanes, out[i])


@njit(cache=True, nogil=True, inline="always")
def _xgb_leaf(x, i, node, nodes, threshold, missing, depth):  # type: ignore[no-untyped-def]
    for _ in range(depth):
        left = nodes[node, 0]
        if left == node:  # a leaf
            break
        v = x[i, nodes[node, 3]]
        if v != v or v == missing:
            node = nodes[node, 2]
        elif v < threshold[node]:
            node = left
        else:
            node = nodes[node, 1]
    return node


@njit(cache=True, nogil=True)
def xgb_margins(x, roots, nodes, threshold, value, order, base, missing, depth, out):  # type: ignore[no-untyped-def]
    """(rows, groups) float32 margins of float32 rows ``x`` into ``out``. ``nodes``: (left,
    right, default child, feature) per node; ``base``: (1 or rows, groups) intercepts."""
    n, trees = x.shape[0], roots.shape[0]
    groups, per = order.shape
    leaf = np.empty((min(n, _CHUNK), trees), dtype=np.float32)
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        for t in range(trees):
            root = roots[t]
            for i in range(start, stop):
                leaf[i - start, t] = value[_xgb_leaf(x, i, root, nodes, threshold, missing,
                                                     depth)]
        for i in range(start, stop):
            b = i if base.shape[0] > 1 else 0
            for g in range(groups):
                m = base[b, g]
                for p in range(per):
                    k = order[g, p]
                    m += leaf[i - start, k] if k >= 0 else _NEG_ZERO
                out[i, g] = m


def warm_up() -> None:
    """Load every entry point from the cache (or compile it) for the argument types engine.py,
    flat.py and xgboost.py pass, so that the first row a model scores does not pay for it."""
    x, roots, depth = np.zeros((1, 1)), np.zeros(1, dtype=np.int64), 0
    nodes = np.array([[0, 0, -1, 0, 0]], dtype=np.int64)
    cat_left, values = np.zeros(1, dtype=np.bool_), np.zeros((1, 1))
    spark_leaves(x, roots, nodes, x[0], cat_left, depth, np.empty((1, 1), dtype=np.int64))
    spark_sums(x, roots, nodes, x[0], cat_left, depth, values, 0, np.empty((1, 1)))
    leaf_sums(np.zeros((1, 1), dtype=np.int64), values, 0, np.empty((1, 1)))
    x32 = np.zeros((1, 1), dtype=np.float32)
    xgb_margins(x32, roots, np.zeros((1, 4), dtype=np.int64), x32[0], x32[0],
                np.zeros((1, 1), dtype=np.int64), x32, np.float32(np.nan), depth,
                np.empty((1, 1), dtype=np.float32))
