"""StopWordsRemover: drops the stop words from array<string> columns (one or several).

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/StopWordsRemover.scala
(the same in v4.0.0). Case-sensitive: a term is dropped when it is one of ``stopWords``.
Otherwise both sides are lowercased with ``toLowerCase(new Locale(locale))`` (null stays null)
and compared. A null element is kept unless null is a stop word; a null array makes the UDF
fail. The loader refuses locales whose lowercasing differs from Python's ``str.lower``
(Turkish, Azerbaijani, Lithuanian). A
:class:`~servelib.transformers.text.token_column.TokenColumn` input (RegexTokenizer's batch
output) is filtered in Arrow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.text.common import BadValue, string_list
from servelib.transformers.text.token_column import TokenColumn


@dataclass(frozen=True)
class StopWordsRemover(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.StopWordsRemover"

    input_cols: tuple[str, ...] = ()
    output_cols: tuple[str, ...] = ()
    stop_words: frozenset[str | None] = frozenset()  # lowercased unless case_sensitive
    case_sensitive: bool = False

    def input_columns(self) -> Sequence[str]:
        return self.input_cols

    def output_columns(self) -> Sequence[str]:
        return self.output_cols

    def per_row(self) -> Callable[[Any], list]:
        stop = self.stop_words
        if self.case_sensitive:
            def remove(value: Any) -> list:
                return [t for t in string_list(value) if t not in stop]
        else:
            def remove(value: Any) -> list:
                return [t for t in string_list(value)
                        if (t if t is None else t.lower()) not in stop]
        return remove

    def score_columns(self, batch: Batch) -> Scored:
        remove = self.per_row()
        out = {}
        for src, dst in zip(self.input_cols, self.output_cols):
            tokens = batch.tokens(src)
            if tokens is not None:
                out[dst] = self._kept(tokens)
                continue
            result = []
            for i, value in enumerate(batch.objects(src, self.name)):
                try:
                    result.append(remove(value))
                except BadValue as exc:
                    raise invalid(str(exc), self, src, batch, i) from None
            col = np.empty(len(result), dtype=object)
            col[:] = result
            out[dst] = col
        return Scored(out)

    def _kept(self, tokens: TokenColumn) -> TokenColumn:
        """The Arrow form: ASCII tokens lowercased and looked up by Arrow, others by
        ``str.lower`` (per_row's test)."""
        flat = tokens.flat()
        stop = pa.array(sorted(w for w in self.stop_words if w is not None), pa.string())
        if self.case_sensitive:
            drop = pc.is_in(flat, value_set=stop).to_numpy(zero_copy_only=False)
        else:
            drop = pc.is_in(pc.ascii_lower(flat), value_set=stop).to_numpy(zero_copy_only=False)
            other = np.flatnonzero(~pc.string_is_ascii(flat).to_numpy(zero_copy_only=False))
            if other.size:
                drop = drop.copy()
                words = self.stop_words
                drop[other] = [t.lower() in words for t in flat.take(pa.array(other)).to_pylist()]
        keep = ~drop
        return TokenColumn.of_flat(tokens.kept_counts(keep), flat.filter(pa.array(keep)))

    def row_kernel(self) -> RowKernel:
        remove, plan = self.per_row(), tuple(zip(self.input_cols, self.output_cols))

        def kernel(values: dict) -> bool:
            out = []  # written after every input is read, as the batch path does
            for src, _ in plan:
                value = values.get(src, ABSENT)
                if value is ABSENT:
                    return False
                try:
                    out.append(remove(value))
                except BadValue:
                    return False
            for (_, dst), terms in zip(plan, out):
                values[dst] = terms
            return True

        return kernel
