"""NGram: an array<string> column to the array of its n-grams, each joined by one space.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/NGram.scala
(the same in v4.0.0): ``_.iterator.sliding(n).withPartial(false).map(_.mkString(" "))``. Fewer
than n terms give no n-gram; a null element prints as ``null`` (Scala's mkString); a null array
makes the UDF fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from servelib.transformers.text.common import RowwiseStage, string_list


@dataclass(frozen=True)
class NGram(RowwiseStage):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.NGram"

    n: int = 2

    def per_row(self) -> Callable[[Any], list[str]]:
        n = self.n

        def ngrams(value: Any) -> list[str]:
            terms = ["null" if t is None else t for t in string_list(value)]
            return [" ".join(terms[i:i + n]) for i in range(len(terms) - n + 1)]

        return ngrams
