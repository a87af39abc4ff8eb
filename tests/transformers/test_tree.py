"""Trees: the flat representation and its walks (the compiled engine and the NumPy ones), Spark's
routing rules, summation order, and the facts `servelib inspect` shows (compared with what PySpark
reported: tree_facts.json). The engines against each other: tree/test_engine.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import servelib
from servelib.errors import InvalidInput
from servelib.transformers.attributes import Attribute, AttributeGroup
from servelib.transformers.tree import engine
from servelib.transformers.tree.flat import Forest, TreeNodes, build_forest
from servelib.transformers.tree.heap import build_heap
from servelib.transformers.tree.regressors import DecisionTreeRegressionModel
from servelib.transformers.tree.scoring import lane_dot
from tests.parity.test_golden import FIXTURES

FACTS = Path(__file__).parents[1] / "parity" / "tree_facts.json"
TREE_FIXTURES = sorted(p for p in FIXTURES.glob("spark-*/tree_*") if (p / "model").exists())
NAN = float("nan")


@pytest.fixture(params=["numba", "numpy"])
def tree_engine(request, monkeypatch) -> str:
    """Run the test on the compiled engine and on the NumPy fallback."""
    monkeypatch.setattr(engine, "ENGINE", request.param)
    return request.param


def _random_tree(rng: np.random.Generator, depth: int, width: int) -> TreeNodes:
    left, right, feat, ncat, vals = [], [], [], [], []

    def grow(d: int) -> int:
        i = len(left)
        left.append(-1), right.append(-1), feat.append(-1), ncat.append(-1), vals.append([0.0])
        if d < depth and rng.random() < 0.85:
            f = int(rng.integers(width))
            feat[i] = f
            if f % 2:  # odd features are categorical with 2..6 categories
                k = int(rng.integers(2, 7))
                ncat[i] = k
                vals[i] = sorted(rng.choice(k, size=int(rng.integers(1, k)), replace=False)
                                 .astype(float).tolist())
            else:
                vals[i] = [float(rng.integers(-3, 4)) / 2]
            left[i] = grow(d + 1)
            right[i] = grow(d + 1)
        return i

    grow(0)
    return TreeNodes(np.array(left), np.array(right), np.array(feat), np.array(ncat), vals)


def _rows(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """Thresholds hit exactly, categories in and out of range, fractions, NaN, -0.0, inf."""
    pool = np.array([-1.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 6.0, 7.0,
                     NAN, np.inf, -np.inf, 0.25])
    return rng.choice(pool, size=(n, width))


def _one_split(values, ncat: int) -> Forest:
    return build_forest([TreeNodes(np.array([1, -1, -1]), np.array([2, -1, -1]),
                                   np.array([0, -1, -1]), np.array([ncat, -1, -1]),
                                   [list(values), [], []])])


def _check_walks(forest: Forest, x: float, goes_left: bool) -> None:
    leaf = 1 if goes_left else 2
    for walk in (lambda a: forest.leaves(a)[0], lambda a: forest._walk(a, None)[0]):
        assert walk(np.array([[x], [x]]))[0, 0] == leaf
    assert forest.row_leaves()([x]).tolist() == [leaf]


@pytest.mark.parametrize("x, goes_left", [
    (0.0, True), (-0.0, True), (2.0, True), (1.0, False), (4.0, False),
    (5.0, True), (7.0, True), (2.5, True), (-1.0, True), (NAN, True),  # in no category
    (np.inf, True), (-np.inf, True), (-0.5, True), (4.000000000000001, True),
])
def test_categorical_split_with_complement_set(x, goes_left, tree_engine):
    """Left {0, 2, 3} of 5 is more than half: Spark tests "not in {1, 4}"."""
    forest = _one_split([0.0, 2.0, 3.0], 5)
    _check_walks(forest, x, goes_left)


@pytest.mark.parametrize("x, goes_left", [
    (1.0, True), (4.0, True), (0.0, False), (-0.0, False), (5.0, False), (NAN, False),
    (1.5, False), (np.inf, False), (-1.0, False),
])
def test_categorical_split_with_left_set(x, goes_left, tree_engine):
    forest = _one_split([1.0, 4.0], 5)
    _check_walks(forest, x, goes_left)


@pytest.mark.parametrize("x, goes_left", [
    (0.5, True), (0.4, True), (0.6, False), (NAN, False), (-np.inf, True), (np.inf, False),
])
def test_continuous_split(x, goes_left, tree_engine):
    forest = _one_split([0.5], -1)
    _check_walks(forest, x, goes_left)


def test_short_vectors_fail_only_where_a_visited_split_reads_past_the_end(tree_engine):
    # root splits on feature 0; its right child splits on feature 3
    tree = TreeNodes(np.array([1, -1, 3, -1, -1]), np.array([2, -1, 4, -1, -1]),
                     np.array([0, -1, 3, -1, -1]), np.array([-1] * 5),
                     [[0.0], [], [1.0], [], []])
    forest = build_forest([tree])
    x = np.array([[-1.0, 9.0], [1.0, 9.0]])
    leaves, bad = forest.leaves(x)
    assert bad.tolist() == [False, True] and leaves[0, 0] == 1
    assert not forest.leaves(x[:1])[1].any()
    assert forest.leaves(x[1:])[1].tolist() == [True]
    model = DecisionTreeRegressionModel("dt", forest=forest, node_prediction=np.arange(5.0),
                                        node_variance=np.zeros(5))
    assert model.score_instance({"features": [-1.0]})["prediction"] == 1.0
    with pytest.raises(InvalidInput, match="size 1"):
        model.score_instance({"features": [1.0]})
    with pytest.raises(InvalidInput, match="null feature vector"):
        model.score_instance({"features": None})


def _java11_ddot(p: list[float], w: list[float]) -> float:
    """netlib Java11BLAS.ddotK's loop structure (without its fused multiply-add)."""
    s = [0.0, 0.0, 0.0, 0.0]
    n = len(p) - len(p) % 4
    for i in range(0, n, 4):
        for k in range(4):
            s[k] += p[i + k] * w[i + k]
    total = 0.0 + (((s[0] + s[1]) + s[2]) + s[3])
    for i in range(n, len(p)):
        total += p[i] * w[i]
    return total


@pytest.mark.parametrize("trees", [1, 3, 4, 7, 100])
def test_lane_dot_follows_the_blas_loop(trees):
    rng = np.random.default_rng(trees)
    p = rng.normal(size=trees) * 10.0 ** rng.integers(-8, 8, size=trees)
    w = np.r_[1.0, np.full(trees - 1, 0.1)]
    got = lane_dot((p * w)[None, :], 4)[0]
    assert got == _java11_ddot(p.tolist(), w.tolist())
    rows = rng.normal(size=(5, trees))
    got = lane_dot(rows * w, 4)
    assert got.tolist() == [_java11_ddot(r.tolist(), w.tolist()) for r in rows]


# ---- facts for `servelib inspect` and column attributes, against Spark ----------------------
def _tree_stages(model):
    return [s for s in getattr(model, "stages", [model]) if getattr(s, "forest", None) is not None]


@pytest.mark.parametrize("fixture", TREE_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_inspect_facts_match_pyspark(fixture: Path):
    facts = json.loads(FACTS.read_text()).get(fixture.parent.name, {}) if FACTS.exists() else {}
    stages = _tree_stages(servelib.load(str(fixture / "model")))
    expected = [facts.get(f"{fixture.name}/{s.uid}") for s in stages]
    if not stages or None in expected:
        pytest.skip("no PySpark facts recorded (run tests/parity/tree_facts.py)")
    for stage, spark in zip(stages, expected):
        info = stage.info
        assert (info["num_trees"], info["num_nodes"], info["max_depth"]) == (
            spark["num_trees"], spark["num_nodes"], spark["max_depth"])
        np.testing.assert_allclose(info["feature_importances"], spark["feature_importances"],
                                   rtol=1e-9, atol=1e-15)
        if "tree_weights" in info:
            assert info["tree_weights"] == spark["tree_weights"]


def _attribute(kind: str, entry: dict) -> Attribute:
    values = tuple(entry["vals"]) if "vals" in entry else None
    return Attribute(kind, name=entry.get("name"), values=values, num_values=entry.get("num_vals"))


def _spark_attribute(meta: dict):
    """Spark's ml_attr column metadata as servelib attributes."""
    ml = meta.get("ml_attr")
    if ml is None:
        return None
    if "num_attrs" in ml or "attrs" in ml:
        attrs = ml.get("attrs")
        if attrs is None:
            return AttributeGroup(size=ml.get("num_attrs"))
        slots = {e["idx"]: _attribute(kind, e) for kind, entries in attrs.items() for e in entries}
        return AttributeGroup(size=ml["num_attrs"], attrs=tuple(
            slots.get(i, Attribute("numeric")) for i in range(ml["num_attrs"])))
    return _attribute(ml.get("type", "numeric"), ml)


@pytest.mark.parametrize("fixture", TREE_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_leaf_and_regression_attributes_match_spark(fixture: Path):
    model = servelib.load(str(fixture / "model"))
    inputs = json.loads((fixture / "schema.json").read_text())["fields"]
    attrs = {f["name"]: a for f in inputs if (a := _spark_attribute(f.get("metadata", {})))}
    ours = model.output_attributes(attrs)
    schema = json.loads((fixture / "output_schema.json").read_text())
    meta = {f["name"]: f.get("metadata", {}) for f in schema["fields"]}
    for stage in _tree_stages(model):
        mine = [stage.leaf_col] + ([] if hasattr(stage, "raw_prediction_col") else
                                   [c for c in stage.output_columns() if c != stage.leaf_col])
        for col in filter(None, mine):
            assert ours.get(col) == _spark_attribute(meta[col]), col


@pytest.mark.parametrize("depth, trees", [(1, 3), (4, 20), (6, 30)])
def test_heap_walk_matches_the_general_walk(depth, trees):
    """Padded complete trees with categorical splits as virtual columns: the same leaves as
    flat.py's level walk, on rows full of threshold hits, NaN, -0.0, infinities and values in
    no category; wider rows than the splits read; a batch big enough to use threads."""
    rng = np.random.default_rng(depth * 100 + trees)
    forest = build_forest([_random_tree(rng, depth=depth, width=5) for _ in range(trees)])
    heap = build_heap(forest)
    assert heap is not None
    for n, width in ((1, 5), (300, 5), (300, 7), (25_000, 5)):
        x = _rows(rng, n, width)
        expected, _ = forest._walk(x, None)
        assert np.array_equal(heap.leaves(x), expected)


def test_forests_too_deep_to_pad_keep_the_general_walk():
    rng = np.random.default_rng(1)
    forest = build_forest([_random_tree(rng, depth=6, width=5) for _ in range(3)])
    object.__setattr__(forest, "depths", (23,) * 3)  # as if a tree were 23 levels deep
    assert build_heap(forest) is None


def test_heap_walk_works_in_a_forked_child():
    """A prefork server forks after loading (and maybe scoring): the thread pool starts anew."""
    import multiprocessing

    rng = np.random.default_rng(7)
    forest = build_forest([_random_tree(rng, depth=4, width=5) for _ in range(5)])
    x = _rows(rng, 25_000, 5)
    expected = build_heap(forest).leaves(x)  # the parent's pool exists now
    with multiprocessing.get_context("fork").Pool(1) as pool:
        got = pool.apply_async(build_heap(forest).leaves, (x,)).get(timeout=120)
    assert np.array_equal(got, expected)
