"""Row kernels (base.py): the plain-Python one-row path gives the batch path's bits and is taken.

Bit-equality on real fixtures is the conformance suite's job (score_instance vs score_instances on
every fixture row); here: the compiled tree sums against the NumPy sums on random forests, and the
pipelines users deploy actually take the row path on every row they score.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import servelib
from servelib.testing.parity import input_types, read_rows
from servelib.transformers.tree.compile import compile_sum, compile_sums
from servelib.transformers.tree.flat import build_forest
from servelib.transformers.tree.scoring import lane_dot, sequential_sum
from tests.parity.test_golden import CASE_DIRS
from tests.transformers.test_tree import _random_tree, _rows

# Pipelines whose every scored row must take the row path (stages all have kernels covering
# their configuration); a kernel that silently stops engaging shows up here, not as a slow p50.
ROW_PATH_FIXTURES = (
    "tree_gbt_onehot_pipeline",
    "tree_gbt_regressor",
    "tree_dt_regressor_pipeline",
    "string_indexer_one_hot_pipeline",
    "imputer_single_double_mode_in_place",
    "demo_lr_pipeline",
    "tree_gbt_classifier_100",
    "tree_rf_classifier_200",
    "tree_dt_classifier_pipeline",
    "tree_rf_regressor",
    "xgb_binary_pipeline",
    "xgb_multiclass_pipeline",
)


@pytest.mark.parametrize("count", [1, 3, 4, 5, 8, 9, 30])
@pytest.mark.parametrize("lanes", [0, 4, 8])
def test_compiled_sums_match_numpy_sums(count, lanes):
    rng = np.random.default_rng(count * 10 + lanes)
    trees = [_random_tree(rng, depth=4, width=5) for _ in range(count)]
    forest = build_forest(trees)
    pool = np.array([0.1, -0.0, 0.0, 1e300, -1e300, 3.7, -2.25, np.inf, 1e-310])
    values = rng.choice(pool, size=(2, forest.num_nodes)).tolist()
    x = _rows(rng, 200, 5)
    leaves, _ = forest._walk(x, None)
    expected = [lane_dot(np.asarray(v)[leaves], lanes) if lanes
                else sequential_sum(np.asarray(v)[leaves]) for v in values]
    at_leaves = compile_sums(forest, values, lanes)
    from_ids = compile_sum(values, count, lanes)
    for i, row in enumerate(x.tolist()):
        want = [float(e[i]) for e in expected]
        for got in (at_leaves(row), from_ids(forest.walk_one(row))):
            assert np.array(got).tobytes() == np.array(want).tobytes()


@pytest.mark.parametrize("fixture", [f for f in CASE_DIRS if f.name in ROW_PATH_FIXTURES],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_deployed_pipelines_take_the_row_path(fixture: Path):
    schema = json.loads((fixture / "schema.json").read_text())
    model = servelib.load(str(fixture / "model")).with_input_types(input_types(schema))
    kernel = model._kernel
    assert kernel is not None, "a stage of this pipeline has no row kernel"
    for row in read_rows(fixture / "input.jsonl"):
        try:
            scored = model.score_instances([row])
        except servelib.InvalidInput:
            continue
        if scored:
            assert kernel(dict(row)), f"row {row.get('_row')} left the row path"
