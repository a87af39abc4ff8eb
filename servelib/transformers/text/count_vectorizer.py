"""CountVectorizerModel: an array of terms to a SparseVector of vocabulary term counts.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/CountVectorizer.scala
(the same in v4.0.0): terms outside the vocabulary are ignored but still counted in the
document's token count; ``minTF`` >= 1 is a count, below 1 a fraction of the token count
(``tokenCount * minTF``); counts below it are dropped; ``binary`` sets the kept counts to 1.0.
The output is a SparseVector of the vocabulary's size. A null array makes the UDF fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from servelib.transformers.text.common import RowwiseStage, sparse_column, sparse_row, string_list
from servelib.vectors import RowVector, VectorColumn


@dataclass(frozen=True)
class CountVectorizerModel(RowwiseStage):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.CountVectorizerModel"

    vocabulary: tuple[str, ...] = ()
    min_tf: float = 1.0
    binary: bool = False
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.vocabulary)})

    def per_row(self) -> Callable[[Any], dict[int, float]]:
        get, min_tf, binary = self._index.get, self.min_tf, self.binary

        def counts(value: Any) -> dict[int, float]:
            terms = string_list(value)
            out: dict[int, float] = {}
            for term in terms:
                i = get(term)  # type: ignore[arg-type]
                if i is not None:
                    out[i] = out.get(i, 0.0) + 1.0
            effective = min_tf if min_tf >= 1.0 else len(terms) * min_tf
            return {i: 1.0 if binary else c for i, c in out.items() if c >= effective}

        return counts

    def to_column(self, outputs: list) -> VectorColumn:
        return sparse_column(outputs, len(self.vocabulary))

    def to_row(self, output: dict[int, float]) -> RowVector:
        return sparse_row(output, len(self.vocabulary))
