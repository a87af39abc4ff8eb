"""DecisionTree, RandomForest and GBT classification models over flat trees.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/classification/DecisionTreeClassifier.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/classification/RandomForestClassifier.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/classification/GBTClassifier.scala
rawPrediction:

* DecisionTree: the leaf's impurityStats (weighted class counts);
* RandomForest: per tree, the leaf's counts divided by their sum (trees whose leaf sums to 0
  add nothing), summed over trees in order;
* GBT: ``[-m, m]`` with margin ``m`` = ddot(tree predictions, tree weights) (scoring.lane_dot).

probability: counts normalised by their left-to-right sum (all-zero stays zero); GBT:
``p0 = 1 / (1 + exp(-2 * raw0))`` (LogLoss.computeProbability of ``-m``), ``p1 = 1 - p0``.
prediction follows ProbabilisticClassificationModel (common.py): from rawPrediction when that
column is produced (argmax, or thresholds over the probability), else from probability, else
``predict(features)``: DecisionTree returns the leaf's stored prediction and ignores thresholds;
GBT returns ``m > 0`` unless thresholds are set; RandomForest goes through rawPrediction.
leafCol: each tree's leaf number in pre-order (treeModels.scala ``predictLeaf``).
Spark never checks the vector size: only the features a row's splits read must exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from servelib.transformers.attributes import Attrs
from servelib.transformers.base import RowKernel, Scored
from servelib.transformers.batch import Batch
from servelib.transformers.classification.common import (
    ClassificationModel,
    exp_row,
)
from servelib.transformers.tree.flat import Forest
from servelib.transformers.tree.scoring import (
    find_leaves,
    find_sums,
    leaf_attribute,
    leaf_column,
    leaf_row,
    row_features,
    row_scorer,
    sequential_sum,
)
from servelib.vectors import row_values

_SIGNS = np.array([-1.0, 1.0])


def normalize(raw: np.ndarray) -> np.ndarray:
    """ProbabilisticClassificationModel.normalizeToProbabilitiesInPlace, row by row: divide by
    the left-to-right sum unless it is 0."""
    total = sequential_sum(raw)[:, None]
    return np.divide(raw, total, out=raw.copy(), where=total != 0)


def normalize_row(raw: list[float]) -> list[float]:
    """:func:`normalize` of one row of Python floats."""
    total = raw[0]
    for value in raw[1:]:
        total += value
    return [value / total for value in raw] if total != 0 else list(raw)


def class_distribution(stats: np.ndarray) -> np.ndarray:
    """Per node, RandomForest's vote: the class counts over their left-to-right sum (a zero
    sum votes nothing)."""
    total = sequential_sum(stats)[:, None]
    return np.divide(stats, total, out=np.zeros_like(stats), where=total != 0)


@dataclass(frozen=True)
class TreeClassificationModel(ClassificationModel):
    """Column handling shared by the tree classifiers (leafCol on top of Spark's three)."""

    probability_col: str = "probability"
    leaf_col: str = ""
    forest: Forest | None = field(default=None, compare=False, repr=False)

    single_tree: ClassVar[bool] = False

    def sum_values(self) -> tuple[np.ndarray, int]:
        """What rawPrediction sums over trees: per-node values (nodes, k), and ddot lanes (0:
        left to right)."""
        raise NotImplementedError

    @cached_property
    def _sum_values(self) -> tuple[np.ndarray, int]:
        return self.sum_values()

    def raw_from_sums(self, sums: np.ndarray) -> np.ndarray:
        """rawPrediction (rows, classes) from the (rows, k) sums."""
        return sums

    def batch_raw(self, batch: Batch, leaves: np.ndarray | None) -> np.ndarray:
        """rawPrediction of the batch, from its leaves when they were needed anyway."""
        values, lanes = self._sum_values
        if leaves is None:
            sums = find_sums(self, self.forest, batch, self.features_col, values, lanes)
        else:
            sums = self.forest.leaf_sums(leaves, values, lanes)
        return self.raw_from_sums(sums)

    def predict_from_leaves(self, leaves: np.ndarray, raw: np.ndarray) -> np.ndarray:
        """``predict(features)``: used when neither rawPrediction nor probability is produced."""
        return self.raw_to_prediction(raw)

    def raw_to_probability(self, raw: np.ndarray) -> np.ndarray:
        return normalize(raw)

    def accepts_size(self, size: int) -> bool:
        return True  # Spark's trees read only the features their splits test

    def output_columns(self) -> Sequence[str]:
        return (*super().output_columns(), *((self.leaf_col,) if self.leaf_col else ()))

    def output_attributes(self, attrs: Attrs) -> Attrs:
        out = dict(super().output_attributes(attrs))
        if self.leaf_col:
            out[self.leaf_col] = leaf_attribute(self.forest, self.single_tree)
        return out

    # ---- the row kernel: the same columns for one row of Python floats ----------------------
    def raw_from_row_sums(self, sums: list[float]) -> list[float]:
        return sums

    def probability_row(self, raw: list[float]) -> list[float]:
        return normalize_row(raw)

    def predict_row(self, leaves: np.ndarray | None, raw: list[float],
                    from_raw: Callable[[list[float]], float]) -> float:
        """predict_from_leaves for one row (``leaves`` None unless the scorer gave ids)."""
        return from_raw(raw)

    def row_scorer(self, ids: bool) -> Callable[[list], tuple[np.ndarray | None, list]]:
        """features -> (leaf ids if ``ids``, rawPrediction)."""
        scorer = row_scorer(self.forest, *self._sum_values, ids)
        raw_from_sums = self.raw_from_row_sums

        def score(x: list) -> tuple[np.ndarray | None, list]:
            leaves, sums = scorer(x)
            return leaves, raw_from_sums(sums)

        return score

    def row_kernel(self) -> RowKernel | None:
        """The tree engine's walk and sums, then columns_from_raw's rules for one row."""
        forest = self.forest
        if forest is None:
            return None
        features, leaf_col, single = self.features_col, self.leaf_col, self.single_tree
        if not (self.raw_prediction_col or self.probability_col or self.prediction_col
                or leaf_col):  # only the column's type is checked
            return lambda values: row_values(values.get(features)) is not None
        ranks = forest.leaf_rank
        scorer = self.row_scorer(bool(leaf_col))
        write = self.row_columns()
        from_raw, predict_row = self.prediction_rules()[0], self.predict_row

        def score(values: dict) -> bool:
            x = row_features(values, features, forest)
            if x is None:
                return False
            leaves, raw = scorer(x)
            write(values, raw, lambda: predict_row(leaves, raw, from_raw))
            if leaf_col:
                values[leaf_col] = leaf_row(ranks, leaves, single)
            return True

        return score

    def score_columns(self, batch: Batch) -> Scored:
        if not (self.raw_prediction_col or self.probability_col or self.prediction_col
                or self.leaf_col):
            batch.vectors(self.features_col, self.name)  # Spark still checks the column's type
            return Scored({})
        leaves = None
        if self.leaf_col or self.single_tree:
            leaves = find_leaves(self, self.forest, batch, self.features_col)
        out: dict[str, Any] = {}
        if self.raw_prediction_col or self.probability_col or self.prediction_col:
            raw = self.batch_raw(batch, leaves)
            out.update(self.columns_from_raw(raw, lambda r: self.predict_from_leaves(leaves, r)))
        if self.leaf_col:
            out[self.leaf_col] = leaf_column(self.forest, leaves, self.single_tree)
        return Scored(out)


@dataclass(frozen=True)
class DecisionTreeClassificationModel(TreeClassificationModel):
    spark_class: ClassVar[str] = (
        "org.apache.spark.ml.classification.DecisionTreeClassificationModel")
    single_tree: ClassVar[bool] = True

    stats: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), compare=False, repr=False)
    node_prediction: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False,
                                        repr=False)

    def batch_raw(self, batch: Batch, leaves: np.ndarray | None) -> np.ndarray:
        return self.stats[leaves[:, 0]]

    def predict_from_leaves(self, leaves: np.ndarray, raw: np.ndarray) -> np.ndarray:
        return self.node_prediction[leaves[:, 0]]

    def row_scorer(self, ids: bool) -> Callable[[list], tuple[np.ndarray | None, list]]:
        walk, stats = self.forest.row_leaves(), self.stats.tolist()

        def scorer(x: list) -> tuple[np.ndarray | None, list]:
            leaves = walk(x)
            return leaves, list(stats[leaves[0]])

        return scorer

    def predict_row(self, leaves: np.ndarray | None, raw: list[float],
                    from_raw: Callable[[list[float]], float]) -> float:
        return self._node_predictions[leaves[0]]  # Spark's predict ignores thresholds here

    @cached_property
    def _node_predictions(self) -> list[float]:
        return self.node_prediction.tolist()


@dataclass(frozen=True)
class RandomForestClassificationModel(TreeClassificationModel):
    spark_class: ClassVar[str] = (
        "org.apache.spark.ml.classification.RandomForestClassificationModel")

    # per node: its class counts divided by their sum (0 where the sum is 0)
    distribution: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), compare=False,
                                     repr=False)

    def sum_values(self) -> tuple[np.ndarray, int]:
        return np.ascontiguousarray(self.distribution, dtype=np.float64), 0


@dataclass(frozen=True)
class GBTClassificationModel(TreeClassificationModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.classification.GBTClassificationModel"

    weighted: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False, repr=False)
    dot_lanes: int = 4  # see scoring.lane_dot

    def sum_values(self) -> tuple[np.ndarray, int]:
        return self.weighted.astype(np.float64).reshape(-1, 1), self.dot_lanes

    def raw_from_sums(self, sums: np.ndarray) -> np.ndarray:
        return sums[:, :1] * _SIGNS  # [-m, m]; one call beats np.stack

    def raw_to_probability(self, raw: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            p0 = 1.0 / (1.0 + np.exp(-2.0 * raw[:, :1]))
        return np.concatenate((p0, 1.0 - p0), axis=1)

    def raw_from_row_sums(self, sums: list[float]) -> list[float]:
        return [-sums[0], sums[0]]

    def probability_row(self, raw: list[float]) -> list[float]:
        p0 = 1.0 / (1.0 + exp_row(-2.0 * raw[0]))
        return [p0, 1.0 - p0]

    def predict_row(self, leaves: np.ndarray | None, raw: list[float],
                    from_raw: Callable[[list[float]], float]) -> float:
        if self.thresholds is not None:
            return from_raw(raw)
        return 1.0 if raw[1] > 0.0 else 0.0

    def raw_to_prediction(self, raw: np.ndarray) -> np.ndarray:
        if self.thresholds is not None:
            return super().raw_to_prediction(raw)
        return (raw[:, 1] > raw[:, 0]) * 1.0  # Vector.argmax of [-m, m]: a tie (m = 0) is 0

    def predict_from_leaves(self, leaves: np.ndarray, raw: np.ndarray) -> np.ndarray:
        if self.thresholds is not None:
            return self.raw_to_prediction(raw)
        return (raw[:, 1] > 0.0) * 1.0
