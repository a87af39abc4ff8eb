"""What every tree model does with a batch: find the leaves, sum tree outputs in Spark's order.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/tree/treeModels.scala
Sums follow Spark's loops exactly (``np.add.accumulate`` is strictly left to right):

* RandomForest: a Scala loop/``sum`` over trees in tree order;
* GBT: ``BLAS.nativeBLAS.ddot(numTrees, treePredictions, 1, treeWeights, 1)``. With no system
  BLAS this is netlib's Java implementation, which keeps ``lanes`` partial sums (lane ``j`` adds
  products ``j, j + lanes, ...`` of the whole blocks), adds the lanes left to right, then the
  remaining products one by one. Spark 3.x runs Java11BLAS (4 unrolled accumulators); Spark 4.x
  runs VectorBLAS (jdk.incubator.vector; the JVM's preferred species: 8 doubles with AVX-512,
  4 with AVX2). Java fuses each lane's multiply-add (``Math.fma`` / ``DoubleVector.fma``),
  which Python 3.11 and NumPy cannot do; products are rounded once before the add, so a margin
  can differ from Spark's by a few ulps of the partial sums (parity needs relative 1e-9). On the
  100-tree GBT fixture, 8 lanes reproduce 27 of 35 Spark 4.3 margins bit for bit (4 lanes: 11)
  and 4 lanes 23 of 35 Spark 3.5 margins (8 lanes: 4); the others differ by <= 2e-16 relative.

:func:`sequential_sum` and :func:`lane_dot` are the NumPy engine's sums and the specification
of the compiled one (kernels.py), which adds in the same order (tests/transformers/tree/).
Batches walk through blocks.py (block walks where the forest takes heap.py's layout, else the
Forest's own walks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from servelib.transformers.attributes import Attribute, AttributeGroup, ColumnAttribute
from servelib.transformers.base import OnlineTransformer, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.tree import blocks
from servelib.vectors import Vector, VectorColumn, row_values, vector_of_row

if TYPE_CHECKING:  # flat.py sums with this module's functions
    from servelib.transformers.tree.flat import Forest

_LOOP_ROWS = 512  # sequential_sum: from this many rows, a loop over columns beats accumulate


def find_leaves(stage: OnlineTransformer, forest: Forest, batch: Batch, column: str) -> np.ndarray:
    """(rows, trees) leaf ids; InvalidInput where Spark's vector access would fail."""
    return _checked(stage, forest, batch, column, lambda x: blocks.leaves(forest, x))


def find_sums(stage: OnlineTransformer, forest: Forest, batch: Batch, column: str,
              values: np.ndarray, lanes: int) -> np.ndarray:
    """(rows, k) ``Forest.sums`` of ``values``; errors as :func:`find_leaves`."""
    return _checked(stage, forest, batch, column, lambda x: blocks.sums(forest, x, values, lanes))


def _checked(stage: OnlineTransformer, forest: Forest, batch: Batch, column: str,
             walk: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]) -> np.ndarray:
    col = batch.vectors(column, stage.name)
    if col.null is not None and forest.splits and col.null.any():
        raise invalid("null feature vector", stage, column, batch, int(np.argmax(col.null)))
    found, bad = walk(col.dense)
    if bad is not None and bad.any():
        raise invalid(
            f"feature vector has size {col.size} but the model's splits read features up to "
            f"index {forest.width - 1}", stage, column, batch, int(np.argmax(bad)))
    return found


def row_scorer(forest: Forest, values: np.ndarray, lanes: int, ids: bool
               ) -> Callable[[list], tuple[np.ndarray | None, list[float]]]:
    """One row's features -> (its (trees,) leaf ids if ``ids``, else None; ``Forest.sums`` of
    ``values`` for that row)."""
    if ids:
        return forest.row_leaf_sums(values, lanes)
    sums = forest.row_sums(values, lanes)
    return lambda x: (None, sums(x))


def row_features(values: dict, column: str, forest: Forest) -> list[float] | None:
    """A row kernel's feature list; None (the batch path decides) when the column is not a
    vector or is narrower than the splits read."""
    x = row_values(values.get(column))
    return None if x is None or len(x) < forest.width else x


def leaf_row(ranks: np.ndarray, leaves: np.ndarray, single_tree: bool) -> float | Vector:
    """:func:`leaf_column` for one row, from ``forest.leaf_rank``."""
    leaf = ranks[leaves].tolist()
    return leaf[0] if single_tree else vector_of_row(leaf, False)


def lane_dot(products: np.ndarray, lanes: int) -> np.ndarray:
    """Row sums of ``products`` (rows, trees) in netlib's ddot order with ``lanes`` lanes."""
    n, t = products.shape
    whole = t - t % lanes
    if not whole:
        return sequential_sum(products)
    lane_sums = sequential_sum(products[:, :whole].reshape(n, whole // lanes, lanes))
    return sequential_sum(np.concatenate((lane_sums, products[:, whole:]), axis=1))


def sequential_sum(values: np.ndarray) -> np.ndarray:
    """Left-to-right sum over axis 1 (Scala's ``sum`` and while loops), for any length. Short
    batches take ``np.add.accumulate`` (one call); long ones add column after column, which
    gives the same bits without writing every partial sum."""
    n, t = values.shape[:2]
    if t == 0:
        return np.zeros(values.shape[:1] + values.shape[2:])
    if n < _LOOP_ROWS:
        return np.add.accumulate(values, axis=1)[:, -1]
    total = values[:, 0].copy()
    for j in range(1, t):
        total += values[:, j]
    return total


def leaf_column(forest: Forest, leaves: np.ndarray, single_tree: bool) -> np.ndarray | VectorColumn:
    """Spark's leafCol: each tree's leaf number in pre-order, a double (one tree) or a vector."""
    ranks = forest.leaf_rank[leaves]
    return ranks[:, 0] if single_tree else VectorColumn.of_dense(ranks)


def leaf_attribute(forest: Forest, single_tree: bool) -> ColumnAttribute:
    """getLeafField: a nominal attribute with one value per leaf (a group for ensembles); Spark
    writes no name into the metadata (``toStructField`` drops it)."""
    if single_tree:
        return Attribute("nominal", num_values=forest.num_leaves[0])
    attrs = tuple(Attribute("nominal", num_values=k) for k in forest.num_leaves)
    return AttributeGroup(size=forest.num_trees, attrs=attrs)
