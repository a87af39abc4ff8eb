"""``b + w @ x`` over a :class:`~servelib.sparse_column.CsrColumn`: the stored entries only.

Spark's own sums for sparse features run over the stored entries in index order
(``BLAS.dot(SparseVector, DenseVector)`` and the sparse ``gemv`` branches:
https://github.com/apache/spark/blob/v3.5.0/mllib-local/src/main/scala/org/apache/spark/ml/linalg/BLAS.scala),
starting from 0.0, or from the intercept when a column-major matrix adds every product onto it.
The dense form (``classification.common.linear_sums``) adds a product for every slot; the extra
products are +-0.0 (finite coefficients), which leave every non-zero partial sum unchanged. So
both give the same bits except possibly a zero margin's sign: rows with a zero margin are summed
again the dense way, as are all rows when a coefficient is infinite or NaN (0 * inf is NaN).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from servelib.sparse_column import CsrColumn
from servelib.vectors import compiled

DenseSums = Callable[..., np.ndarray]  # linear_sums(x, w, b, stored, b_first)
_CHUNK = 1 << 20  # doubles per densified block of rows


def sparse_linear_sums(
    x: CsrColumn,
    w: np.ndarray,
    b: np.ndarray,
    stored: np.ndarray | None,
    b_first: bool,
    dense_sums: DenseSums,
) -> np.ndarray:
    """``dense_sums(x.dense, w, b, stored, b_first)``'s bits without the dense matrix (bar the
    few rows the module docstring names)."""
    n, c = len(x), w.shape[0]
    kernels = compiled(n)
    if kernels is not None:
        held = np.ones(w.shape, dtype=bool) if stored is None else stored
        return kernels.csr_linear_sums(x.offsets, x.indices, x.values, w, b, held, b_first)
    if not np.isfinite(w).all():
        return _dense(x, np.arange(n), w, b, stored, b_first, dense_sums)
    prod = x.values[:, None] * w[:, x.indices].T  # (entries, classes)
    if stored is not None:
        prod[~stored[:, x.indices].T] = 0.0
    counts = x.counts()
    order = np.argsort(-counts, kind="stable")  # longest rows first: rank r's rows are a prefix
    starts = x.offsets[:-1][order]
    neg_ranked = -counts[order]  # ascending, for searchsorted
    acc = np.empty((n, c))
    acc[:] = b if b_first else 0.0
    for r in range(-int(neg_ranked[0]) if n else 0):  # a rank at a time: index order in a row
        k = int(np.searchsorted(neg_ranked, -r, side="left"))  # rows with more than r entries
        acc[:k] += prod[starts[:k] + r]
    out = np.empty((n, c))
    out[order] = acc if b_first else acc + b
    zero = np.flatnonzero((out == 0.0).any(axis=1))
    if zero.size:
        out[zero] = _dense(x.take(zero), np.arange(zero.size), w, b, stored, b_first, dense_sums)
    return out


def _dense(x: CsrColumn, rows: np.ndarray, w: np.ndarray, b: np.ndarray,
           stored: np.ndarray | None, b_first: bool, dense_sums: DenseSums) -> np.ndarray:
    """``dense_sums`` of ``rows``, densified a bounded block at a time (2^18 slots a row)."""
    out = np.empty((rows.size, w.shape[0]))
    step = max(1, _CHUNK // max(1, x.size))
    for start in range(0, rows.size, step):
        part = x.take(rows[start : start + step]).dense
        out[start : start + step] = dense_sums(part, w, b, stored, b_first)
    return out
