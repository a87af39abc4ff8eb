"""Spark's two distance measures between cluster centers and points, over a batch and one row.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/mllib/clustering/DistanceMeasure.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/mllib/util/MLUtils.scala (fastSquaredDistance)
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/mllib/linalg/Vectors.scala (norm, sqdist)
(the same in v4.0.0). A point's norm is ``sqrt`` of the left-to-right sum of its stored values
squared. Euclidean: ``fastSquaredDistance`` requires both norms >= 0 (a NaN fails); two dense
vectors give ``sqdist`` (left-to-right sum of squared differences); otherwise, with
``s = n1^2 + n2^2`` and ``b1 = 2 EPS s / ((n1 - n2)^2 + EPS)``: ``s - 2 dot`` when ``b1 < 1e-6``,
else ``max(s - 2 dot, 0)``, replaced by ``sqdist`` when
``EPS (s + 2 |dot|) / (that + EPS) > 1e-6``. Cosine: ``1 - dot(a, b) / |a| / |b|`` and both
norms must be > 0. Dots over a sparse point add its stored products in index order; dense x dense
is BLAS ddot (rounding-level differences).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

EPS = float(np.finfo(np.float64).eps)  # MLUtils.EPSILON
PRECISION = 1e-6


def _last(a: np.ndarray) -> np.ndarray:
    """Left-to-right sums over the last axis (0.0 for an empty axis)."""
    if a.shape[-1] == 0:
        return np.zeros(a.shape[:-1])
    return np.add.accumulate(a, axis=-1)[..., -1]


def norms(x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.sqrt(_last(x * x))


def dots(x: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(rows, centers) of left-to-right dot products."""
    with np.errstate(all="ignore"):
        return _last(x[:, None, :] * centers[None, :, :])


def squared_distances(x: np.ndarray, sparse: np.ndarray, pn: np.ndarray, centers: np.ndarray,
                      cn: np.ndarray) -> np.ndarray:
    """fastSquaredDistance(center, point) for every row and center (centers are dense)."""
    with np.errstate(all="ignore"):
        diff = centers[None, :, :] - x[:, None, :]
        exact = _last(diff * diff)
        if not sparse.any():
            return exact
        s = cn[None, :] * cn[None, :] + pn[:, None] * pn[:, None]
        nd = cn[None, :] - pn[:, None]
        b1 = 2.0 * EPS * s / (nd * nd + EPS)
        dot = dots(x, centers)
        fast = s - 2.0 * dot
        slow = np.maximum(fast, 0.0)
        b2 = EPS * (s + 2.0 * np.abs(dot)) / (slow + EPS)
        approx = np.where(b1 < PRECISION, fast, np.where(b2 > PRECISION, exact, slow))
        return np.where(sparse[:, None], approx, exact)


def cosine_distances(x: np.ndarray, pn: np.ndarray, centers: np.ndarray, cn: np.ndarray,
                     point_first: bool = False) -> np.ndarray:
    """``1 - dot / n_a / n_b`` with a = center (KMeans) or a = point (``point_first``)."""
    with np.errstate(all="ignore"):
        dot = dots(x, centers)
        if point_first:
            return 1.0 - dot / pn[:, None] / cn[None, :]
        return 1.0 - dot / cn[None, :] / pn[:, None]


# ---- one row of Python floats -----------------------------------------------------------------
def norm_row(x: list[float]) -> float:
    s = 0.0
    for v in x:
        s += v * v
    return math.sqrt(s)


def _dot_row(x: list[float], c: list[float]) -> float:
    if not x:
        return 0.0
    s = x[0] * c[0]
    for j in range(1, len(x)):
        s += x[j] * c[j]
    return s


def squared_distance_row(x: list[float], sparse: bool, pn: float, c: list[float],
                         cn: float) -> float:
    exact = 0.0
    for a, b in zip(c, x):
        d = a - b
        exact += d * d
    if not sparse:
        return exact
    s = cn * cn + pn * pn
    nd = cn - pn
    dot = _dot_row(x, c)
    fast = s - 2.0 * dot
    if 2.0 * EPS * s / (nd * nd + EPS) < PRECISION:
        return fast
    slow = fast if fast > 0.0 or fast != fast else 0.0
    return exact if EPS * (s + 2.0 * abs(dot)) / (slow + EPS) > PRECISION else slow


def cosine_distance_row(x: list[float], pn: float, c: list[float], cn: float,
                        point_first: bool = False) -> float:
    dot = _dot_row(x, c)
    return 1.0 - dot / pn / cn if point_first else 1.0 - dot / cn / pn


RowDistance = Callable[[list[float], bool, float, int], float]  # (x, sparse, norm, center)
