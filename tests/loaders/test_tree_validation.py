"""Spark tree data that Spark's reader would refuse (or build with null children) fails to load
with ModelLoadError naming the stage and data/ (issue 9, findings 1-4): cycles, back edges,
negative or out-of-range child ids and features, non-pre-order ids, too deep trees, bad
categorical splits. Each would have allocated without bound, reached generated source or
scored wrong answers before."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import servelib
from servelib.errors import ModelLoadError
from servelib.loaders.limits import LoadLimits
from tests.loaders.corrupt import copy_model, edit_meta, edit_nodes, edit_rows, stage

GBT = "tree_gbt_regressor_single_stage"
Nodes = list[dict[str, Any]]


def _gbt(tmp_path: Path, change) -> Path:
    model = copy_model(GBT, tmp_path)
    edit_nodes(model, change)
    return model


def _refused(model: Path, *words: str, limits: LoadLimits | None = None) -> None:
    with pytest.raises(ModelLoadError) as err:
        servelib.load(model, limits=limits)
    text = str(err.value)
    assert "GBTRegressionModel" in text or "DecisionTree" in text, text
    assert err.value.path.endswith("data"), err.value.path
    for word in words:
        assert word in text, text


def _internal(nodes: Nodes, depth: int = 0) -> dict[str, Any]:
    """A tree-0 internal node ``depth`` levels down the left spine."""
    node = nodes[0]
    for _ in range(depth):
        node = nodes[node["leftChild"]]
    assert node["leftChild"] != -1
    return node


def test_root_pointing_at_itself(tmp_path):
    """Finding 1: a cycle allocated until the process was OOM-killed."""
    _refused(_gbt(tmp_path, lambda nodes: _internal(nodes).update(leftChild=0)), "reached twice")


def test_back_edge_to_an_ancestor(tmp_path):
    _refused(_gbt(tmp_path, lambda nodes: _internal(nodes, 2).update(rightChild=1)), "tree 0")


def test_negative_right_child_spark_refuses(tmp_path):
    """Finding 4: rightChild -5 loaded (NumPy negative indexing) and changed predictions."""
    _refused(_gbt(tmp_path, lambda nodes: _internal(nodes).update(rightChild=-5)), "child id")


@pytest.mark.parametrize("left", [-2, -5])
def test_left_child_other_than_minus_one_is_internal_like_spark(tmp_path, left):
    def change(nodes: Nodes) -> None:
        leaf = next(n for n in nodes if n["leftChild"] == -1)
        leaf["leftChild"] = left
    _refused(_gbt(tmp_path, change), "child id")


@pytest.mark.parametrize("child", ["leftChild", "rightChild"])
def test_child_id_out_of_range(tmp_path, child):
    """Finding 3: IndexError: index 99999 is out of bounds."""
    _refused(_gbt(tmp_path, lambda nodes: _internal(nodes, 1).update({child: 99999})), "child id")


def test_child_in_the_next_tree(tmp_path):
    def change(nodes: Nodes) -> None:
        size = next(i for i, n in enumerate(nodes) if i and n["id"] == 0)  # tree 0's nodes
        _internal(nodes).update(rightChild=size + 1)
    _refused(_gbt(tmp_path, change), "outside its tree")


def test_ids_not_in_pre_order(tmp_path):
    def change(nodes: Nodes) -> None:
        root = _internal(nodes)
        left = nodes[root["leftChild"]]
        if left["leftChild"] != -1:
            left["leftChild"], left["rightChild"] = left["rightChild"], left["leftChild"]
    _refused(_gbt(tmp_path, change), "pre-order")


@pytest.mark.parametrize("feature", [-1, -3, 4, 99999])
def test_split_feature_outside_num_features(tmp_path, feature):
    """Finding 2: featureIndex -1 reached generated source as ``x[-1]`` (SyntaxError)."""
    def change(nodes: Nodes) -> None:
        _internal(nodes, 1)["split"]["featureIndex"] = feature
    _refused(_gbt(tmp_path, change), "feature", "numFeatures=4")


def test_continuous_split_without_threshold(tmp_path):
    def change(nodes: Nodes) -> None:
        _internal(nodes)["split"]["leftCategoriesOrThreshold"] = []
    _refused(_gbt(tmp_path, change), "continuous split")


def test_null_in_a_node_column(tmp_path):
    model = copy_model(GBT, tmp_path)

    def change(rows: list[dict[str, Any]]) -> None:
        rows[3]["nodeData"]["leftChild"] = None
    edit_rows(model / "data", change, keep_schema=False)
    _refused(model, "leftChild")


def test_num_trees_must_match_the_data(tmp_path):
    model = copy_model(GBT, tmp_path)
    edit_meta(model, lambda raw: raw.__setitem__("numTrees", 7))
    with pytest.raises(ModelLoadError, match="numTrees=7"):
        servelib.load(model)


CATEGORICAL = "tree_dt_classifier_categorical_meta"


def _categorical(tmp_path: Path, change) -> Path:
    model = copy_model(CATEGORICAL, tmp_path)
    edit_nodes(stage(model), lambda nodes: change(
        next(n for n in nodes if n["split"]["numCategories"] > 0)["split"]))
    return model


@pytest.mark.parametrize("category", [-1.0, 5.0, 1.5])
def test_left_categories_outside_the_categories(tmp_path, category):
    """Spark's CategoricalSplit requires 0 <= category < numCategories (and ours whole)."""
    model = _categorical(tmp_path,
                         lambda split: split["leftCategoriesOrThreshold"].append(category))
    _refused(model, "categories")


@pytest.mark.parametrize("count", [0, -2, 10**9])
def test_num_categories_out_of_range(tmp_path, count):
    _refused(_categorical(tmp_path, lambda split: split.update(numCategories=count)),
             "numCategories")


def _chain(depth: int):
    """A pre-order chain ``depth`` levels deep: each internal node's left child a leaf."""
    def change(nodes: Nodes) -> None:
        leaf = copy.deepcopy(next(n for n in nodes if n["leftChild"] == -1))
        inner = copy.deepcopy(_internal(nodes))
        inner["split"]["featureIndex"] = 0
        chain = []
        for level in range(depth):
            i = 2 * level
            chain.append({**copy.deepcopy(inner), "id": i, "leftChild": i + 1,
                          "rightChild": i + 2})
            chain.append({**copy.deepcopy(leaf), "id": i + 1})
        chain.append({**copy.deepcopy(leaf), "id": 2 * depth})
        nodes[:] = chain
    return change


def _deep_tree(tmp_path: Path, depth: int) -> Path:
    model = copy_model("tree_dt_regressor_paths", tmp_path)
    edit_rows(stage(model, "0_Decision") / "data", _chain(depth))
    return model


def test_tree_deeper_than_the_limit(tmp_path):
    """Finding 2: a tree 120 levels deep gave IndentationError from generated source; the
    documented LoadLimits.max_tree_depth (64; Spark trains at most 30) refuses it."""
    _refused(_deep_tree(tmp_path, 120), "max_tree_depth (64)")


def test_tree_at_the_depth_limit_loads_and_scores(tmp_path):
    model = servelib.load(_deep_tree(tmp_path, 64))
    (column,) = model.input_columns()
    out = model.score_instance({column: servelib.DenseVector([1.0] * 4)})
    stage0 = model.stages[0]
    assert out[stage0.prediction_col] == stage0.node_prediction[-1]  # x[0] > threshold: rightmost
    assert out["l1"] == 64.0  # leafCol: the last of 65 leaves


def test_a_smaller_depth_limit(tmp_path):
    _refused(_deep_tree(tmp_path, 12), "max_tree_depth (10)", limits=LoadLimits(max_tree_depth=10))


def test_node_and_tree_limits(tmp_path):
    model = copy_model(GBT, tmp_path)
    _refused(model, "max_nodes", limits=LoadLimits(max_nodes=100))
    _refused(model, "max_trees", limits=LoadLimits(max_trees=5))
    with pytest.raises(ModelLoadError, match="max_rows"):
        servelib.load(model, limits=LoadLimits(max_rows=100))
