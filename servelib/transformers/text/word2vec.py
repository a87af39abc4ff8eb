"""Word2VecModel: an array of words to the average of their word vectors.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/Word2Vec.scala
(the same in v4.0.0): the word vectors (float32 on disk) are widened to doubles; for a
non-empty sentence the vectors of the words in the vocabulary are summed in sentence order
(``BLAS.axpy(1.0, v, sum)``) and the sum is scaled by ``1.0 / sentence.size`` (every word
counts in the size, known or not), giving a DenseVector; an empty sentence gives an empty
SparseVector of the vector size. A null array makes the UDF fail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from servelib.transformers.text.common import RowwiseStage, string_list
from servelib.vectors import Vector, VectorColumn, vector_of_row


@dataclass(frozen=True)
class Word2VecModel(RowwiseStage):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.Word2VecModel"

    vectors: Mapping[str, tuple[float, ...]] = field(default_factory=dict, repr=False)
    vector_size: int = 100
    _lists: dict[str, list[float]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lists", {w: list(v) for w, v in self.vectors.items()})

    def per_row(self) -> Callable[[Any], tuple[list[float], bool]]:
        get, d = self._lists.get, self.vector_size

        def average(value: Any) -> tuple[list[float], bool]:
            words = string_list(value)
            if not words:
                return [0.0] * d, True
            total = [0.0] * d
            for word in words:
                vec = get(word)  # type: ignore[arg-type]
                if vec is not None:
                    total = [s + v for s, v in zip(total, vec)]
            scale = 1.0 / len(words)
            return [s * scale for s in total], False

        return average

    def to_column(self, outputs: list) -> VectorColumn:
        dense = np.array([values for values, _ in outputs], dtype=np.float64).reshape(
            len(outputs), self.vector_size)
        return VectorColumn(dense, np.array([sparse for _, sparse in outputs], dtype=bool))

    def to_row(self, output: tuple[list[float], bool]) -> Vector:
        return vector_of_row(*output)
