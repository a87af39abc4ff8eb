"""The compiled vector passes (servelib/vector_kernels.py) against the NumPy ones they replace
and against per-row references, bit for bit (-0.0, NaN, inf, null and empty rows)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from servelib import vectors
from servelib.sparse_column import CsrColumn, compressed_column, offsets_of
from servelib.transformers.base import HandleInvalid
from servelib.transformers.batch import Batch
from servelib.transformers.classification.common import linear_sums
from servelib.transformers.feature.string_indexer import StringIndexerModel
from servelib.transformers.feature.vector_indexer import CategoryMap, VectorIndexerModel
from servelib.vectors import SparseVector, VectorColumn

SPECIAL = st.sampled_from([0.0, -0.0, 1.0, -2.5, np.nan, np.inf, -np.inf, 1e-300, 3.0])
SETTINGS = settings(max_examples=60, deadline=None)



@pytest.fixture(autouse=True, scope="module")
def every_column_compiled():
    """The compiled passes for the short columns drawn here too (not only from 64 rows)."""
    rows, vectors.COMPILED_ROWS = vectors.COMPILED_ROWS, 0
    yield
    vectors.COMPILED_ROWS = rows

def both_engines(call):
    """``call()`` by the compiled passes, then by the NumPy ones."""
    fast = call()
    vectors.ENGINE = "numpy"
    try:
        return fast, call()
    finally:
        vectors.ENGINE = "numba"


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


@st.composite
def columns(draw: st.DrawFn) -> VectorColumn:
    n = draw(st.integers(0, 12))
    size = draw(st.integers(0, 7))
    dense = draw(hnp.arrays(np.float64, (n, size), elements=SPECIAL))
    sparse = draw(hnp.arrays(np.bool_, n))
    null = draw(st.none() | hnp.arrays(np.bool_, n))
    return VectorColumn(dense, sparse, null)


def _row_reference(col: VectorColumn) -> list[dict | None]:
    """The VectorUDT struct of each row, from the row objects."""
    out: list[dict | None] = []
    for i in range(len(col)):
        vec = col.row(i)
        if vec is None:
            out.append(None)
        elif isinstance(vec, SparseVector):
            out.append({"type": 0, "size": vec.size, "indices": vec.indices.tolist(),
                        "values": _bits(vec.values).tolist()})
        else:
            out.append({"type": 1, "size": None, "indices": None,
                        "values": _bits(vec.values).tolist()})
    return out


def _arrow_rows(arr) -> list[dict | None]:
    rows = arr.to_pylist()
    for row in rows:
        if row is not None:
            row["values"] = _bits(np.array(row["values"], dtype=np.float64)).tolist()
    return rows


@SETTINGS
@given(columns())
def test_to_arrow_matches_the_row_objects(col):
    for engine in ("numba", "numpy"):
        vectors.ENGINE = engine
        try:
            arr = col.to_arrow()
        finally:
            vectors.ENGINE = "numba"
        arr.validate(full=True)
        assert arr.type == vectors.VECTOR_ARROW_TYPE
        assert _arrow_rows(arr) == _row_reference(col)


@SETTINGS
@given(hnp.arrays(np.float64, st.tuples(st.integers(0, 10), st.integers(0, 8)),
                  elements=SPECIAL), st.booleans())
def test_compressed_column_is_spark_compressed(dense, spark4):
    got = compressed_column(dense, spark4)
    want = VectorColumn.compressed(dense, spark4=spark4)
    np.testing.assert_array_equal(got.sparse, want.sparse)
    assert _arrow_rows(got.to_arrow()) == _arrow_rows(want.to_arrow())
    assert got.dense is dense  # stages reading the matrix do not rebuild it
    if isinstance(got, CsrColumn):
        assert _arrow_rows(got.take(np.arange(len(got))[::-1]).to_arrow()) == _arrow_rows(
            want.take(np.arange(len(want))[::-1]).to_arrow())


@st.composite
def csr_columns(draw: st.DrawFn) -> CsrColumn:
    dense = draw(hnp.arrays(np.float64, st.tuples(st.integers(0, 10), st.integers(0, 8)),
                            elements=SPECIAL))
    null = draw(st.none() | hnp.arrays(np.bool_, dense.shape[0]))
    if null is not None:
        dense[null] = 0.0  # null rows hold no entries
    rows, slots = np.nonzero(dense != 0)
    col = CsrColumn.of_entries(rows, slots.astype(np.int32), dense[rows, slots],
                               dense.shape[0], dense.shape[1])
    return CsrColumn(col.offsets, col.indices, col.values, col.size, null)


@SETTINGS
@given(csr_columns(), st.data())
def test_scaled_and_scatter_match_numpy(col, data):
    factors = data.draw(hnp.arrays(np.float64, col.size, elements=SPECIAL))
    fast, slow = both_engines(lambda: col.scaled(factors))
    for a, b in ((fast.offsets, slow.offsets), (fast.indices, slow.indices)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(_bits(fast.values), _bits(slow.values))
    want = np.full((len(col), col.size + 2), 7.0)
    want[:, 1:-1][col.dense != 0] = col.dense[col.dense != 0]
    for engine in ("numba", "numpy"):
        vectors.ENGINE = engine
        try:
            out = np.full((len(col), col.size + 2), 7.0)
            col.scatter_into(out, 1)
        finally:
            vectors.ENGINE = "numba"
        np.testing.assert_array_equal(_bits(out), _bits(want))


@SETTINGS
@given(csr_columns(), st.data())
def test_csr_linear_sums_are_the_dense_bits(col, data):
    c = data.draw(st.integers(1, 3))
    w = data.draw(hnp.arrays(np.float64, (c, col.size), elements=SPECIAL | st.floats(-3, 3)))
    b = data.draw(hnp.arrays(np.float64, c, elements=SPECIAL))
    stored = data.draw(st.none() | hnp.arrays(np.bool_, (c, col.size)))
    b_first = data.draw(st.booleans())
    with np.errstate(all="ignore"):
        want = linear_sums(col.dense, w, b, stored, b_first)
        got = linear_sums(col, w, b, stored, b_first)
    # NaN + NaN keeps one operand's sign and payload, and which one NumPy's loops keep
    # changes with the number of rows (SIMD body or remainder): NaN is only NaN here
    nan = np.isnan(want)
    assert (np.isnan(got) == nan).all()
    np.testing.assert_array_equal(_bits(got[~nan]), _bits(want[~nan]))


@SETTINGS
@given(csr_columns())
def test_csr_dense_matches_numpy(col):
    def dense():  # a fresh column each time: dense is built once per column
        return CsrColumn(col.offsets, col.indices, col.values, col.size, col.null).dense.copy()
    fast, slow = both_engines(dense)
    want = np.zeros((len(col), col.size))
    for i in range(len(col)):  # row by row from the entries (a null row stores none)
        lo, hi = col.offsets[i], col.offsets[i + 1]
        want[i, col.indices[lo:hi]] = col.values[lo:hi]
    np.testing.assert_array_equal(_bits(fast), _bits(want))
    np.testing.assert_array_equal(_bits(slow), _bits(want))


KEYS = st.sampled_from([0.0, -0.0, 1.0, 2.0, 3.0, 7.0, -1.0, 0.5, 1e300, np.inf])


@SETTINGS
@given(st.data())
def test_vector_indexer_pass_matches_numpy(data):
    """VectorIndexer's compiled pass (index_categories) against its NumPy lookups: direct tables
    (small integer keys) and sorted keys, sparse rows' implicit zeros, NaN and unseen values."""
    size = data.draw(st.integers(1, 5))
    maps = []
    for feature in sorted(data.draw(st.sets(st.integers(0, size - 1), min_size=1))):
        keys = data.draw(st.lists(KEYS | st.just(np.nan), min_size=1, max_size=5))
        maps.append(CategoryMap.of(feature, {k: i for i, k in enumerate(keys)}))
    values = KEYS | SPECIAL | st.sampled_from([4.0, 8.0, 2.5, -3.0])
    n = data.draw(st.integers(1, 12))
    col = VectorColumn(data.draw(hnp.arrays(np.float64, (n, size), elements=values)),
                       data.draw(hnp.arrays(np.bool_, n)))
    stage = VectorIndexerModel("vi", input_col="f", output_col="o", num_features=size,
                               category_maps=tuple(maps))
    got, want = both_engines(lambda: stage._indexed(col))
    np.testing.assert_array_equal(_bits(got[0]), _bits(want[0]))
    np.testing.assert_array_equal(got[1], want[1])


def test_engine_and_row_threshold_choose_the_passes(monkeypatch):
    assert vectors.compiled(1) is not None
    monkeypatch.setattr(vectors, "COMPILED_ROWS", 64)
    assert vectors.compiled(63) is None and vectors.compiled(64) is not None
    monkeypatch.setattr(vectors, "ENGINE", "numpy")
    assert vectors.compiled(1000) is None
    monkeypatch.setattr(vectors, "ENGINE", "numbaa")
    with pytest.raises(ValueError, match="SERVELIB_VECTOR_ENGINE"):
        vectors.compiled(1000)


@pytest.mark.parametrize("count", [0, 1, 1000, 100_000])
def test_pooled_arrays_are_writable_and_outlive_their_pool_buffer(count):
    arr = vectors.pooled(count, np.int32)
    assert arr.dtype == np.int32 and arr.shape == (count,) and arr.flags.writeable
    arr[:] = np.arange(count)
    wrapped = pa.array(arr)  # zero-copy: the Arrow array keeps the memory alive
    del arr
    assert wrapped.to_pylist() == list(range(count))


@SETTINGS
@given(st.one_of(hnp.arrays(np.bool_, st.integers(0, 20)),
                 hnp.arrays(np.int64, st.integers(0, 20), elements=st.integers(0, 9))))
def test_offsets_of_match_numpy(counts):
    fast, slow = both_engines(lambda: offsets_of(counts))
    assert fast.dtype == slow.dtype == np.int64
    np.testing.assert_array_equal(fast, slow)


# labels alike in length and in their first and last 8 bytes, short, long and non-ASCII ones
LABELS = ["", "a", "b", "ab", "ba", "é", "日本", "a" * 8, "a" * 9, "x" * 40,
          "prefix__A__suffix", "prefix__B__suffix", "0123456789abcdefXY", "0123456789abcdefYX"]
VALUES = st.sampled_from(LABELS + ["zz", "A", "日", "a ", "prefix__C__suffix"]) | st.none()


@SETTINGS
@given(st.lists(st.sampled_from(LABELS), min_size=1, max_size=12),
       st.lists(VALUES, max_size=40), st.integers(0, 5), st.booleans(),
       st.sampled_from(["keep", "skip", "error"]))
def test_string_indexer_lookup_matches_arrow_index_in(labels, values, cut, large, mode):
    """StringIndexer's compiled lookup (index_labels) against Arrow's index_in, on chunked,
    sliced string and large_string columns with nulls; repeated labels map as ``_index``
    maps them (the later index), as the row path does."""
    labels = tuple(labels)
    typ = pa.large_string() if large else pa.string()
    arr = pa.chunked_array([pa.array(values[:cut], typ), pa.array(values[cut:], typ)])
    table = pa.table({"c": arr}).slice(min(1, len(values)))
    stage = StringIndexerModel("si", input_cols=("c",), output_cols=("o",), labels=(labels,),
                               handle_invalid=HandleInvalid(mode))
    got, want = both_engines(lambda: stage._lookup(Batch.from_table(table), "c", 0))
    if len(set(labels)) < len(labels):  # index_in gives a repeated label's first index
        index = stage._index[0]
        column = table.column("c").to_pylist()
        want = np.array([-1.0 if v is None else index.get(v, -2.0) for v in column])
    np.testing.assert_array_equal(got, want)


NUMBER_TYPES = [pa.int8(), pa.int32(), pa.int64(), pa.uint32(), pa.float32(), pa.float64(),
                pa.uint64(), pa.bool_()]


@SETTINGS
@given(st.sampled_from(NUMBER_TYPES), st.data())
def test_source_floats_match_numpy(typ, data):
    """A number column with nulls read from the Arrow buffers (floats_of) as the NumPy path
    reads it: chunked and sliced, every value's bits (big integers round as astype rounds)."""
    if pa.types.is_boolean(typ):
        element = st.booleans()
    elif pa.types.is_floating(typ):
        element = st.floats(width=32 if typ == pa.float32() else 64)
    else:
        info = np.iinfo(typ.to_pandas_dtype())
        element = st.integers(int(info.min), int(info.max))
    values = data.draw(st.lists(element | st.none(), max_size=30))
    cut = data.draw(st.integers(0, len(values)))
    arr = pa.chunked_array([pa.array(values[:cut], typ), pa.array(values[cut:], typ)], typ)
    table = pa.table({"x": arr}).slice(data.draw(st.integers(0, 2)))
    got, want = both_engines(lambda: Batch.from_table(table).source_floats("x"))
    if want is None:
        assert got is None and not table.column("x").null_count
        return
    np.testing.assert_array_equal(_bits(got[0]), _bits(want[0]))
    np.testing.assert_array_equal(got[1], want[1])
