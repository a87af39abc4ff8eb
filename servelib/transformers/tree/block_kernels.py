"""Compiled batch walks over heap.py's padded trees, a block of rows at a time (blocks.py builds
their arrays; kernels.py keeps the one-row walks and re-exports these for engine.py).

The rows of a block are copied column-major (``xt[c * block + r]``). A tree's top MASK_DEPTH
levels are decided by masks (_bottom_by_masks): each split one vector comparison over the whole
block. Levels below them (deeper trees) are walked, eight rows side by side reading one column
at constant offsets from one base: per level and row two loads from the tree (column,
threshold), one from the block and an add-with-carry. All indices are unsigned (numba adds a
negative-index fix-up to every signed index). Both give the heap position the walk of
heap.py's layout reaches, so the same leaf. The block's
virtual categorical columns (heap.py: ``z = 0.0`` goes left, ``1.0`` right, split at ``z <= 0.5``)
are computed once per block from each categorical feature's slot (the category's index, the
table's last slot for values in no category) as a bit of the table's mask: the same 0.0/1.0 and
the same comparison as heap.py, without a gather per value. Trees are walked one after the other
over the block (one tree's nodes stay in cache), and sums are added tree by tree in the order of
kernels._sum_leaves: left to right from the first tree's value, or netlib's ``lanes`` partial
sums, then the lanes in order, then the remaining trees.
"""

# mypy: disable-error-code="no-untyped-def"
# (numba types the arguments from the values passed, which warm_up lists)
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

BLOCKS = (64, 128)  # rows per block: each size its own compiled entry points (walks())
MASK_DEPTH = 4  # the top levels decided by masks (2**4 bits); 4 beat 5 by ~5% CPU on GBT-100 and RF-200
_LANES = 8
_U = np.uint64
_ALL = np.uint32(0xFFFF_FFFF)


@njit(cache=True, nogil=True, inline="always")
def _step(xt, row, p, column, threshold):
    """Heap position p's child for the block row at offset ``row``: 2p + 1 left, 2p + 2 right
    (NaN goes right, as ``x <= t`` is False)."""
    return p + p + _U(2) - _U(xt[column[p] + row] <= threshold[p])


@njit(cache=True, nogil=True, inline="always")
def _walk8(xt, r, levels, column, threshold, at):
    """Heap positions ``levels`` below ``at[r..r + 7]`` for block rows r..r + 7: eight
    independent chains of loads the CPU overlaps, kept in registers."""
    p0, p1, p2, p3, p4, p5, p6, p7 = at[r], at[r + 1], at[r + 2], at[r + 3], at[r + 4], \
        at[r + 5], at[r + 6], at[r + 7]
    b0 = _U(r)
    b1, b2, b3, b4, b5, b6, b7 = b0 + _U(1), b0 + _U(2), b0 + _U(3), b0 + _U(4), b0 + _U(5), \
        b0 + _U(6), b0 + _U(7)
    for _ in range(levels):
        p0 = _step(xt, b0, p0, column, threshold)
        p1 = _step(xt, b1, p1, column, threshold)
        p2 = _step(xt, b2, p2, column, threshold)
        p3 = _step(xt, b3, p3, column, threshold)
        p4 = _step(xt, b4, p4, column, threshold)
        p5 = _step(xt, b5, p5, column, threshold)
        p6 = _step(xt, b6, p6, column, threshold)
        p7 = _step(xt, b7, p7, column, threshold)
    return p0, p1, p2, p3, p4, p5, p6, p7


@njit(cache=True, nogil=True, inline="always")
def _fill(x, start, rows, width, cats, source, mask, xt, slots, block):
    """Block rows [start, start + rows) of ``x`` into ``xt``: the ``width`` columns the splits
    read (row by row: the reads follow memory), then the virtual columns (:func:`_virtual`)."""
    for r in range(rows):
        for c in range(width):
            xt[c * block + r] = x[start + r, c]
    _virtual(width, cats, source, mask, xt, slots, block)


@njit(cache=True, nogil=True, inline="always")
def _virtual(width, cats, source, mask, xt, slots, block):
    """One virtual column per (categorical source, table mask) after the ``width`` columns of
    ``xt``, from the source's column there (a categorical feature is one the splits read).
    Whole blocks, rows past the batch's included (junk, unused): loops without a remainder,
    over contiguous columns, which the compiler turns into vector instructions."""
    for q in range(cats.shape[0]):
        feature, size = cats[q, 0], cats[q, 1]
        last = np.float64(size)
        base = _U(feature * block)
        for r in range(_U(block)):
            v = xt[base + r]
            # the category's index, or the table's last slot (NaN fails every comparison)
            known = (v >= 0.0) & (v < last) & (v == np.floor(v))
            slots[q, r] = _U(v if known else last)
    for j in range(source.shape[0]):
        q, m, first = source[j], mask[j], _U((width + j) * block)
        for r in range(_U(block)):
            xt[first + r] = np.float64((m >> slots[q, r]) & _U(1))


@njit(cache=True, nogil=True, inline="always")
def _bottom_by_masks(xt, rows, depth, column, threshold, left, at, alive, block):
    """:func:`_bottom` by every split's answer instead of a walk (QuickScorer's idea): a row's
    ``alive`` bit per bottom position starts set, and a split the row fails clears the bits of
    its left subtree (``left``: per heap position, every bit but those). The lowest bit still
    set is the walk's exit: every position left of it lies in the left subtree of a split on
    its path that sent the row right, and no split on its path clears it. Each split is then
    one comparison for the whole block, in vector instructions, and no chain of loads: for
    shallow trees (few splits) this beats the walk. Rows past ``rows`` hold junk, unused."""
    inner = (1 << depth) - 1
    alive[:] = _ALL  # uint32: twice the rows per vector instruction of uint64
    for g in range(inner):
        first, t, m = column[g], threshold[g], left[g]
        for r in range(_U(block)):
            alive[r] &= _ALL if xt[first + r] <= t else m
    for r in range(rows):
        at[r] = _U(inner) + _U(trailing_zeros(alive[r]))


@njit(cache=True, nogil=True, inline="always")
def _bottom(xt, rows, depth, column, threshold, left, at, alive, block):
    """``at[r]``: block row r's heap position at the bottom level of one tree: the top
    MASK_DEPTH levels by masks, the levels below them (deeper trees) by walks."""
    top = min(depth, MASK_DEPTH)
    _bottom_by_masks(xt, rows, top, column, threshold, left, at, alive, block)
    levels = depth - top
    if levels == 0:
        return
    whole = rows - rows % _LANES
    for r in range(0, whole, _LANES):
        found = _walk8(xt, r, levels, column, threshold, at)
        for k in range(_LANES):
            at[r + k] = found[k]
    for r in range(whole, rows):
        p = at[r]
        for _ in range(levels):
            p = _step(xt, _U(r), p, column, threshold)
        at[r] = p


@njit(cache=True, nogil=True, inline="always")
def _block_leaves(x, width, column, threshold, leaf, depth, cats, source, mask, left, out,
                  block):
    """(rows, trees) leaf ids of float64 rows ``x`` into ``out``; the arrays are
    blocks.BlockForest's."""
    n, trees = x.shape[0], out.shape[1]
    inner, bottom = (1 << depth) - 1, 1 << depth
    xt = np.empty((width + source.shape[0]) * block)
    slots = np.empty((cats.shape[0], block), dtype=_U)
    at, alive = np.empty(block, dtype=_U), np.empty(block, dtype=np.uint32)
    for start in range(0, n, block):
        rows = min(n, start + block) - start
        _fill(x, start, rows, width, cats, source, mask, xt, slots, block)
        for t in range(trees):
            g = t * inner
            _bottom(xt, rows, depth, column[g:g + inner], threshold[g:g + inner], left, at, alive,
                    block)
            first = t * bottom - inner  # leaf[first + p]: bottom position p
            for r in range(rows):
                out[start + r, t] = leaf[first + np.int64(at[r])]


@njit(cache=True, nogil=True, inline="always")
def _gather(slot_values, first, at, rows, into, assign):
    """into[j, r] = (or +=) slot_values[first + at[r], j] for the block's rows (``into``
    column-major: the adds of one output run over contiguous memory); the choice made once
    per tree, not per row."""
    if assign:
        for j in range(slot_values.shape[1]):
            for r in range(rows):
                into[j, r] = slot_values[first + np.int64(at[r]), j]
    else:
        for j in range(slot_values.shape[1]):
            for r in range(rows):
                into[j, r] += slot_values[first + np.int64(at[r]), j]


@njit(cache=True, nogil=True, inline="always")
def _block_sums(x, width, column, threshold, depth, cats, source, mask, left, slot_values, lanes,
                out, block):
    """(rows, k) sums over trees of ``slot_values`` (trees * 2**depth, k: the summed values of
    each tree's bottom positions), in kernels._sum_leaves' order, into ``out``."""
    n, k = x.shape[0], slot_values.shape[1]
    inner, bottom = (1 << depth) - 1, 1 << depth
    trees = slot_values.shape[0] >> depth
    whole = trees - trees % lanes if lanes > 0 else 0  # trees summed in lanes
    xt = np.empty((width + source.shape[0]) * block)
    slots = np.empty((cats.shape[0], block), dtype=_U)
    at, alive = np.empty(block, dtype=_U), np.empty(block, dtype=np.uint32)
    part = np.empty((max(lanes, 1), k, block))  # per lane, output, row
    acc = np.zeros((k, block))
    for start in range(0, n, block):
        rows = min(n, start + block) - start
        _fill(x, start, rows, width, cats, source, mask, xt, slots, block)
        acc[:] = 0.0  # no trees: sums of nothing
        for t in range(trees):
            g = t * inner
            _bottom(xt, rows, depth, column[g:g + inner], threshold[g:g + inner], left, at, alive,
                    block)
            first = t * bottom - inner
            if t < whole:  # lane t % lanes: its first tree or the next
                _gather(slot_values, first, at, rows, part[t % lanes], t < lanes)
                if t == whole - 1:  # the lanes are complete: their sum starts the total
                    for j in range(k):
                        for r in range(rows):
                            total = part[0, j, r]
                            for lane in range(1, lanes):
                                total += part[lane, j, r]
                            acc[j, r] = total
            else:
                _gather(slot_values, first, at, rows, acc, t == 0)
        for r in range(rows):
            for j in range(k):
                out[start + r, j] = acc[j, r]


class Walks(NamedTuple):
    """The entry points of one block size: block_leaves(x, width, column, threshold, leaf,
    depth, cats, source, mask, left, out) and block_sums(x, width, column, threshold, depth,
    cats, source, mask, left, slot_values, lanes, out), ``column`` scaled by ``block``."""

    block: int
    block_leaves: Callable[..., None]
    block_sums: Callable[..., None]


def _entry_points(block: int) -> Walks:
    """Entry points with ``block`` a compile-time constant (a closure's value, part of numba's
    cache key): the loops over a block's rows have a known trip count, which the compiler
    unrolls and vectorizes. 128-row blocks walk big batches 7-11% faster than 64-row ones
    (BENCHMARKS.md), and batches of a few rows 20-45% slower: each size keeps its
    own machine code, and walks() picks one per batch."""

    @njit(cache=True, nogil=True)
    def block_leaves(x, width, column, threshold, leaf, depth, cats, source, mask, left, out):
        _block_leaves(x, width, column, threshold, leaf, depth, cats, source, mask, left, out,
                      block)

    @njit(cache=True, nogil=True)
    def block_sums(x, width, column, threshold, depth, cats, source, mask, left, slot_values,
                   lanes, out):
        _block_sums(x, width, column, threshold, depth, cats, source, mask, left, slot_values,
                    lanes, out, block)

    return Walks(block, block_leaves, block_sums)


_WALKS = {block: _entry_points(block) for block in BLOCKS}


def walks(rows: int) -> Walks:
    """The entry points for a batch of ``rows`` rows: large blocks from one full large block
    (measured: 128-row blocks were faster from 128 rows up, 64-row ones below)."""
    small, large = BLOCKS
    return _WALKS[large if rows >= large else small]


def warm_up() -> None:
    """Load every entry point from the cache (or compile it) for blocks.py's argument types."""
    x, depth = np.zeros((1, 1)), 1
    column, threshold = np.zeros(1, dtype=_U), np.zeros(1)
    cats, source, mask = np.zeros((0, 2), np.int64), np.zeros(0, np.int64), np.zeros(0, _U)
    left = left_masks(depth)
    for entry in _WALKS.values():
        entry.block_leaves(x, 1, column, threshold, np.zeros(2, np.int64), depth, cats, source,
                           mask, left, np.empty((1, 1), np.int64))
        entry.block_sums(x, 1, column, threshold, depth, cats, source, mask, left,
                         np.zeros((2, 1)), 0, np.empty((1, 1)))


def left_masks(depth: int) -> np.ndarray:
    """Per heap position of the top ``min(depth, MASK_DEPTH)`` levels of a tree ``depth`` deep
    (2**MASK_DEPTH positions at the last of them at most), every bit but those of the positions under its
    left child at that level (_bottom_by_masks)."""
    depth = min(depth, MASK_DEPTH)
    out = np.zeros((1 << depth) - 1, dtype=np.uint32)
    for p in range(out.shape[0]):
        level = (p + 1).bit_length() - 1
        span = 1 << (depth - level - 1)  # bottom positions under each child
        first = (p - ((1 << level) - 1)) * 2 * span
        out[p] = ((1 << 32) - 1) ^ (((1 << span) - 1) << first)
    return out
