"""One corruptor per kind of damage a model directory can suffer, for the load fuzz suite.

Each corruptor changes one copied model directory in place, choosing what to damage with the
given ``random.Random``, and returns a description of what it did. ``STRICT`` kinds only make
changes Spark's readers refuse (or that change nothing Spark reads), so a load that succeeds must
score exactly what the pristine model scores; ``random_bytes`` may flip a digit of a valid
number, so its loads need only fail cleanly or score without an unexpected error.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from tests.loaders.corrupt import (
    booster_file,
    edit_booster,
    edit_meta,
    edit_rows,
    node_rows,
    part_files,
    trees,
)

Corruptor = Callable[[Path, random.Random], str]
_WRONG = [None, True, "abc", 7, 2.5, [1, 2], ["x"], {"a": 1}]
_DEEP = [65, 1000, 200_000]


def _files(model: Path) -> list[Path]:
    """Every file a loader reads: metadata and booster parts, Parquet parts."""
    return sorted(p for p in model.rglob("*") if p.is_file() and not p.name.startswith((".", "_")))


def _metas(model: Path) -> list[Path]:
    return sorted(p.parent.parent for p in model.rglob("metadata/part-*") if p.name[0] != ".")


def _kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "list of " + ",".join(sorted({_kind(v) for v in value}))
    return type(value).__name__


def _wrong_for(value: Any, rng: random.Random) -> Any:
    return rng.choice([w for w in _WRONG if _kind(w) != _kind(value)])


def truncate(model: Path, rng: random.Random) -> str:
    path = rng.choice(_files(model))
    data = path.read_bytes()
    keep = rng.randrange(len(data)) if data else 0
    path.write_bytes(data[:keep])
    return f"truncate {path.relative_to(model)} to {keep} of {len(data)} bytes"


def random_bytes(model: Path, rng: random.Random) -> str:
    path = rng.choice(_files(model))
    data = bytearray(path.read_bytes())
    spots = [rng.randrange(len(data)) for _ in range(rng.randint(1, 8))] if data else []
    for at in spots:
        data[at] = rng.randrange(256)
    path.write_bytes(bytes(data))
    return f"overwrite bytes {spots} of {path.relative_to(model)}"


def non_utf8(model: Path, rng: random.Random) -> str:
    texts = [p for p in _files(model) if not p.name.endswith(".parquet")]
    path = rng.choice(texts)
    data = path.read_bytes()
    at = rng.randrange(len(data) + 1)
    path.write_bytes(data[:at] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80"]) + data[at:])
    return f"invalid UTF-8 at byte {at} of {path.relative_to(model)}"


def wrong_type(model: Path, rng: random.Random) -> str:
    target = rng.choice(["meta", "data", "booster"])
    boosters = [p.parent.parent for p in model.rglob("model/part-*")]
    datas = sorted({p.parent for p in model.rglob("*.parquet")})
    if target == "booster" and boosters:
        return _booster_wrong_type(rng.choice(boosters), rng)
    if target == "data" and datas:
        return _data_wrong_type(rng.choice(datas), rng)
    stage = rng.choice(_metas(model))
    said = []

    def change(raw: dict[str, Any]) -> None:
        where = rng.choice([m for m in ("paramMap", "defaultParamMap", "") if m == "" or raw[m]])
        mapping = raw[where] if where else raw
        key = rng.choice(sorted(mapping))
        mapping[key] = _wrong_for(mapping[key], rng)
        said.append(f"{where or 'metadata'}.{key} = {mapping[key]!r}")
    edit_meta(stage, change)
    return f"{stage.name}: {said[0]}"


def _data_wrong_type(folder: Path, rng: random.Random) -> str:
    """Give one column (or one field of a struct column) another type in every row."""
    said = []

    def change(rows: list[dict[str, Any]]) -> None:
        if not rows:
            said.append("no rows")
            return
        column = rng.choice(sorted(rows[0]))
        field = None
        if isinstance(rows[0][column], dict):
            field = rng.choice(sorted(rows[0][column]))
        value = _wrong_for(rows[0][column] if field is None else rows[0][column][field], rng)
        for row in rows:
            if field is None:
                row[column] = value
            elif row[column] is not None:
                row[column][field] = value
        said.append(f"{column}{'.' + field if field else ''} = {value!r}")
    edit_rows(folder, change, keep_schema=False)
    return f"{folder.parent.name}/{folder.name}: {said[0]}"


def _booster_wrong_type(stage: Path, rng: random.Random) -> str:
    said = []

    def change(booster: dict[str, Any]) -> None:
        tree = rng.choice(trees(booster))
        key = rng.choice(sorted(tree))
        if isinstance(tree[key], list) and tree[key] and rng.random() < 0.5:
            i = rng.randrange(len(tree[key]))
            tree[key][i] = _wrong_for(tree[key][i], rng)
            said.append(f"tree {tree.get('id')} {key}[{i}] = {tree[key][i]!r}")
        else:
            tree[key] = _wrong_for(tree[key], rng)
            said.append(f"tree {tree.get('id')} {key} = {tree[key]!r}")
    edit_booster(stage, change)
    return f"{stage.name} booster: {said[0]}"


# ---- out of range: fields whose valid range Spark's readers (or xgboost) enforce ------------
_NODE_BAD = {"leftChild": [-5, -2, 10**6], "rightChild": [-5, -1, 10**6],
             "featureIndex": [-1, -3, 10**6], "numCategories": [0, -2, 10**9], "id": [-1, 10**6]}
_META_BAD = {"numFeatures": [-1, 10**12], "numClasses": [0, -1, 10**12], "numTrees": [0, -1, 999],
             "threshold": [-0.5, 1.5], "maxIter": [-1], "maxDepth": [31, -1],
             "handleInvalid": ["bogus"], "maxBins": [1], "stepSize": [0.0, 2.0]}
_XGB_BAD = {"left_children": [-5, 10**6], "right_children": [-5, 10**6],
            "split_indices": [-3, 10**9]}


def out_of_range(model: Path, rng: random.Random) -> str:
    choices: list[Callable[[], str]] = []
    for stage in _metas(model):
        raw = json.loads(part_files(stage / "metadata")[0].read_text())
        names = [k for k in _META_BAD if (k in raw or k in raw["paramMap"]
                 or k in raw["defaultParamMap"])
                 and (k != "threshold" or "LogisticRegression" in raw["class"])]  # [0, 1] there
        choices += [lambda s=stage, k=k: _meta_out_of_range(s, k, rng) for k in names]
        if stage in _tree_stages(model):
            choices.append(lambda s=stage: _nodes_out_of_range(s, rng))
        if (stage / "model").is_dir():
            choices.append(lambda s=stage: _booster_out_of_range(s, rng))
    return rng.choice(choices)()


def _meta_out_of_range(stage: Path, key: str, rng: random.Random) -> str:
    value = rng.choice(_META_BAD[key])

    def change(raw: dict[str, Any]) -> None:
        if key in raw:
            raw[key] = value
        else:
            raw["paramMap"][key] = value
    edit_meta(stage, change)
    return f"{stage.name}: {key} = {value!r}"


def _nodes_out_of_range(stage: Path, rng: random.Random) -> str:
    said = []

    def change(rows: list[dict[str, Any]]) -> None:
        nodes = [n for n in node_rows(rows) if n["leftChild"] != -1]
        node = rng.choice(nodes)
        key = rng.choice(sorted(_NODE_BAD))
        value = rng.choice(_NODE_BAD[key])
        (node["split"] if key in ("featureIndex", "numCategories") else node)[key] = value
        said.append(f"node {node['id']} {key} = {value}")
    edit_rows(stage / "data", change)
    return f"{stage.name}: {said[0]}"


def _booster_out_of_range(stage: Path, rng: random.Random) -> str:
    said = []

    def change(booster: dict[str, Any]) -> None:
        tree = rng.choice(trees(booster))
        inner = [i for i, c in enumerate(tree["left_children"]) if c != -1]
        key = rng.choice(sorted(_XGB_BAD))
        i = rng.choice(inner)
        tree[key][i] = rng.choice(_XGB_BAD[key])
        said.append(f"tree {tree['id']} {key}[{i}] = {tree[key][i]}")
    edit_booster(stage, change)
    return f"{stage.name} booster: {said[0]}"


# ---- cycles --------------------------------------------------------------------------------
def tree_cycle(model: Path, rng: random.Random) -> str:
    """Point a child link of a split node back at itself, an ancestor or a node already
    reached (Spark data/ or an XGBoost booster, whichever the model has)."""
    boosters = [p.parent.parent for p in model.rglob("model/part-*")]
    if boosters:
        return _booster_cycle(rng.choice(boosters), rng)
    stage = rng.choice(_tree_stages(model))
    said = []

    def change(rows: list[dict[str, Any]]) -> None:
        nodes = node_rows(rows)
        tree_start = [i for i, n in enumerate(nodes) if n["id"] == 0]
        start = rng.choice(tree_start)
        tree = nodes[start:next((s for s in tree_start if s > start), len(nodes))]
        inner = [n for n in tree if n["leftChild"] != -1]
        node = rng.choice(inner)
        target = rng.randrange(node["id"] + 1)  # itself or an earlier node: an ancestor or
        node[rng.choice(["leftChild", "rightChild"])] = target  # a node reached another way
        said.append(f"tree at row {start}: node {node['id']} -> {target}")
    edit_rows(stage / "data", change)
    return f"{stage.name}: {said[0]}"


def _tree_stages(model: Path) -> list[Path]:
    """Stages whose data/ is a Spark tree node table."""
    return sorted({p.parent.parent for p in model.rglob("data/*.parquet")
                   if {"nodeData", "leftChild"} & set(pq.read_schema(p).names)})


def _booster_cycle(stage: Path, rng: random.Random) -> str:
    said = []

    def change(booster: dict[str, Any]) -> None:
        tree = rng.choice(trees(booster))
        parents = tree["parents"]
        inner = [i for i, c in enumerate(tree["left_children"]) if c != -1]
        i = rng.choice(inner)
        ancestors, at = [i], i
        while parents[at] < len(parents) and at != 0:
            at = parents[at]
            ancestors.append(at)
        target = rng.choice(ancestors)
        tree[rng.choice(["left_children", "right_children"])][i] = target
        said.append(f"tree {tree['id']}: node {i} -> {target}")
    edit_booster(stage, change)
    return f"{stage.name} booster: {said[0]}"


# ---- deep nesting --------------------------------------------------------------------------
def deep_nesting(model: Path, rng: random.Random) -> str:
    depth = rng.choice(_DEEP)
    boosters = [booster_file(p.parent.parent) for p in model.rglob("model/part-*")]
    metas = [part_files(s / "metadata")[0] for s in _metas(model)]
    path = rng.choice(metas + boosters)
    text = "".join(path.read_text().splitlines())
    marker = '"@deep@"'
    doc = json.loads(text)
    holder = doc.get("paramMap", doc.get("learner", doc))
    holder[rng.choice(sorted(holder) or ["x"])] = "@deep@"
    path.write_text(json.dumps(doc).replace(marker, "[" * depth + "]" * depth, 1))
    return f"{path.relative_to(model)}: a value nested {depth} deep"


CORRUPTORS: dict[str, Corruptor] = {
    "truncate": truncate,
    "random_bytes": random_bytes,
    "non_utf8": non_utf8,
    "wrong_type": wrong_type,
    "out_of_range": out_of_range,
    "tree_cycle": tree_cycle,
    "deep_nesting": deep_nesting,
}
STRICT = frozenset(CORRUPTORS) - {"random_bytes"}
