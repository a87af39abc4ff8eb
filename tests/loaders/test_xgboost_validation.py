"""XGBoost booster JSON that xgboost would refuse or mis-read fails to load with ModelLoadError
naming the stage and model/ (issue 9, findings 1-4): cycles in the child links (which looped
forever), split features out of range or not integers (which reached generated source or were
truncated), a booster without trees (which loaded and then failed every score), deep nesting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import servelib
from servelib.errors import ModelLoadError
from servelib.loaders.limits import LoadLimits
from tests.loaders.corrupt import (
    booster_file,
    copy_model,
    edit_booster,
    fingerprint,
    input_rows,
    stage,
    trees,
)

CASE = "xgb_regressor_pipeline"
Booster = dict[str, Any]


def _model(tmp_path: Path, change) -> Path:
    model = copy_model(CASE, tmp_path)
    edit_booster(stage(model, "SparkXGB"), change)
    return model


def _refused(model: Path, *words: str, limits: LoadLimits | None = None) -> None:
    with pytest.raises(ModelLoadError) as err:
        servelib.load(model, limits=limits)
    text = str(err.value)
    assert "SparkXGBRegressorModel" in text, text
    assert err.value.path.endswith("model"), err.value.path
    for word in words:
        assert word in text, text


def _tree0(change):
    return lambda booster: change(trees(booster)[0])


@pytest.mark.parametrize(("node", "child"), [(0, 0), (1, 0), (3, 1)])
def test_cycle_in_left_children(tmp_path, node, child):
    """Finding 1: a back edge made ``_depth`` loop forever."""
    def change(tree: Booster) -> None:
        assert tree["left_children"][node] != -1
        tree["left_children"][node] = child
    _refused(_model(tmp_path, _tree0(change)), "reached twice")


def test_shared_child(tmp_path):
    def change(tree: Booster) -> None:
        tree["right_children"][0] = tree["left_children"][0]
    _refused(_model(tmp_path, _tree0(change)), "reached twice")


@pytest.mark.parametrize("child", [-3, 10**6])
def test_child_out_of_range(tmp_path, child):
    _refused(_model(tmp_path, _tree0(lambda t: t["right_children"].__setitem__(0, child))),
             "outside its tree")


@pytest.mark.parametrize("feature", [-3, 6, 10**9])
def test_split_feature_out_of_range(tmp_path, feature):
    """Finding 2: split_indices -3 reached generated source (SyntaxError)."""
    _refused(_model(tmp_path, _tree0(lambda t: t["split_indices"].__setitem__(0, feature))),
             "feature", "num_feature=6")


@pytest.mark.parametrize("feature", [1.5, "1", None, True])
def test_split_feature_must_be_an_integer(tmp_path, feature):
    """Finding 4: split_indices 1.5 was truncated to 1."""
    _refused(_model(tmp_path, _tree0(lambda t: t["split_indices"].__setitem__(0, feature))),
             "split_indices")


@pytest.mark.parametrize("field", ["split_conditions", "default_left", "loss_changes"])
def test_node_arrays_of_the_wrong_length_or_type(tmp_path, field):
    _refused(_model(tmp_path, _tree0(lambda t: t[field].pop())), field)
    _refused(_model(tmp_path / "b", _tree0(lambda t: t[field].__setitem__(0, "x"))), field)


def test_a_booster_without_trees_is_refused(tmp_path):
    """Finding 2: ``trees = []`` loaded, then every score raised NameError."""
    def change(booster: Booster) -> None:
        model = booster["learner"]["gradient_booster"]["model"]
        model["trees"], model["tree_info"], model["iteration_indptr"] = [], [], [0]
        model["gbtree_model_param"]["num_trees"] = "0"
    _refused(_model(tmp_path, change), "no trees")


def test_tree_info_out_of_range(tmp_path):
    def change(booster: Booster) -> None:
        booster["learner"]["gradient_booster"]["model"]["tree_info"][0] = 3
    _refused(_model(tmp_path, change), "tree_info")


@pytest.mark.parametrize("value", ["10000000000", "-1", "4.5", [4]])
def test_num_feature(tmp_path, value):
    def change(booster: Booster) -> None:
        booster["learner"]["learner_model_param"]["num_feature"] = value
    _refused(_model(tmp_path, change), "num_feature")


@pytest.mark.parametrize("depth", [80, 100_000])
def test_deeply_nested_booster(tmp_path, depth):
    model = copy_model(CASE, tmp_path)
    path = booster_file(stage(model, "SparkXGB"))
    path.write_text('{"learner": ' + "[" * depth + "]" * depth + "}")
    _refused(model, "nested")


def test_booster_not_utf8(tmp_path):
    model = copy_model(CASE, tmp_path)
    path = booster_file(stage(model, "SparkXGB"))
    path.write_bytes(path.read_bytes()[:100] + b"\xff\xfe" + path.read_bytes()[100:])
    with pytest.raises(ModelLoadError, match="not UTF-8"):
        servelib.load(model)


def test_depth_limit(tmp_path):
    _refused(copy_model(CASE, tmp_path), "max_tree_depth (2)", limits=LoadLimits(max_tree_depth=2))


def test_unreachable_leaves_are_allowed_like_deleted_nodes(tmp_path):
    """xgboost keeps pruned (deleted) nodes as unreachable leaves; they do not change scores."""
    def change(tree: Booster) -> None:
        for key, value in (("left_children", -1), ("right_children", -1), ("split_indices", 7),
                           ("split_conditions", 99.0), ("default_left", 0),
                           ("loss_changes", 0.0), ("parents", 2147483647), ("split_type", 0),
                           ("base_weights", 0.0), ("sum_hessian", 0.0)):
            tree[key].append(value)
        tree["tree_param"]["num_nodes"] = str(int(tree["tree_param"]["num_nodes"]) + 1)
    model = servelib.load(_model(tmp_path, _tree0(change)))
    original = servelib.load(copy_model(CASE, tmp_path / "o"))
    rows = input_rows(CASE)
    assert fingerprint(model, rows) == fingerprint(original, rows)
