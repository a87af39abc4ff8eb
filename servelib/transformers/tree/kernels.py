"""The compiled tree engine: numba functions over a forest's flat arrays (engine.py calls them).

Compiled once per process, not per model: the model's arrays are arguments, so every forest
shares these machine-code functions, and ``cache=True`` keeps them on disk between processes
(in ``__pycache__`` next to this file, or numba's user cache directory when that is read-only,
or ``NUMBA_CACHE_DIR``). ``nogil=True``: engine.py runs row chunks of big batches in threads.

Routing and sums are those of the NumPy walks they replace, to the bit:

* Spark (flat.py): ``x <= threshold`` goes left (NaN right); a categorical split looks the
  value's category up in its table, values in no category (NaN, fractions, out of range) at
  the table's last slot; ``-0.0`` is category 0. Two layouts: ``spark_*`` follow the node
  table's child links for ``depth`` steps at most (as the NumPy walk), ``heap_*`` walk heap.py's
  padded complete trees without branches (categorical splits as virtual 0/1 columns), for every
  forest small enough to pad.
* Sums over trees (scoring.py): left to right from the first tree's value, or in netlib
  ddot's order with ``lanes`` partial sums; no fused multiply-add or reassociation (numba does
  neither without ``fastmath``).
* XGBoost (xgboost.py): float32 throughout; missing (NaN, or equal to ``missing``) takes the
  default child, else ``x < threshold`` goes left; each group's margin adds its trees' leaves
  to its intercept in ``order``, a ``-1`` pad adding float32 ``-0.0``.

Batches that walk heap.py's layout take block_kernels.py's block walks (blocks.py), which this
module re-exports; the walks here score one row, and batches of the other layouts. Rows are
taken in chunks of ``_CHUNK``; within a chunk the loop runs tree by tree, so one tree's nodes
stay in cache while the chunk's rows walk it. The helpers are inlined into the entry
points (``inline="always"``): a call per tree walk, passing five arrays, tripled its cost.
"""

# mypy: disable-error-code="no-untyped-def"
# (numba types the arguments from the values passed, which warm_up lists)
from __future__ import annotations

import numpy as np
from numba import njit

# re-exported: engine.compiled() is this module, blocks.py calls these through it
from servelib.transformers.tree.block_kernels import BLOCKS, left_masks, walks  # noqa: F401
from servelib.transformers.tree.block_kernels import warm_up as _warm_up_blocks

_CHUNK = 64  # rows per tree-outer pass
_LANES = 8  # heap walks side by side (_heap_walk8)
_NEG_ZERO = np.float32(-0.0)

# columns of a Spark forest's node table (flat.build_forest builds it)
LEFT, RIGHT, FEATURE, CAT_SIZE, CAT_OFFSET = range(5)


@njit(cache=True, nogil=True, inline="always")
def _spark_leaf(x, i, node, nodes, threshold, cat_left, depth):
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
def _leaf_chunk(x, start, stop, roots, nodes, threshold, cat_left, depth, out, shift):
    """out[i - shift, t]: row i's leaf in tree t, for rows [start, stop), tree by tree."""
    for t in range(roots.shape[0]):
        root = roots[t]
        for i in range(start, stop):
            out[i - shift, t] = _spark_leaf(x, i, root, nodes, threshold, cat_left, depth)


@njit(cache=True, nogil=True)
def spark_leaves(x, roots, nodes, threshold, cat_left, depth, out):
    """(rows, trees) leaf ids of float64 rows ``x`` (as wide as the splits read) into ``out``."""
    n = x.shape[0]
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        _leaf_chunk(x, start, stop, roots, nodes, threshold, cat_left, depth, out, 0)


@njit(cache=True, nogil=True, inline="always")
def _sum_leaves(leaves, values, lanes, out, part):
    """out[j]: the sum over trees of ``values[leaf, j]``, as scoring.sequential_sum (``lanes``
    0) or scoring.lane_dot adds them: lane l adds terms l, l + lanes, ... of the whole blocks
    (in ``part``, (lanes, k)), then the lanes are added in order, then the remaining terms.
    Trees in the outer loop: a leaf's k values are read together."""
    trees, k = leaves.shape[0], values.shape[1]
    whole = trees - trees % lanes if lanes > 0 else 0
    if trees == 0:
        out[:] = 0.0
        return
    if whole > 0:
        for t in range(whole):
            lane, leaf = t % lanes, leaves[t]
            for j in range(k):
                if t < lanes:
                    part[lane, j] = values[leaf, j]
                else:
                    part[lane, j] += values[leaf, j]
        for j in range(k):
            total = part[0, j]
            for lane in range(1, lanes):
                total += part[lane, j]
            out[j] = total
        first = whole
    else:
        for j in range(k):
            out[j] = values[leaves[0], j]
        first = 1
    for t in range(first, trees):
        leaf = leaves[t]
        for j in range(k):
            out[j] += values[leaf, j]


@njit(cache=True, nogil=True)
def leaf_sums(leaves, values, lanes, out):
    """Per row of (rows, trees) ``leaves``, :func:`_sum_leaves` into ``out`` (rows, k)."""
    part = np.empty((max(lanes, 1), values.shape[1]))
    for i in range(leaves.shape[0]):
        _sum_leaves(leaves[i], values, lanes, out[i], part)


@njit(cache=True, nogil=True)
def spark_sums(x, roots, nodes, threshold, cat_left, depth, values, lanes, out):
    """:func:`leaf_sums` of :func:`spark_leaves` without keeping the leaves: (rows, k)."""
    n = x.shape[0]
    buffer = np.empty((min(n, _CHUNK), roots.shape[0]), dtype=np.int64)
    part = np.empty((max(lanes, 1), values.shape[1]))
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        _leaf_chunk(x, start, stop, roots, nodes, threshold, cat_left, depth, buffer, start)
        for i in range(start, stop):
            _sum_leaves(buffer[i - start], values, lanes, out[i], part)


@njit(cache=True, nogil=True, inline="always")
def _heap_step(xa, r, p, g, column, threshold):
    """One level of a heap walk: node p of the tree whose first inner node is g, for row r of
    ``xa``; child 2p + 1 (left) or 2p + 2, NaN goes right."""
    g += p
    return 2 * p + 2 - (xa[r, column[g]] <= threshold[g])


@njit(cache=True, nogil=True, inline="always")
def _heap_walk8(xa, r, g, depth, column, threshold):
    """Rows r..r + 7 of ``xa`` walked side by side through the tree whose first inner node is
    g: independent chains of loads the CPU overlaps. Eight scalars, not an array, so that they
    stay in registers (a batch walks twice as fast as with lanes kept in an array)."""
    p0 = p1 = p2 = p3 = p4 = p5 = p6 = p7 = 0
    for _ in range(depth):
        p0 = _heap_step(xa, r, p0, g, column, threshold)
        p1 = _heap_step(xa, r + 1, p1, g, column, threshold)
        p2 = _heap_step(xa, r + 2, p2, g, column, threshold)
        p3 = _heap_step(xa, r + 3, p3, g, column, threshold)
        p4 = _heap_step(xa, r + 4, p4, g, column, threshold)
        p5 = _heap_step(xa, r + 5, p5, g, column, threshold)
        p6 = _heap_step(xa, r + 6, p6, g, column, threshold)
        p7 = _heap_step(xa, r + 7, p7, g, column, threshold)
    return (p0, p1, p2, p3, p4, p5, p6, p7)


@njit(cache=True, nogil=True, inline="always")
def _heap_chunk(x, start, stop, width, column, threshold, leaf, depth, virtual, z, xa, out,
                shift):
    """heap.py's layout: out[i - shift, t] for rows [start, stop). ``xa`` (chunk rows, width +
    virtual columns) receives the rows with their virtual categorical columns, as
    HeapForest._augment builds them."""
    for i in range(start, stop):
        r = i - start
        for c in range(width):
            xa[r, c] = x[i, c]
        for j in range(virtual.shape[0]):
            v, size = x[i, virtual[j, 0]], virtual[j, 1]
            slot = size
            if v >= 0.0 and v < size and v == np.floor(v):
                slot = int(v)
            xa[r, width + j] = z[virtual[j, 2] + slot]
    inner, bottom, rows, trees = (1 << depth) - 1, 1 << depth, stop - start, out.shape[1]
    base = start - shift
    whole = rows - rows % _LANES
    for t in range(trees):  # tree by tree, 8 rows at a time: one tree's nodes stay in cache
        g, first = t * inner, t * bottom - inner  # leaf[first + p]: bottom slot p - inner
        for r in range(0, whole, _LANES):
            found = _heap_walk8(xa, r, g, depth, column, threshold)
            for k in range(_LANES):
                out[base + r + k, t] = leaf[first + found[k]]
    # the last rows (all of a short batch, one row's trees): (tree, row) pairs _LANES at a
    # time in arrays, which measured faster than the scalars here (one row: 23 against 27 us)
    tree, row = np.empty(_LANES, np.int64), np.empty(_LANES, np.int64)
    p = np.empty(_LANES, np.int64)
    left = rows - whole
    pairs = trees * left
    for q0 in range(0, pairs, _LANES):
        w = min(_LANES, pairs - q0)
        for k in range(w):
            tree[k], row[k] = divmod(q0 + k, left)
            row[k] += whole
            p[k] = 0
        for _ in range(depth):
            for k in range(w):
                p[k] = _heap_step(xa, row[k], p[k], tree[k] * inner, column, threshold)
        for k in range(w):
            out[base + row[k], tree[k]] = leaf[tree[k] * bottom - inner + p[k]]


@njit(cache=True, nogil=True)
def heap_leaves(x, width, column, threshold, leaf, depth, virtual, z, out):
    """:func:`spark_leaves` over heap.py's layout (HeapForest.kernel_args)."""
    n = x.shape[0]
    xa = np.empty((min(n, _CHUNK), width + virtual.shape[0]))
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        _heap_chunk(x, start, stop, width, column, threshold, leaf, depth, virtual, z, xa, out, 0)


@njit(cache=True, nogil=True)
def heap_sums(x, width, column, threshold, leaf, depth, virtual, z, values, lanes, out):
    """:func:`spark_sums` over heap.py's layout."""
    n = x.shape[0]
    xa = np.empty((min(n, _CHUNK), width + virtual.shape[0]))
    buffer = np.empty((min(n, _CHUNK), leaf.shape[0] >> depth), dtype=np.int64)
    part = np.empty((max(lanes, 1), values.shape[1]))
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        _heap_chunk(x, start, stop, width, column, threshold, leaf, depth, virtual, z, xa,
                    buffer, start)
        for i in range(start, stop):
            _sum_leaves(buffer[i - start], values, lanes, out[i], part)


@njit(cache=True, nogil=True, inline="always")
def _xgb_leaf(x, i, node, nodes, threshold, missing, depth):
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
def xgb_margins(x, roots, nodes, threshold, value, order, base, missing, depth, out):
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
    flat.py, blocks.py and xgboost.py pass, so that the first row a model scores does not pay
    for it."""
    _warm_up_blocks()
    x, roots, depth = np.zeros((1, 1)), np.zeros(1, dtype=np.int64), 0
    nodes = np.array([[0, 0, -1, 0, 0]], dtype=np.int64)
    cat_left, values = np.zeros(1, dtype=np.bool_), np.zeros((1, 1))
    spark_leaves(x, roots, nodes, x[0], cat_left, depth, np.empty((1, 1), dtype=np.int64))
    spark_sums(x, roots, nodes, x[0], cat_left, depth, values, 0, np.empty((1, 1)))
    heap = (1, roots, x[0], roots, depth, np.zeros((0, 3), dtype=np.int64), x[0])
    heap_leaves(x, *heap, np.empty((1, 1), dtype=np.int64))
    heap_sums(x, *heap, values, 0, np.empty((1, 1)))
    leaf_sums(np.zeros((1, 1), dtype=np.int64), values, 0, np.empty((1, 1)))
    x32 = np.zeros((1, 1), dtype=np.float32)
    xgb_margins(x32, roots, np.zeros((1, 4), dtype=np.int64), x32[0], x32[0],
                np.zeros((1, 1), dtype=np.int64), x32, np.float32(np.nan), depth,
                np.empty((1, 1), dtype=np.float32))
