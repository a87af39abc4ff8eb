"""BisectingKMeansModel: the leaf of the cluster tree a point walks down to.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/clustering/BisectingKMeans.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/mllib/clustering/BisectingKMeansModel.scala
(the same in v4.0.0). The point walks the tree from the root, taking at each node the child of
least cost (``cost(child center, point)``, first minimum), with the norms saved with the tree;
the root's cost is computed too (its failures are Spark's). A NaN cost (an infinite feature) is
refused with InvalidInput rather than guessing how Scala's ``minBy`` orders it. Distances,
checks and errors as in kmeans.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from servelib.transformers.base import RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.clustering.kmeans import ClusterModel


@dataclass(frozen=True)
class BisectingKMeansModel(ClusterModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.clustering.BisectingKMeansModel"

    # per node: (children node ids, leaf cluster index or -1); node 0 is the root; ``centers``
    # and ``center_norms`` are indexed by node id
    children: tuple[tuple[int, ...], ...] = ()
    leaf_index: tuple[int, ...] = ()

    def score_columns(self, batch: Batch) -> Scored:
        if not self.prediction_col:
            return Scored({})
        col, pn = self.points(batch)
        d = self.distances(col, pn, point_first=False)  # every node's cost, root included
        if np.isnan(d).any():
            raise invalid("distance is NaN", self, self.features_col, batch,
                          int(np.argmax(np.isnan(d).any(axis=1))))
        node = np.zeros(len(col), dtype=np.int64)
        kids = self.children
        for _ in range(len(kids)):  # one tree level per pass
            active = np.array([bool(kids[v]) for v in node.tolist()], dtype=bool)
            if not active.any():
                break
            for v in np.unique(node[active]).tolist():
                rows = np.flatnonzero(active & (node == v))
                cand = np.array(kids[v])
                node[rows] = cand[np.argmin(d[rows][:, cand], axis=1)]  # first minimum
        out = np.array([self.leaf_index[v] for v in node.tolist()], dtype=np.int32)
        return Scored({self.prediction_col: out})

    def row_kernel(self) -> RowKernel | None:
        if not self.prediction_col:
            return None
        dst, children, leaf = self.prediction_col, self.children, self.leaf_index
        point, distance = self.row_point, self.row_distance

        def walk(values: dict) -> bool:
            got = point(values)
            if got is None:
                return False
            x, sparse, pn = got
            if distance(x, sparse, pn, 0) != distance(x, sparse, pn, 0):
                return False
            node = 0
            while children[node]:
                best, best_d = -1, 0.0
                for child in children[node]:
                    di = distance(x, sparse, pn, child)
                    if di != di:
                        return False
                    if best < 0 or di < best_d:
                        best, best_d = child, di
                node = best
            values[dst] = leaf[node]
            return True

        return walk
