"""KMeansModel: the index of the closest cluster center (and what BisectingKMeansModel shares).

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/clustering/KMeans.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/mllib/clustering/KMeansModel.scala
(the same in v4.0.0). KMeans: with k < 1000 and k * k * numFeatures < 1e6 Spark precomputes
``statistics`` (a packed upper-triangular matrix of bounds from the distances between centers:
``0.25 d^2`` for euclidean, ``1 - sqrt(1 - d / 2)`` for cosine; its diagonal the row minimum)
and ``findClosest`` walks the centers in order with early exits (center 0 wins outright when
its distance is below ``stat(0, 0)``; a center is skipped when ``stat(i, best)`` is not below
the best distance, and for euclidean when ``(|c| - |x|)^2`` is not; a center wins outright when
its distance is below ``stat(i, i)``); otherwise the first strictly smaller distance wins.
Distances are distance.py's, so the same early exits fire as in Spark. Predictions are
integers. A null vector, a size other than the centers', a NaN norm, and (cosine) a zero vector
fail, as in Spark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.attributes import Attribute, Attrs
from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.clustering import distance as dist
from servelib.vectors import VectorColumn, row_vector


@dataclass(frozen=True)
class ClusterModel(OnlineTransformer):
    """Columns, checks and the two distance measures shared by the k-means models."""

    features_col: str = "features"
    prediction_col: str = "prediction"
    cosine: bool = False
    centers: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), compare=False)
    center_norms: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False)

    def input_columns(self) -> Sequence[str]:
        return (self.features_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.prediction_col,) if self.prediction_col else ()

    def output_attributes(self, attrs: Attrs) -> Attrs:
        return {self.prediction_col: Attribute("unresolved")} if self.prediction_col else {}

    def points(self, batch: Batch) -> tuple[VectorColumn, np.ndarray]:
        """The feature column and its norms, failing where Spark fails."""
        col = batch.vectors(self.features_col, self.name)
        if col.null is not None and col.null.any():
            raise invalid("null feature vector", self, self.features_col, batch,
                          int(np.argmax(col.null)))
        size = self.centers.shape[1]
        if len(col) and col.size != size:
            raise invalid(f"feature vector of size {col.size} but the cluster centers have "
                          f"{size}", self, self.features_col, batch, 0)
        pn = dist.norms(col.dense)
        bad = ~(pn > 0.0) if self.cosine else np.isnan(pn)
        if bad.any():
            what = "a zero or NaN vector has no cosine distance" if self.cosine else \
                "a NaN feature makes the vector's norm NaN (Spark's fastSquaredDistance fails)"
            raise invalid(what, self, self.features_col, batch, int(np.argmax(bad)))
        return col, pn

    def distances(self, col: VectorColumn, pn: np.ndarray, rows: np.ndarray | None = None,
                  point_first: bool = False) -> np.ndarray:
        if not len(col):
            return np.zeros((0, self.centers.shape[0]))
        x = col.dense if rows is None else col.dense[rows]
        sparse = col.sparse if rows is None else col.sparse[rows]
        p = pn if rows is None else pn[rows]
        if self.cosine:
            return dist.cosine_distances(x, p, self.centers, self.center_norms, point_first)
        return dist.squared_distances(x, sparse, p, self.centers, self.center_norms)

    def row_point(self, values: dict) -> tuple[list[float], bool, float] | None:
        got = row_vector(values.get(self.features_col, ABSENT))
        if got is None or len(got[0]) != self.centers.shape[1]:
            return None
        x, sparse = got
        pn = dist.norm_row(x)
        if not pn > 0.0 if self.cosine else pn != pn:
            return None
        return x, sparse, pn

    def row_distance(self, x: list[float], sparse: bool, pn: float, i: int,
                     point_first: bool = False) -> float:
        c, cn = self._center_rows[i], self._center_norm_rows[i]
        if self.cosine:
            return dist.cosine_distance_row(x, pn, c, cn, point_first)
        return dist.squared_distance_row(x, sparse, pn, c, cn)

    @property
    def _center_rows(self) -> list[list[float]]:
        return self.__dict__.setdefault("_rows", self.centers.tolist())

    @property
    def _center_norm_rows(self) -> list[float]:
        return self.__dict__.setdefault("_norm_rows", self.center_norms.tolist())


def upper_index(n: int, i: int, j: int) -> int:
    """ml.impl.Utils.indexUpperTriangular."""
    return j + i * (2 * n - i - 1) // 2 if i <= j else i + j * (2 * n - j - 1) // 2


@dataclass(frozen=True)
class KMeansModel(ClusterModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.clustering.KMeansModel"

    # (k, k) bounds statistics(upper_index(k, i, j)), or None when Spark computes none
    stats: np.ndarray | None = field(default=None, compare=False)

    @classmethod
    def build(cls, uid: str, centers: np.ndarray, cosine: bool, **kw) -> KMeansModel:
        k, d = centers.shape
        cn = dist.norms(centers)
        stats = None
        if k < 1000 and k * k * d < 1_000_000:
            stats = np.full((k, k), np.nan)
            diag = np.full(k, np.inf)
            with np.errstate(all="ignore"):
                for i in range(k):
                    for j in range(i + 1, k):
                        a, b = centers[i].tolist(), centers[j].tolist()
                        if cosine:
                            dd = dist.cosine_distance_row(b, float(cn[j]), a, float(cn[i]))
                            s = 1.0 - float(np.sqrt(1.0 - dd / 2.0))
                        else:
                            dd = float(np.sqrt(dist.squared_distance_row(b, False, 0.0, a, 0.0)))
                            s = 0.25 * dd * dd
                        stats[i, j] = stats[j, i] = s
                        diag[i] = s if s < diag[i] else diag[i]
                        diag[j] = s if s < diag[j] else diag[j]
            np.fill_diagonal(stats, diag)
        return cls(uid, cosine=cosine, centers=centers, center_norms=cn, stats=stats, **kw)

    def score_columns(self, batch: Batch) -> Scored:
        if not self.prediction_col:
            return Scored({})
        col, pn = self.points(batch)
        d = self.distances(col, pn)
        n, k = d.shape
        if self.stats is None:  # first strict minimum
            best_d = np.full(n, np.inf)
            best = np.zeros(n, dtype=np.int64)
            for i in range(k):
                better = d[:, i] < best_d
                best_d = np.where(better, d[:, i], best_d)
                best[better] = i
            return Scored({self.prediction_col: best.astype(np.int32)})
        st = self.stats
        best_d = d[:, 0].copy()
        best = np.zeros(n, dtype=np.int64)
        done = best_d < st[0, 0]
        pn_sq = None if self.cosine else pn
        for i in range(1, k):
            go = ~done & (st[i, best] < best_d)
            if pn_sq is not None:
                nd = self.center_norms[i] - pn_sq
                go &= nd * nd < best_d
            win = go & (d[:, i] < st[i, i])
            better = go & ~win & (d[:, i] < best_d)
            take = win | better
            best_d = np.where(take, d[:, i], best_d)
            best[take] = i
            done |= win
        return Scored({self.prediction_col: best.astype(np.int32)})

    def row_kernel(self) -> RowKernel | None:
        if not self.prediction_col:
            return None
        dst, k, st = self.prediction_col, self.centers.shape[0], self.stats
        stats = None if st is None else st.tolist()
        cn, point, distance, cosine = (self.center_norms.tolist(), self.row_point,
                                       self.row_distance, self.cosine)

        def closest(values: dict) -> bool:
            got = point(values)
            if got is None:
                return False
            x, sparse, pn = got
            if stats is None:
                best, best_d = 0, float("inf")
                for i in range(k):
                    di = distance(x, sparse, pn, i)
                    if di < best_d:
                        best, best_d = i, di
                values[dst] = best
                return True
            best, best_d = 0, distance(x, sparse, pn, 0)
            if not best_d < stats[0][0]:
                for i in range(1, k):
                    if not cosine:
                        nd = cn[i] - pn
                        if not nd * nd < best_d:
                            continue
                    if not stats[i][best] < best_d:
                        continue
                    di = distance(x, sparse, pn, i)
                    if di < stats[i][i]:
                        best = i
                        break
                    if di < best_d:
                        best, best_d = i, di
            values[dst] = best
            return True

        return closest
