"""PolynomialExpansion: every monomial of the vector's entries up to ``degree`` (without the 1).

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/PolynomialExpansion.scala
Spark expands recursively from the LAST feature: f([a, b, c], d) = f([a, b], d) ++ f([a, b], d-1)*c
++ ... ++ [c^d], so the output order and each monomial's product order (``alpha *= v``, last
feature first) are fixed. A running product that reaches exactly 0 stops that branch (nothing is
written, the slot stays 0), even if later factors are inf or NaN; a running inf/NaN times 0 is NaN
and goes on. A sparse vector recurses over its stored values only, so a monomial with an unstored
feature is never written, and the result is a SparseVector; a dense vector gives a DenseVector.
A null vector makes Spark fail. Spark attaches no attribute to the output column.

The recursion is replayed once per input size into an index plan (output slot -> ordered factor
indices); scoring multiplies gathered columns, so rows are vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from math import comb
from typing import ClassVar

import numpy as np

from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.vectors import VectorColumn, row_vector, vector_of_row


def expansion_plan(num_features: int, degree: int) -> np.ndarray:
    """(outputs, degree) feature indices in Spark's slot and product order; ``num_features``
    pads monomials of lower degree (it indexes a column of ones)."""
    size = comb(num_features + degree, degree) - 1
    plan = np.full((size, degree), num_features, dtype=np.intp)

    def expand(last: int, deg: int, factors: tuple[int, ...], cur: int) -> int:
        if deg == 0 or last < 0:
            if cur >= 0:  # slot -1 is the constant 1, which Spark drops
                plan[cur, : len(factors)] = factors
        else:
            start = cur
            for i in range(deg + 1):
                start = expand(last - 1, deg - i, factors + (last,) * i, start)
        return cur + comb(last + 1 + deg, deg)

    expand(num_features - 1, degree, (), -1)
    return plan


@dataclass(frozen=True)
class PolynomialExpansion(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.PolynomialExpansion"

    input_col: str = ""
    output_col: str = ""
    degree: int = 2
    # input size -> plan; filled on first use of each size (the size is not in the saved stage)
    _plans: dict[int, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def input_columns(self) -> Sequence[str]:
        return (self.input_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def plan(self, num_features: int) -> np.ndarray:
        plan = self._plans.get(num_features)
        if plan is None:
            plan = self._plans[num_features] = expansion_plan(num_features, self.degree)
        return plan

    def score_columns(self, batch: Batch) -> Scored:
        col = batch.vectors(self.input_col, self.name)
        if col.null is not None and col.null.any():
            raise invalid("null vector (Spark's PolynomialExpansion fails on null)", self,
                          self.input_col, batch, int(np.argmax(col.null)))
        plan = self.plan(col.size)
        x = np.hstack([col.dense, np.ones((len(col), 1))])
        sparse = col.sparse[:, None]
        check_sparse = bool(col.sparse.any())
        value = np.ones((len(col), plan.shape[0]))
        stopped = np.zeros(value.shape, dtype=bool)
        with np.errstate(invalid="ignore", over="ignore", under="ignore"):  # Spark's IEEE results
            for k in range(self.degree):
                factor = x[:, plan[:, k]]
                value *= factor
                stopped |= value == 0.0
                if check_sparse:
                    stopped |= (factor == 0.0) & sparse  # unstored entries are never multiplied
        value[stopped] = 0.0
        return Scored({self.output_col: VectorColumn(value, col.sparse.copy())})

    def row_kernel(self) -> RowKernel:
        """score_columns' products for one vector in plain Python (the same multiplications
        in the same order: the same bits); null vectors take score_columns."""
        src, dst = self.input_col, self.output_col
        plans: dict[int, list[tuple[int, ...]]] = {}

        def expand(values: dict) -> bool:
            got = row_vector(values.get(src, ABSENT))
            if got is None:
                return False
            x, sparse = got
            plan = plans.get(len(x))
            if plan is None:
                plan = [tuple(r) for r in self.plan(len(x)).tolist()]
                if len(plans) < 16:  # sizes come from requests: keep the cache bounded
                    plans[len(x)] = plan
            x = [*x, 1.0]  # the padding factor of lower-degree monomials
            out = []
            for factors in plan:
                value = 1.0
                for i in factors:
                    f = x[i]
                    value *= f
                    if value == 0.0 or (sparse and f == 0.0):
                        value = 0.0  # a branch Spark stops: the slot stays 0
                        break
                out.append(value)
            values[dst] = vector_of_row(out, sparse)
            return True

        return expand
