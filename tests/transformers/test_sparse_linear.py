"""sparse_linear_sums gives linear_sums' bits on the dense matrix, without building it: the
compiled pass (vector_kernels.csr_linear_sums) and the NumPy one it replaces."""

from __future__ import annotations

import numpy as np
import pytest

from servelib import vectors
from servelib.sparse_column import CsrColumn
from servelib.transformers.classification.common import linear_sums


@pytest.fixture(autouse=True, params=["numba", "numpy"])
def engine(request, monkeypatch):
    monkeypatch.setattr(vectors, "ENGINE", request.param)
    monkeypatch.setattr(vectors, "COMPILED_ROWS", 0)


def _column(rng: np.random.Generator, n: int, d: int, special: bool) -> CsrColumn:
    dense = np.where(rng.random((n, d)) < 0.25, rng.normal(size=(n, d)), 0.0)
    dense[: n // 5] = 0.0  # empty rows: margin = intercept (or zero, summed the dense way)
    if special:
        dense[n // 5, 0] = np.nan
        dense[n // 5 + 1, 1] = np.inf
    rows, cols = np.nonzero(dense)
    return CsrColumn.of_entries(rows, cols, dense[rows, cols], n, d)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("classes", [1, 3])
@pytest.mark.parametrize("b_first", [False, True])
@pytest.mark.parametrize("with_stored", [False, True])
def test_same_bits_as_the_dense_sums(seed, classes, b_first, with_stored):
    rng = np.random.default_rng(seed)
    x = _column(rng, 60, 11, special=seed % 2 == 0)
    w = rng.normal(size=(classes, 11))
    stored = rng.random((classes, 11)) < 0.7 if with_stored else None
    b = np.where(rng.random(classes) < 0.5, 0.0, rng.normal(size=classes))
    if seed == 3:
        b[:] = -0.0  # a zero margin's sign comes from the dense sums
    got = linear_sums(x, w, b, stored, b_first)
    want = linear_sums(x.dense, w, b, stored, b_first)
    assert got.tobytes() == want.tobytes()


def test_infinite_coefficient_takes_the_dense_sums():
    rng = np.random.default_rng(1)
    x = _column(rng, 20, 6, special=False)
    w = rng.normal(size=(1, 6))
    w[0, 2] = np.inf  # 0 * inf is NaN for every row without an entry there
    with np.errstate(invalid="ignore"):
        got = linear_sums(x, w, np.zeros(1))
        want = linear_sums(x.dense, w, np.zeros(1))
    assert got.tobytes() == want.tobytes()


def test_large_sparse_column_is_never_densified():
    n, d = 5000, 1 << 18
    rng = np.random.default_rng(2)
    rows = np.repeat(np.arange(n), 3)
    cols = np.arange(rows.size) * 7919 % d  # distinct within a row
    x = CsrColumn.of_entries(rows, cols, np.ones(rows.size), n, d)
    out = linear_sums(x, rng.normal(size=(2, d)), np.ones(2))
    assert out.shape == (n, 2)
    assert x._dense is None
