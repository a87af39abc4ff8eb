"""Structure checks for the trees of Spark tree models and XGBoost boosters, before any walker
or compiled engine sees them.

Node arrays hold every tree of a model back to back, children as global node ids (-1 for a
leaf's). ``walk`` visits the trees level by level from their roots with NumPy, so a cycle, a
node with two parents, a child id out of range or a tree deeper than ``LoadLimits.max_tree_depth``
fails in at most ``max_tree_depth`` vectorised steps, whatever the file says. Spark numbers the
nodes of a tree in pre-order (``NodeData.build``; the reader ``buildTreeFromNodes`` looks
children up by id and leaves unbuilt ones null), so ``check_preorder`` asks for exactly that;
XGBoost may keep deleted, unreachable nodes (``tree_param.num_deleted``) and reuse their ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from servelib.loaders.params import BadValue


@dataclass(frozen=True)
class Walk:
    """What ``walk`` found: each node's depth (-1: unreachable), its parent (-1 for roots and
    unreachable nodes), and the nodes of each level (level 0: the roots)."""

    depth: np.ndarray
    parent: np.ndarray
    levels: list[np.ndarray]


def walk(left: np.ndarray, right: np.ndarray, roots: np.ndarray, tree_of: np.ndarray,
         max_depth: int) -> Walk:
    """Visit every tree from its root; BadValue on a child outside its own tree, a node reached
    twice (a cycle or a shared child) or a tree deeper than ``max_depth``."""
    n = left.shape[0]
    depth = np.full(n, -1, dtype=np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    slot = np.empty(n, dtype=np.int64)
    level, levels = roots.astype(np.int64), []
    depth[level] = 0
    for d in range(max_depth + 2):
        levels.append(level)
        inner = level[left[level] != -1]
        if inner.size == 0:
            return Walk(depth, parent, levels)
        if d == max_depth:
            raise BadValue(f"tree {int(tree_of[inner[0]])} is deeper than LoadLimits."
                           f"max_tree_depth ({max_depth})")
        kids = np.concatenate([left[inner], right[inner]])
        owners = np.concatenate([inner, inner])
        out = (kids < 0) | (kids >= n)
        out[~out] = tree_of[kids[~out]] != tree_of[owners[~out]]
        if out.any():
            at = int(np.flatnonzero(out)[0])
            raise BadValue(f"tree {int(tree_of[owners[at]])}: node {int(owners[at])} has child "
                           f"id {int(kids[at])} outside its tree")
        again = depth[kids] >= 0
        places = np.arange(kids.shape[0])
        slot[kids] = places  # a kid listed twice keeps only one of its places
        if again.any() or (slot[kids] != places).any():
            at = int(np.flatnonzero(again)[0]) if again.any() else 0
            raise BadValue(f"tree {int(tree_of[owners[at]])}: node {int(kids[at])} is reached "
                           "twice (a cycle or a shared child)")
        depth[kids] = d + 1
        parent[kids] = owners
        level = kids
    raise AssertionError("unreachable")  # the loop returns or raises by max_depth + 1


def check_preorder(left: np.ndarray, right: np.ndarray, found: Walk, start: np.ndarray) -> None:
    """Every node reached, and numbered in pre-order within its tree (``start``: the global id
    of each node's tree root): a node's left child follows it, its right child follows the
    whole left subtree."""
    missing = np.flatnonzero(found.depth < 0)
    if missing.size:
        raise BadValue(f"node {int(missing[0] - start[missing[0]])} of the tree starting at "
                       f"row {int(start[missing[0]])} is not reachable from its root")
    size = np.ones(left.shape[0], dtype=np.int64)
    for level in reversed(found.levels[1:]):
        np.add.at(size, found.parent[level], size[level])
    inner = np.flatnonzero(left != -1)
    ok = (left[inner] == inner + 1) & (right[inner] == inner + 1 + size[left[inner]])
    if not ok.all():
        at = int(inner[np.flatnonzero(~ok)[0]])
        raise BadValue(f"node {at - int(start[at])} of the tree starting at row "
                       f"{int(start[at])}: children {int(left[at] - start[at])}, "
                       f"{int(right[at] - start[at])} are not in pre-order")
