"""VectorColumn <-> Arrow (Spark's VectorUDT layout) and the user-facing vector conversions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import servelib
from servelib.vectors import (
    VECTOR_ARROW_TYPE,
    DenseVector,
    SparseVector,
    VectorColumn,
    as_vector,
    column_from_vectors,
    sparse_by_count,
)


def _random_column(seed: int, n: int = 40, size: int = 6) -> VectorColumn:
    rng = np.random.default_rng(seed)
    dense = rng.normal(size=(n, size))
    dense[rng.random((n, size)) < 0.6] = 0.0
    dense[rng.random((n, size)) < 0.05] = np.nan
    return VectorColumn(dense, rng.random(n) < 0.5, rng.random(n) < 0.1)


def _variant(col: VectorColumn, variant: str) -> VectorColumn:
    """The layouts to_arrow treats apart: all rows sparse (one-hot), with or without nulls;
    no slots; a matrix that is a strided view."""
    n = len(col)
    if variant == "all sparse":
        return VectorColumn(col.dense, np.ones(n, bool))
    if variant == "all sparse, nulls":
        return VectorColumn(col.dense, np.ones(n, bool), col.null)
    if variant == "all dense, nulls":
        return VectorColumn(col.dense, np.zeros(n, bool), col.null)
    if variant == "no slots":
        return VectorColumn(col.dense[:, :0], col.sparse, col.null)
    if variant == "strided":
        return VectorColumn(col.dense[:, ::2], col.sparse, col.null)
    return col


@pytest.mark.parametrize("variant", ["mixed", "all sparse", "all sparse, nulls",
                                     "all dense, nulls", "no slots", "strided"])
@pytest.mark.parametrize("seed", range(5))
def test_arrow_round_trip_matches_row_objects(seed, variant):
    col = _variant(_random_column(seed), variant)
    arr = col.to_arrow()
    assert arr.type == VECTOR_ARROW_TYPE
    for i, item in enumerate(arr.to_pylist()):
        vec = col.row(i)
        if vec is None:
            assert item is None
        elif isinstance(vec, SparseVector):
            assert item["type"] == 0 and item["size"] == vec.size
            assert item["indices"] == vec.indices.tolist()
            np.testing.assert_array_equal(item["values"], vec.values)
        else:
            assert item["type"] == 1 and item["size"] is None and item["indices"] is None
            np.testing.assert_array_equal(item["values"], vec.values)
    chunked = pa.chunked_array([arr.slice(0, 7), arr.slice(7)])
    back = VectorColumn.from_arrow(chunked)
    keep = np.ones(len(col), bool) if col.null is None else ~col.null
    np.testing.assert_array_equal(back.dense[keep], col.dense[keep])
    assert (back.sparse == (col.sparse & keep)).all()
    assert (back.null is None) == (col.null is None or not col.null.any())
    assert back.null is None or (back.null == col.null).all()


def test_mixed_sizes_are_rejected():
    arr = pa.array(
        [{"type": 1, "size": None, "indices": None, "values": [1.0]},
         {"type": 0, "size": 3, "indices": [0], "values": [1.0]}],
        VECTOR_ARROW_TYPE,
    )
    with pytest.raises(ValueError, match="different sizes"):
        VectorColumn.from_arrow(arr)
    with pytest.raises(ValueError, match="different sizes"):
        column_from_vectors([DenseVector([1.0]), SparseVector(3, [0], [1.0])])


def test_compressed_uses_sparks_rule():
    # Spark's Vector.compressed: sparse iff 1.5 * (nnz + 1) < size
    dense = np.array([[1.0, 0, 0, 0, 0], [1.0, 1.0, 1.0, 0, 0], [np.nan, 0, 0, 0, 0]])
    assert VectorColumn.compressed(dense).sparse.tolist() == [True, False, True]


def test_sparse_by_count_is_sparks_formula_for_every_count():
    """The integer bound gives Spark's formulas exactly: 3.x ``1.5 * (nnz + 1) < size``,
    4.x ``getSparseSize(nnz) < getDenseSize(size)`` (12 nnz + 28 < 8 size + 12)."""
    for size in range(200):
        nnz = np.arange(size + 2)
        assert (sparse_by_count(nnz, size) == (1.5 * (nnz + 1.0) < size)).all()
        assert (sparse_by_count(nnz, size, True) == (12 * nnz + 28 < 8 * size + 12)).all()


def test_as_vector_accepts_common_forms():
    assert as_vector([1, 2]) == DenseVector([1.0, 2.0])
    assert as_vector(np.array([1.0])) == DenseVector([1.0])
    assert isinstance(as_vector({"type": 0, "size": 3, "indices": [1], "values": [2.0]}), SparseVector)
    assert as_vector(None) is None
    for bad in ("abc", {"a": 1}, [[1.0, 2.0]]):
        with pytest.raises((TypeError, ValueError)):
            as_vector(bad)


def test_all_dense_fast_path_equals_general_path():
    dense = np.arange(12.0).reshape(4, 3)
    dense[1, 2] = np.nan
    fast = VectorColumn.of_dense(dense).to_arrow()
    general = VectorColumn(dense, np.zeros(4, bool), np.zeros(4, bool)).to_arrow()
    assert fast.type == general.type == VECTOR_ARROW_TYPE
    assert str(fast.to_pylist()) == str(general.to_pylist())
    empty = VectorColumn.of_dense(np.zeros((0, 3))).to_arrow()
    assert len(empty) == 0 and empty.type == VECTOR_ARROW_TYPE


@pytest.mark.parametrize("indices, values", [([5], [1.0]), ([-1], [1.0]), ([0, 1], [1.0])])
def test_malformed_sparse_vectors_are_refused_everywhere(indices, values):
    """A bad index would fail deep in scoring, or a negative one address the last slots."""
    with pytest.raises(ValueError, match="sparse vector"):
        SparseVector(4, indices, values)
    struct = {"type": 0, "size": 4, "indices": indices, "values": values}
    with pytest.raises(ValueError, match="sparse vector"):
        VectorColumn.from_arrow(pa.array([struct], VECTOR_ARROW_TYPE))
    model = servelib.load(str(Path(__file__).parent / "parity/fixtures/spark-4.3"
                              "/tree_gbt_regressor_single_stage/model"))
    table = pa.table({"features": pa.array([struct, struct], VECTOR_ARROW_TYPE)})
    for score in (lambda: model.score_instance({"features": struct}),
                  lambda: model.transform(table)):
        with pytest.raises(servelib.InvalidInput, match="sparse vector") as info:
            score()
        assert info.value.column == "features"


def test_row_vector_of_entries_matches_the_dense_row_vector():
    from servelib.vectors import EntriesVector, vector_of_row

    entries = {7: 2.0, 1: -0.0, 3: float("nan"), 0: 1.5}
    dense = [1.5, -0.0, 0.0, float("nan"), 0.0, 0.0, 0.0, 2.0, 0.0]
    lazy = EntriesVector(9, dict(entries))
    got, want = lazy.finish(), vector_of_row(dense, True)
    assert isinstance(got, SparseVector) and got.indices.tolist() == want.indices.tolist()
    assert got.toArray().tobytes() == want.toArray().tobytes()
    values = EntriesVector(9, entries).values  # built on first read
    assert np.array(values).tobytes() == np.array(dense).tobytes()


def test_a_kernels_output_vector_keeps_its_floats_until_read():
    from servelib.vectors import row_vector, vector_of_row

    floats = [1.5, -0.0, 0.0, 2.0]
    dense = vector_of_row(floats, False)
    assert isinstance(dense, DenseVector) and dense._values is None and dense.size == 4
    assert row_vector(dense) == (floats, False) and row_vector(dense)[0] is floats  # no copy
    assert dense.tolist() == floats and dense.tolist() is not floats
    assert dense.values.tobytes() == np.array(floats).tobytes()  # built on first read
    dense.values[0] = 9.0  # the array, once made, is the vector
    assert dense.tolist()[0] == 9.0 and row_vector(dense)[0][0] == 9.0
    sparse = vector_of_row(floats, True)
    assert isinstance(sparse, SparseVector) and sparse.size == 4
    assert row_vector(sparse)[0] is floats and row_vector(sparse)[1] is True
    assert sparse.indices.tolist() == [0, 3] and sparse.values.tolist() == [1.5, 2.0]
    assert row_vector(sparse)[0] is floats  # reading indices keeps the floats
    assert sparse == SparseVector(4, [0, 3], [1.5, 2.0])
