"""The block walks (blocks.py, block_kernels.py) give the leaves and sums of the Forest's own walks
bit for bit: random forests full of categorical splits and edge values, every summation order,
row counts around the block and lane sizes, threads; and they step aside where they do not
apply."""

from __future__ import annotations

import numpy as np
import pytest

from servelib.transformers.tree import block_kernels, blocks, engine, kernels
from servelib.transformers.tree.flat import Forest, TreeNodes, build_forest
from tests.transformers.test_tree import _random_tree, _rows
from tests.transformers.tree.test_engine import _POOL, _numpy_sums, sum_cases


@pytest.fixture(autouse=True)
def _compiled_engine(monkeypatch):
    monkeypatch.setattr(engine, "ENGINE", "numba")
    assert engine.compiled() is not None, "numba is installed in the test environment"


def _forest(seed: int, trees: int, depth: int) -> Forest:
    rng = np.random.default_rng(seed)
    return build_forest([_random_tree(rng, depth=depth, width=5) for _ in range(trees)])


def _plan(forest: Forest) -> blocks.BlockForest | None:
    return blocks._plan(forest, np.zeros((1, max(forest.width, 1))))[1]


@pytest.mark.parametrize("trees, depth", [(1, 1), (3, 4), (12, 5), (30, 6), (7, 9)])
@pytest.mark.parametrize("n", [0, 1, 7, 8, 63, 64, 65, 127, 128, 129, 1001])
def test_block_leaves_equal_the_forest_walks(trees, depth, n):
    """Up to block_kernels.MASK_DEPTH by masks, deeper by walks."""
    forest = _forest(trees * 10 + depth, trees, depth)
    assert forest.depth == depth
    assert forest.cat_left is not None and _plan(forest) is not None
    x = _rows(np.random.default_rng(n + depth), n, 7)  # wider than the splits read
    got, bad = blocks.leaves(forest, x)
    want, _ = forest._walk(x, None)
    assert bad is None and got.dtype == np.int64 and np.array_equal(got, want)


@pytest.mark.parametrize("count", [1, 3, 4, 5, 8, 9, 30])
@pytest.mark.parametrize("lanes", [0, 4, 8])
@pytest.mark.parametrize("depth", [4, 7])
def test_block_sums_equal_the_forest_sums(count, lanes, depth):
    """Signed zeros, infinities, NaN from inf - inf, subnormals: the same bits in every order,
    by masks and by walks."""
    forest = _forest(count * 10 + lanes, count, depth)
    rng = np.random.default_rng(count)
    x = _rows(rng, 203, 5)
    with np.errstate(invalid="ignore", over="ignore"):  # NumPy warns on inf - inf
        for values, _, want in sum_cases(forest, x, rng, lanes):
            got, bad = blocks.sums(forest, x, values, lanes)
            assert bad is None and got.tobytes() == want.tobytes()
            assert got.tobytes() == forest.sums(x, values, lanes)[0].tobytes()
            again, _ = blocks.sums(forest, x[:9], values, lanes)  # slot values kept per array
            assert again.tobytes() == want[:9].tobytes()


@pytest.mark.parametrize("depth", [3, 6])
def test_every_block_size_gives_the_same_bits(depth):
    """Each block size's entry points on the same rows, short and long batches (walks() picks
    64-row blocks below 128 rows, 128-row ones from there)."""
    assert [kernels.walks(n).block for n in (1, 127, 128, 10**6)] == [64, 64, 128, 128]
    forest = _forest(depth, 9, depth)
    plan = _plan(forest)
    assert plan is not None and sorted(plan.column) == list(kernels.BLOCKS)
    values = np.random.default_rng(depth).normal(size=(forest.num_nodes, 3))
    slot_values, args = plan.slot_values(values), blocks._args(plan)
    for n in (5, 64, 200, 515):
        x = _rows(np.random.default_rng(n), n, 5)
        leaves, sums = [], []
        for block in kernels.BLOCKS:
            walk = block_kernels._WALKS[block]
            leaves.append(np.empty((n, forest.num_trees), dtype=np.int64))
            walk.block_leaves(x, plan.width, plan.column[block], plan.threshold, plan.leaf,
                              *args, leaves[-1])
            sums.append(np.empty((n, 3)))
            walk.block_sums(x, plan.width, plan.column[block], plan.threshold, *args,
                            slot_values, 4, sums[-1])
        assert np.array_equal(leaves[0], forest._walk(x, None)[0])
        assert np.array_equal(leaves[0], leaves[1]) and sums[0].tobytes() == sums[1].tobytes()


def test_left_masks_clear_the_left_subtree():
    assert kernels.left_masks(0).size == 0
    top = block_kernels.MASK_DEPTH
    assert np.array_equal(kernels.left_masks(9), kernels.left_masks(top))  # then deeper walks
    for depth in range(1, top + 1):
        masks = kernels.left_masks(depth)
        for p, m in enumerate(masks.tolist()):
            cleared = [b for b in range(32) if not m >> b & 1]
            # the bottom positions under the left child: descend left, then take its span
            level = (p + 1).bit_length() - 1
            start = ((2 * p + 1) - ((1 << (level + 1)) - 1)) << (depth - level - 1)
            assert cleared == list(range(start, start + (1 << (depth - level - 1))))


def test_big_batches_are_split_between_threads_with_the_same_bits(monkeypatch):
    forest = _forest(5, 20, 6)
    x = _rows(np.random.default_rng(5), engine._THREAD_ROWS + 1001, 5)
    values = np.random.default_rng(6).normal(size=(forest.num_nodes, 2))
    calls = []
    split = engine.in_parts
    monkeypatch.setattr(engine, "in_parts", lambda f, n: (calls.append(n), split(f, n)))
    got_sums, _ = blocks.sums(forest, x, values, 8)
    got_leaves, _ = blocks.leaves(forest, x)
    assert calls == [x.shape[0]] * 2
    want, _ = forest._walk(x, None)
    assert np.array_equal(got_leaves, want)
    assert got_sums.tobytes() == _numpy_sums(values, want, 8).tobytes()


def _categorical_split(ncat: int) -> Forest:
    """One split on feature 0 with ``ncat`` categories, the even ones left."""
    left = [float(c) for c in range(0, ncat, 2)]
    return build_forest([TreeNodes(np.array([1, -1, -1]), np.array([2, -1, -1]),
                                   np.array([0, -1, -1]), np.array([ncat, -1, -1]),
                                   [left, [], []])])


@pytest.mark.parametrize("ncat", [2, 5, 62, 63])
def test_categorical_tables_up_to_the_mask_width(ncat):
    """The last slot (values in no category) is bit ncat: up to bit 63 of the mask."""
    forest = _categorical_split(ncat)
    assert _plan(forest) is not None
    x = np.array([[v] for v in [0.0, -0.0, 1.0, ncat - 1.0, ncat, ncat + 1.0, 2.5, -1.0,
                                np.nan, np.inf, -np.inf, 1e300]])
    got, _ = blocks.leaves(forest, x)
    assert np.array_equal(got, forest._walk(x, None)[0])


def test_forests_the_block_walks_do_not_cover_take_the_forest_walks(monkeypatch):
    wide = _categorical_split(64)  # 65 answers: no uint64 mask
    assert _plan(wide) is None
    x = np.array([[0.0], [1.0], [64.0], [np.nan]])
    assert np.array_equal(blocks.leaves(wide, x)[0], wide._walk(x, None)[0])
    nodes = _forest(3, 4, 5)
    nodes.__dict__["heap"] = None  # as build_heap answers for a forest too deep to pad
    assert nodes._compiled(kernels, "leaves")[0] is kernels.spark_leaves
    assert _plan(nodes) is None
    y = _rows(np.random.default_rng(3), 100, 5)
    assert np.array_equal(blocks.leaves(nodes, y)[0], nodes._walk(y, None)[0])
    narrow = _forest(4, 4, 5)
    bad = blocks.leaves(narrow, y[:, :2])[1]
    assert bad is not None and bad.any()  # the NumPy walk finds rows Spark fails on
    monkeypatch.setattr(engine, "ENGINE", "numpy")
    assert np.array_equal(blocks.leaves(narrow, y)[0], narrow._walk(y, None)[0])


def test_forests_of_single_leaves():
    """Depth 0: every row on each tree's root."""
    leafy = build_forest([TreeNodes(np.array([-1]), np.array([-1]), np.array([-1]),
                                    np.array([-1]), [[]]) for _ in range(3)])
    x = np.zeros((70, 2))
    assert _plan(leafy) is not None
    assert np.array_equal(blocks.leaves(leafy, x)[0], leafy._walk(x, None)[0])
    values = np.array([[1.5], [-0.0], [2.0]])
    assert blocks.sums(leafy, x, values, 0)[0].tobytes() == \
        _numpy_sums(values, leafy._walk(x, None)[0], 0).tobytes()
