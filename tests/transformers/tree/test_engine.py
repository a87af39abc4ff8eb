"""The tree engine: the compiled kernels (kernels.py) give the NumPy walks' leaves and sums bit for
bit, on random forests full of edge values and on every tree fixture, one row and batches; the
switch between them; malformed forests fail clearly at build time instead of reaching a walk."""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import servelib
from servelib.errors import InvalidInput, ModelLoadError
from servelib.testing.parity import input_types, read_rows, to_table
from servelib.transformers.tree import engine
from servelib.transformers.tree.flat import Forest, TreeNodes, build_forest
from servelib.transformers.tree.regressors import GBTRegressionModel
from servelib.transformers.tree.scoring import lane_dot, row_scorer, sequential_sum
from servelib.vectors import DenseVector, SparseVector
from tests.parity.test_golden import FIXTURES
from tests.transformers.test_tree import _random_tree, _rows

ROOT = Path(__file__).parents[3]
TREE_FIXTURES = sorted(p for p in FIXTURES.glob("spark-*/*")
                       if p.name.startswith(("tree_", "xgb_")) and (p / "model").exists())
# values summed over trees: signed zeros, overflow to inf, subnormals, both infinities (inf - inf
# is NaN: its bits must agree too)
_POOL = np.array([0.1, -0.0, 0.0, 1e300, -1e300, 3.7, -2.25, np.inf, -np.inf, 1e-310, 1 / 3])


@pytest.fixture(autouse=True)
def _compiled_engine(monkeypatch):
    """Each test starts on the compiled engine, whatever SERVELIB_TREE_ENGINE says."""
    monkeypatch.setattr(engine, "ENGINE", "numba")
    assert engine.compiled() is not None, "numba is installed in the test environment"


def _bits(value):
    """A value's exact bits, recursively (floats by their IEEE bytes, vectors by type and bytes)."""
    if isinstance(value, float):
        return struct.pack("<d", value)
    if isinstance(value, DenseVector | SparseVector):
        return type(value).__name__, value.toArray().tobytes()
    if isinstance(value, dict):
        return {k: _bits(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_bits(v) for v in value]
    return value


def _forest(seed: int, trees: int, depth: int, layout: str = "heap") -> Forest:
    """A random forest whose compiled walks use heap.py's padded layout, or the node table
    (what forests too deep to pad use)."""
    rng = np.random.default_rng(seed)
    forest = build_forest([_random_tree(rng, depth=depth, width=5) for _ in range(trees)])
    assert forest.heap is not None
    if layout == "nodes":
        forest.__dict__["heap"] = None  # as build_heap answers for a forest too deep to pad
    walk, _ = forest._compiled(engine.compiled(), "leaves")
    assert walk.__name__ == f"{layout.replace('nodes', 'spark')}_leaves"
    return forest


LAYOUTS = pytest.mark.parametrize("layout", ["heap", "nodes"])


def _numpy_sums(values: np.ndarray, leaves: np.ndarray, lanes: int) -> np.ndarray:
    """The sums as the models summed before the engine (scoring.py's functions)."""
    if lanes:
        return np.stack([lane_dot(v[leaves], lanes) for v in values.T], axis=1)
    return sequential_sum(values[leaves])


def sum_cases(forest: Forest, x: np.ndarray, rng: np.random.Generator, lanes: int):
    """(values, leaves, want) for one and for three values summed per node: ``want`` as the
    models summed before the engine (the caller silences NumPy's inf - inf warnings)."""
    leaves, _ = forest._walk(x, None)
    for k in (1, 3):
        values = rng.choice(_POOL, size=(forest.num_nodes, k))
        yield values, leaves, _numpy_sums(values, leaves, lanes)


@LAYOUTS
@pytest.mark.parametrize("trees, depth", [(1, 1), (3, 4), (30, 6), (7, 9)])
def test_compiled_leaves_equal_the_numpy_walks(trees, depth, layout):
    """Thresholds hit exactly, NaN, -0.0, infinities, categories out of range and fractional,
    rows wider than the splits read; one row and batches (the last chunk's rows not a
    multiple of the kernels' 8 lanes); both NumPy walks."""
    forest = _forest(trees * 10 + depth, trees, depth)
    assert forest.cat_left is not None
    x = _rows(np.random.default_rng(depth), 2003, 7)
    want, _ = forest._walk(x, None)
    assert np.array_equal(forest.heap.leaves(x), want)
    if layout == "nodes":
        forest.__dict__["heap"] = None
    got, bad = forest.leaves(x)
    assert bad is None and got.dtype == np.int64 and np.array_equal(got, want)
    row = forest.row_leaves()
    for i in range(200):
        assert row(x[i].tolist()).tolist() == want[i].tolist()


@LAYOUTS
@pytest.mark.parametrize("count", [1, 3, 4, 5, 8, 9, 30])
@pytest.mark.parametrize("lanes", [0, 4, 8])
def test_compiled_sums_equal_numpy_sums(count, lanes, layout, monkeypatch):
    forest = _forest(count * 10 + lanes, count, 4, layout)
    rng = np.random.default_rng(count)
    x = _rows(rng, 600, 5)
    with np.errstate(invalid="ignore", over="ignore"):  # NumPy warns on inf - inf
        for values, leaves, want in sum_cases(forest, x, rng, lanes):
            assert forest.sums(x, values, lanes)[0].tobytes() == want.tobytes()
            assert forest.leaf_sums(leaves, values, lanes).tobytes() == want.tobytes()
            sums, with_ids = forest.row_sums(values, lanes), row_scorer(forest, values, lanes, True)
            for i in range(100):
                assert np.array(sums(x[i].tolist())).tobytes() == want[i].tobytes()
                ids, total = with_ids(x[i].tolist())
                assert ids.tolist() == leaves[i].tolist()
                assert np.array(total).tobytes() == want[i].tobytes()
            monkeypatch.setattr(engine, "ENGINE", "numpy")
            assert forest.sums(x, values, lanes)[0].tobytes() == want.tobytes()
            assert np.array(forest.row_sums(values, lanes)(x[0].tolist())).tobytes() == \
                want[0].tobytes()
            monkeypatch.setattr(engine, "ENGINE", "numba")


@LAYOUTS
def test_big_batches_are_split_between_threads_with_the_same_bits(layout, monkeypatch):
    forest = _forest(5, 20, 6, layout)
    x = _rows(np.random.default_rng(5), engine._THREAD_ROWS + 1001, 5)
    values = np.random.default_rng(6).normal(size=(forest.num_nodes, 2))
    calls = []
    split = engine.in_parts
    monkeypatch.setattr(engine, "in_parts", lambda f, n: (calls.append(n), split(f, n)))
    got_sums, _ = forest.sums(x, values, 8)
    got_leaves, _ = forest.leaves(x)
    assert calls == [x.shape[0]] * 2
    want, _ = forest._walk(x, None)
    assert np.array_equal(got_leaves, want)
    assert got_sums.tobytes() == _numpy_sums(values, want, 8).tobytes()


def test_compiled_batches_work_in_a_forked_child():
    """A prefork server forks after loading and scoring: kernels and the thread pool carry on."""
    import multiprocessing

    forest = _forest(8, 10, 5)
    x = _rows(np.random.default_rng(8), engine._THREAD_ROWS + 10, 5)
    values = np.random.default_rng(9).normal(size=(forest.num_nodes, 1))
    expected = forest.sums(x, values, 4)[0]  # the parent's pool exists now
    with multiprocessing.get_context("fork").Pool(1) as pool:
        got = pool.apply_async(forest.sums, (x, values, 4)).get(timeout=120)[0]
    assert got.tobytes() == expected.tobytes()


def test_narrow_rows_walk_with_numpy_and_fail_as_before(monkeypatch):
    """Rows narrower than the splits read: the NumPy walk finds the rows Spark fails on, for
    both engines (the row kernel hands such rows to the batch path)."""
    # root splits on feature 0; its right child on feature 3
    tree = TreeNodes(np.array([1, -1, 3, -1, -1]), np.array([2, -1, 4, -1, -1]),
                     np.array([0, -1, 3, -1, -1]), np.array([-1] * 5), [[0.0], [], [1.0], [], []])
    forest = build_forest([tree])
    x = np.array([[-1.0, 9.0], [1.0, 9.0]])
    values = np.arange(5.0).reshape(-1, 1)
    for name in ("numba", "numpy"):
        monkeypatch.setattr(engine, "ENGINE", name)
        sums, bad = forest.sums(x, values, 0)
        assert bad.tolist() == [False, True] and sums[0, 0] == 1.0
        model = GBTRegressionModel("gbt", forest=forest, weighted=np.arange(5.0), dot_lanes=4)
        assert model.score_instance({"features": [-1.0]})["prediction"] == 1.0
        assert model.score_instance({"features": [1.0, 0, 0, 2.0]})["prediction"] == 4.0
        with pytest.raises(InvalidInput, match="size 2 but the model's splits read features up to "
                                               "index 3"):
            model.score_instances([{"features": [-1.0, 0.0]}, {"features": [1.0, 0.0]}])
        with pytest.raises(InvalidInput, match="null feature vector"):
            model.score_instance({"features": None})


def _load(fixture: Path):
    schema = json.loads((fixture / "schema.json").read_text())
    return servelib.load(str(fixture / "model")).with_input_types(input_types(schema)), schema


def _outcomes(model, schema: dict, rows: list[dict]) -> tuple:
    single = []
    for row in rows:
        try:
            single.append(_bits(model.score_instance(row)))
        except InvalidInput as exc:
            single.append(repr(exc))
    table = model.transform(to_table(rows, schema)).to_pylist()
    return single, _bits(model.score_rows_as_batch(rows)), _bits(table)


@pytest.mark.parametrize("fixture", TREE_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_both_engines_give_the_same_bits_on_every_tree_fixture(fixture, monkeypatch):
    rows = read_rows(fixture / "input.jsonl")[:60]
    compiled = _outcomes(*_load(fixture), rows)
    monkeypatch.setattr(engine, "ENGINE", "numpy")
    plain = _outcomes(*_load(fixture), rows)
    assert compiled == plain


@pytest.mark.parametrize("name", ["tree_rf_classifier_200", "tree_dt_regressor_pipeline",
                                  "tree_gbt_onehot_pipeline", "xgb_multiclass_pipeline",
                                  "xgb_poisson_base_margin"])
def test_every_kernel_is_compiled_once_per_process(name):
    """Whatever the model and the path (one row, batches, threads, leafCol), the engine passes
    the argument types warm_up compiled: no model or call compiles (or loads) another."""
    fixture = FIXTURES / "spark-4.3" / name
    model, schema = _load(fixture)
    rows = read_rows(fixture / "input.jsonl")
    _outcomes(model, schema, rows)
    model.transform(to_table(rows * (engine._THREAD_ROWS // len(rows) + 1), schema))
    kernels = engine.compiled()
    for entry in (kernels.spark_leaves, kernels.spark_sums, kernels.heap_leaves,
                  kernels.heap_sums, kernels.leaf_sums, kernels.xgb_margins):
        assert len(entry.signatures) == 1, "\n".join(map(str, entry.signatures))


# ---- malformed forests: a clear error at build time, or a walk that handles them ------------
def _tree(left, right, feature, ncat=None, values=None) -> TreeNodes:
    n = len(left)
    return TreeNodes(np.array(left), np.array(right), np.array(feature),
                     np.array(ncat if ncat is not None else [-1] * n),
                     values if values is not None else [[0.5]] * n)


@pytest.mark.parametrize("tree, message", [
    (_tree([1, -1, -1], [2, -1, -1], [-1, -1, -1]), "node 0: split on feature index -1"),
    (_tree([0, -1, -1], [2, -1, -1], [0, -1, -1]), "node 0: leftChild 0 is not a node after it"),
    (_tree([1, 0, -1, -1], [3, 2, -1, -1], [0, 0, -1, -1]), "node 1: leftChild 0"),
    (_tree([1, -1, -1], [-5, -1, -1], [0, -1, -1]), "node 0: rightChild -5"),
    (_tree([1, -1, -1], [99999, -1, -1], [0, -1, -1]), "rightChild 99999"),
    (_tree([], [], []), "tree 0 has no nodes"),
])
def test_malformed_trees_are_refused_at_build_time(tree, message):
    with pytest.raises(ModelLoadError, match=message):
        build_forest([tree])


def test_a_tree_120_levels_deep_walks_in_both_engines(monkeypatch):
    """A chain: node 2i splits on feature i % 3 at threshold i, its left child 2i + 1 is a leaf."""
    depth = 120
    left = [v for i in range(depth) for v in (2 * i + 1, -1)] + [-1]
    right = [v for i in range(depth) for v in (2 * i + 2, -1)] + [-1]
    feature = [v for i in range(depth) for v in (i % 3, -1)] + [-1]
    thresholds = [[float(i // 2)] for i in range(2 * depth + 1)]
    forest = build_forest([_tree(left, right, feature, values=thresholds)])
    assert forest.depth == depth
    x = np.array([[500.0] * 3, [500.0, -1.0, 500.0], [np.nan, 500.0, 500.0], [500, 500, 119]])
    want = [[2 * depth], [3], [2 * depth], [2 * 119 + 1]]
    for name in ("numba", "numpy"):
        monkeypatch.setattr(engine, "ENGINE", name)
        assert forest.leaves(x)[0].tolist() == want
        assert forest.row_leaves()(x[3].tolist()).tolist() == [239]


def test_forests_of_single_leaves_and_no_trees(monkeypatch):
    leaf = build_forest([_tree([-1], [-1], [-1], values=[[]])] * 3)
    empty = build_forest([])
    values = np.array([[1.5], [2.5], [3.5]])
    x = np.zeros((4, 0))
    for name in ("numba", "numpy"):
        monkeypatch.setattr(engine, "ENGINE", name)
        assert leaf.leaves(x)[0].tolist() == [[0, 1, 2]] * 4
        assert leaf.sums(x, values, 4)[0].tolist() == [[1.5 + 2.5 + 3.5]] * 4
        assert empty.sums(x, np.zeros((0, 2)), 0)[0].tolist() == [[0.0, 0.0]] * 4


# ---- the switch ------------------------------------------------------------------------------
def _python(code: str, **env: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT),
                                                        **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_environment_variable_forces_the_numpy_engine():
    code = ("from servelib.transformers.tree import engine; import sys; "
            "print(engine.compiled() is None, 'numba' in sys.modules)")
    assert _python(code, SERVELIB_TREE_ENGINE="numpy") == "True False"


def test_without_numba_the_numpy_engine_scores_with_a_warning():
    fixture = FIXTURES / "spark-4.3" / "tree_gbt_classifier_100"
    code = ("import sys, json, logging; sys.modules['numba'] = None; logging.basicConfig(); "
            "import servelib; from servelib.transformers.tree import engine; "
            f"m = servelib.load({str(fixture / 'model')!r}); "
            f"row = json.loads(open({str(fixture / 'input.jsonl')!r}).readline()); "
            "print(engine.compiled() is None, m.score_instance(row)['prediction'])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "True"
    assert "compiled tree engine unavailable" in result.stderr
    expected = json.loads((fixture / "expected.jsonl").read_text().splitlines()[0])
    assert math.isclose(float(result.stdout.split()[1]), expected["prediction"])


def test_an_unknown_engine_name_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(engine, "ENGINE", "gpu")
    with pytest.raises(ValueError, match="SERVELIB_TREE_ENGINE must be 'numba' or 'numpy'"):
        engine.compiled()


def test_a_first_prediction_does_not_import_pandas():
    """Loading a tree pipeline and scoring a row never needs pandas, whose import (through
    pyarrow's to_numpy and pa.array) was half of a fresh process's first prediction."""
    fixture = FIXTURES / "spark-4.3" / "prod_rf200_pipeline"
    code = ("import sys, json; import servelib; "
            f"m = servelib.load({str(fixture / 'model')!r}); "
            f"row = json.loads(open({str(fixture / 'input.jsonl')!r}).readline()); "
            "m.score_instance(row); print('pandas' in sys.modules)")
    assert _python(code) == "False"
