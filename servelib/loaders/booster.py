"""Typed reads of an XGBoost booster's JSON (``Booster.save_raw("json")``), as xgboost.spark
saves it under ``model/``: the number formats xgboost writes (integers and floats also as text,
"23" and "5E-1"), each tree's node arrays checked for length and type, split features in range,
and every tree's structure (tree_checks.walk: split nodes reached once from the root, a depth
limit). https://github.com/dmlc/xgboost/blob/v3.2.0/src/tree/tree_model.cc (RegTree::LoadModel)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from servelib.errors import UnsupportedStage
from servelib.loaders.context import StageContext
from servelib.loaders.metadata import parse_json
from servelib.loaders.params import (
    BadValue,
    Fields,
    as_double,
    as_int,
    as_list,
    floats,
    ints,
    mapping_fields,
    show,
)
from servelib.loaders.tree_checks import walk


def unsupported(ctx: StageContext, reason: str) -> UnsupportedStage:
    return UnsupportedStage(ctx.meta.spark_class, ctx.path, reason=reason)


def read_booster(ctx: StageContext) -> dict[str, Any]:
    folder = ctx.mfs.join(ctx.path, "model")
    if not ctx.mfs.is_dir(folder):
        raise ctx.error("no model/ directory (xgboost.spark saves the booster JSON there)")
    parts = [n for n in ctx.mfs.list(folder) if n.startswith("part-")]
    if not parts:
        raise ctx.error("model/ holds no part file", folder)
    # textFile().collect() then "".join: every line break between chunks disappears
    text = "".join("".join(re.split(r"\r\n|\r|\n", ctx.mfs.read_text(ctx.mfs.join(folder, p))))
                   for p in parts)
    booster = parse_json(text, folder, ctx.limits,
                         f"{ctx.meta.spark_class} ({ctx.uid}): XGBoost booster JSON")
    if not isinstance(booster, dict) or not isinstance(booster.get("learner"), dict) or \
            not isinstance(booster["learner"].get("gradient_booster"), dict):
        raise ctx.error("model/ is not an XGBoost JSON booster (no learner.gradient_booster)",
                        folder)
    return booster


def json_int(value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """An integer as xgboost's JSON writes it: a number, or its decimal text ("23")."""
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value):
        value = int(value)
    return as_int(value, lo, hi)


def json_float(value: Any) -> float:
    """A float as xgboost's JSON writes it: a number, or its text ("5E-1")."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise BadValue(f"expected a number, got {show(value)}") from None
    return as_double(value)


def json_object(value: Any, where: str) -> Fields:
    if not isinstance(value, dict):
        raise BadValue(f"{where} is not an object: {show(value)}")

    def error(message: str) -> BadValue:  # Fields raises what its error factory returns
        return BadValue(f"{where}: {message}")
    return mapping_fields(value, error, "field", 1 << 62)  # type: ignore[arg-type]


def _column(tree: Fields, name: str, n: int, convert: Callable[[Any, int], np.ndarray]
            ) -> np.ndarray:
    def read(value: Any) -> np.ndarray:
        items = convert(value, n)
        if len(items) != n:
            raise BadValue(f"{len(items)} entries for {n} nodes")
        return items
    return tree.read(name, read)


def _flags(value: Any, n: int) -> np.ndarray:
    """default_left: 0/1 (JSON) or booleans (UBJSON-converted)."""
    arr = np.asarray(as_list(value, n))
    if arr.ndim == 1 and (arr.dtype.kind == "b" or (
            arr.dtype.kind in "iu" and ((arr == 0) | (arr == 1)).all())):
        return arr.astype(bool)
    return np.array([_flag(v) for v in as_list(value, n)], dtype=bool)


def _ids(value: Any, n: int) -> np.ndarray:
    """Node ids or feature indices: JSON integers (range checks come with the structure)."""
    return ints(value, n, -(1 << 62))


def _flag(value: Any) -> bool:
    if isinstance(value, bool) or (type(value) is int and value in (0, 1)):
        return bool(value)
    raise BadValue(f"expected 0 or 1, got {show(value)}")


def tree_depths(nodes: list[dict[str, Any]], max_nodes: int, max_depth: int) -> list[int]:
    """Every split node of every tree reached exactly once from its root (tree_checks.walk,
    over all trees at once); unreachable leaves are xgboost's deleted nodes. Each tree's depth."""
    sizes = np.array([len(t["left"]) for t in nodes], dtype=np.int64)
    if sizes.sum() > max_nodes:
        raise BadValue(f"more than LoadLimits.max_nodes ({max_nodes}) nodes")
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    tree_of = np.repeat(np.arange(len(nodes)), sizes)
    left = np.concatenate([np.where(t["left"] != -1, t["left"] + a, -1)
                           for t, a in zip(nodes, starts)])
    right = np.concatenate([np.where(t["left"] != -1, t["right"] + a, -1)
                            for t, a in zip(nodes, starts)])
    found = walk(left, right, starts, tree_of, max_depth)
    lost = np.flatnonzero((left != -1) & (found.depth < 0))
    if lost.size:
        raise BadValue(f"tree {int(tree_of[lost[0]])}: split node "
                       f"{int(lost[0] - starts[tree_of[lost[0]]])} is not reachable from the root")
    depth = np.zeros(len(nodes), dtype=np.int64)
    np.maximum.at(depth, tree_of, found.depth)
    return depth.tolist()


def tree_arrays(ctx: StageContext, tree: Fields, num_feature: int) -> dict[str, Any]:
    """One tree's node arrays, checked: lengths, types, split features in [0, num_feature)."""
    limits = ctx.limits
    param = json_object(tree.get("tree_param"), "tree_param")
    n = param.read("num_nodes", lambda v: json_int(v, 1, limits.max_nodes))
    if param.read("size_leaf_vector", json_int, 1) > 1:
        raise unsupported(ctx, "multi-target (vector-leaf) trees are not supported")
    if any(json_int(s) != 0 for s in tree.read("split_type", lambda v: as_list(v, n), [])):
        raise unsupported(ctx, "categorical splits (feature_types 'c') are not supported")
    lc = _column(tree, "left_children", n, _ids)
    rc = _column(tree, "right_children", n, _ids)
    split = lc != -1
    feats = _column(tree, "split_indices", n, _ids)
    bad = split & ((feats < 0) | (feats >= num_feature))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise BadValue(f"node {i} splits on feature {int(feats[i])}, outside "
                       f"[0, num_feature={num_feature})")
    return dict(left=lc, right=rc, feature=feats,
                default_left=_column(tree, "default_left", n, _flags),
                condition=_column(tree, "split_conditions", n, floats),
                gain=_column(tree, "loss_changes", n, floats))
