"""DecisionTree, RandomForest and GBT regression models over flat trees.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/regression/DecisionTreeRegressor.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/regression/RandomForestRegressor.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/regression/GBTRegressor.scala
prediction: DecisionTree the leaf's prediction; RandomForest the left-to-right sum of the trees'
predictions divided by the number of trees; GBT ``ddot(tree predictions, tree weights)`` in
netlib's order (scoring.lane_dot). DecisionTree's varianceCol is the leaf's impurity
(``Variance.calculate(count, sum, sumSquares)`` of its stats), leafCol each tree's leaf number in
pre-order. An empty predictionCol drops that column; with no output column transform is a no-op.
Spark never checks the vector size: only the features a row's splits read must exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, TypeVar

import numpy as np

from servelib.transformers.attributes import Attribute, Attrs
from servelib.transformers.base import OnlineTransformer, RowKernel, Scored
from servelib.transformers.batch import Batch
from servelib.transformers.tree.flat import Forest
from servelib.transformers.tree.scoring import (
    find_leaves,
    find_sums,
    leaf_attribute,
    leaf_column,
    leaf_row,
    row_features,
    row_scorer,
)
from servelib.vectors import row_values

_Sum = TypeVar("_Sum", float, np.ndarray)


def leaf_variance(stats: np.ndarray) -> np.ndarray:
    """Per node, Variance.calculate(count, sum, sumSquares) of its impurity stats."""
    count, total, squares = stats[:, 0], stats[:, 1], stats[:, 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count == 0, 0.0, (squares - (total * total) / count) / count)


@dataclass(frozen=True)
class TreeRegressionModel(OnlineTransformer):
    """Columns shared by the tree regressors."""

    features_col: str = "features"
    prediction_col: str = "prediction"
    leaf_col: str = ""
    num_features: int = 0
    forest: Forest | None = field(default=None, compare=False, repr=False)

    single_tree: ClassVar[bool] = False

    def sum_values(self) -> tuple[np.ndarray, int]:
        """What the prediction sums over trees: per-node values (nodes, 1), ddot lanes (0: in
        order)."""
        raise NotImplementedError

    @cached_property
    def _sum_values(self) -> tuple[np.ndarray, int]:
        return self.sum_values()

    def prediction_from_sum(self, total: _Sum) -> _Sum:
        """The prediction from the sum over trees (a column, or one row's float)."""
        return total

    def predict(self, batch: Batch, leaves: np.ndarray | None) -> np.ndarray:
        """The prediction column, from the batch's leaves when they were needed anyway."""
        values, lanes = self._sum_values
        if leaves is None:
            sums = find_sums(self, self.forest, batch, self.features_col, values, lanes)
        else:
            sums = self.forest.leaf_sums(leaves, values, lanes)
        return self.prediction_from_sum(sums[:, 0])

    def extra_columns(self, leaves: np.ndarray) -> dict[str, Any]:
        return {}

    def extra_names(self) -> tuple[str, ...]:
        return ()

    def input_columns(self) -> Sequence[str]:
        return (self.features_col,)

    def output_columns(self) -> Sequence[str]:
        names = (self.prediction_col, *self.extra_names(), self.leaf_col)
        return tuple(n for n in names if n)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        # updateNumeric: a default numeric attribute (Spark writes no name into the metadata)
        out: dict[str, Any] = {n: Attribute("numeric")
                               for n in (self.prediction_col, *self.extra_names()) if n}
        if self.leaf_col:
            out[self.leaf_col] = leaf_attribute(self.forest, self.single_tree)
        return out

    # ---- the row kernel: the same columns for one row of Python floats ----------------------
    def row_scorer(self, ids: bool) -> Callable[[list], tuple[np.ndarray | None, float]]:
        """features -> (leaf ids if ``ids``, prediction)."""
        scorer = row_scorer(self.forest, *self._sum_values, ids)
        finish = self.prediction_from_sum

        def score(x: list) -> tuple[np.ndarray | None, float]:
            leaves, sums = scorer(x)
            return leaves, finish(sums[0])

        return score

    def extra_row(self, leaves: np.ndarray, values: dict) -> None:
        """extra_columns for one row."""

    def row_kernel(self) -> RowKernel | None:
        """The tree engine's walk and sums, as score_columns."""
        forest = self.forest
        if forest is None:
            return None
        if not self.output_columns():  # score_columns only checks the column's type
            return lambda values: row_values(values.get(self.features_col)) is not None
        ranks, features, pred_col = forest.leaf_rank, self.features_col, self.prediction_col
        leaf_col, single, extra = self.leaf_col, self.single_tree, bool(self.extra_names())
        scorer = self.row_scorer(bool(leaf_col) or extra)

        def score(values: dict) -> bool:
            x = row_features(values, features, forest)
            if x is None:
                return False
            leaves, prediction = scorer(x)
            if pred_col:
                values[pred_col] = prediction
            if extra:
                self.extra_row(leaves, values)
            if leaf_col:
                values[leaf_col] = leaf_row(ranks, leaves, single)
            return True

        return score

    def score_columns(self, batch: Batch) -> Scored:
        if not self.output_columns():
            batch.vectors(self.features_col, self.name)  # Spark still checks the column's type
            return Scored({})
        leaves = None
        if self.leaf_col or self.single_tree:
            leaves = find_leaves(self, self.forest, batch, self.features_col)
        out: dict[str, Any] = {}
        if self.prediction_col:
            out[self.prediction_col] = self.predict(batch, leaves)
        out.update(self.extra_columns(leaves))
        if self.leaf_col:
            out[self.leaf_col] = leaf_column(self.forest, leaves, self.single_tree)
        return Scored(out)


@dataclass(frozen=True)
class DecisionTreeRegressionModel(TreeRegressionModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.regression.DecisionTreeRegressionModel"
    single_tree: ClassVar[bool] = True

    variance_col: str = ""
    node_prediction: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False,
                                        repr=False)
    node_variance: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False,
                                      repr=False)

    def predict(self, batch: Batch, leaves: np.ndarray | None) -> np.ndarray:
        return self.node_prediction[leaves[:, 0]]

    def extra_names(self) -> tuple[str, ...]:
        return (self.variance_col,) if self.variance_col else ()

    def extra_columns(self, leaves: np.ndarray) -> dict[str, Any]:
        if not self.variance_col:
            return {}
        return {self.variance_col: self.node_variance[leaves[:, 0]]}

    def row_scorer(self, ids: bool) -> Callable[[list], tuple[np.ndarray | None, float]]:
        walk, predictions = self.forest.row_leaves(), self.node_prediction.tolist()

        def score(x: list) -> tuple[np.ndarray | None, float]:
            leaves = walk(x)
            return leaves, predictions[leaves[0]]

        return score

    def extra_row(self, leaves: np.ndarray, values: dict) -> None:
        values[self.variance_col] = self._variances[leaves[0]]

    @cached_property
    def _variances(self) -> list[float]:
        return self.node_variance.tolist()


@dataclass(frozen=True)
class RandomForestRegressionModel(TreeRegressionModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.regression.RandomForestRegressionModel"

    node_prediction: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False,
                                        repr=False)

    def sum_values(self) -> tuple[np.ndarray, int]:
        return self.node_prediction.astype(np.float64).reshape(-1, 1), 0

    def prediction_from_sum(self, total: _Sum) -> _Sum:
        return total / self.forest.num_trees


@dataclass(frozen=True)
class GBTRegressionModel(TreeRegressionModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.regression.GBTRegressionModel"

    weighted: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False, repr=False)
    dot_lanes: int = 4  # see scoring.lane_dot
    # Spark 3.x aliased the prediction column with the features column's metadata
    prediction_has_features_metadata: bool = False

    def sum_values(self) -> tuple[np.ndarray, int]:
        return self.weighted.astype(np.float64).reshape(-1, 1), self.dot_lanes

    def output_attributes(self, attrs: Attrs) -> Attrs:
        out = dict(super().output_attributes(attrs))
        if self.prediction_col and self.prediction_has_features_metadata:
            out.pop(self.prediction_col)
            if self.features_col in attrs:
                out[self.prediction_col] = attrs[self.features_col]
        return out
