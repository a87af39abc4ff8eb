"""HashingTF: an array of terms to a SparseVector of term counts at hashed indices.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/HashingTF.scala
(the same in v4.0.0): each term goes to ``nonNegativeMod(murmur3(term), numFeatures)``
(:mod:`servelib.transformers.text.murmur3`; a null term hashes to the seed); the slot counts
the term's occurrences, or holds 1.0 when ``binary``. The output is always a SparseVector of
size numFeatures. A null array makes the UDF fail. Models saved by Spark 2.x used another hash
(mllib's, ``hashFuncVersion`` 1); the loader refuses them.

Terms must be strings: Spark hashes ints, longs, floats and doubles by their binary form, which
a row dict cannot tell apart (1 could be an int or a long), so other element types raise.

The batch column is a :class:`~servelib.sparse_column.CsrColumn`: its entries alone, whatever
numFeatures is (Spark's default is 2^18).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from servelib.transformers.base import Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.text.common import BadValue, RowwiseStage, sparse_row, string_list
from servelib.transformers.text.murmur3 import TermIndex
from servelib.sparse_column import CsrColumn, count_entries, offsets_of
from servelib.vectors import EntriesVector


@dataclass(frozen=True)
class HashingTF(RowwiseStage):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.HashingTF"

    num_features: int = 1 << 18
    binary: bool = False

    def per_row(self) -> Callable[[Any], dict[int, float]]:
        index, binary = TermIndex(self.num_features), self.binary

        def counts(value: Any) -> dict[int, float]:
            out: dict[int, float] = {}
            for term in string_list(value):
                i = index(term)
                out[i] = 1.0 if binary else out.get(i, 0.0) + 1.0
            return out

        return counts

    def score_columns(self, batch: Batch) -> Scored:
        """Every row's terms hashed in one pass and counted per (row, slot) with NumPy."""
        index = TermIndex(self.num_features)
        tokens = batch.tokens(self.input_col)
        if tokens is not None:
            return self._counted(_slots(tokens.flat(), index), tokens.counts())
        lists = []
        for i, value in enumerate(batch.objects(self.input_col, self.name)):
            try:
                lists.append(string_list(value))
            except BadValue as exc:
                raise invalid(str(exc), self, self.input_col, batch, i) from None
        flat = list(chain.from_iterable(lists))
        try:
            terms = pa.array(flat, pa.string())
        except UnicodeEncodeError:  # a lone surrogate: TermIndex encodes it as Java does
            terms = None
        if terms is None or terms.null_count:  # null terms hash to the seed, in TermIndex
            slots = np.fromiter(map(index, flat), dtype=np.int64, count=len(flat))
        else:
            slots = _slots(terms, index)
        n = len(lists)
        return self._counted(slots, np.fromiter(map(len, lists), dtype=np.int64, count=n))

    def _counted(self, slots: np.ndarray, counts: np.ndarray) -> Scored:
        """The CSR column of rows holding ``counts[i]`` consecutive terms' ``slots``."""
        n, size = counts.shape[0], self.num_features
        rows, slots, repeats = count_entries(np.repeat(np.arange(n), counts), slots, size)
        values = np.ones(rows.size) if self.binary else repeats.astype(np.float64)
        col = CsrColumn(offsets_of(np.bincount(rows, minlength=n)), slots.astype(np.int32),
                        values, size)
        return Scored({self.output_col: col})

    def to_row(self, output: dict[int, float]) -> EntriesVector:
        return sparse_row(output, self.num_features)


def _slots(terms: pa.Array, index: TermIndex) -> np.ndarray:
    """Each (non-null) term's slot, each distinct term hashed once."""
    encoded = pc.dictionary_encode(terms)
    unique = np.fromiter(map(index, encoded.dictionary.to_pylist()), dtype=np.int64)
    return unique[encoded.indices.to_numpy()] if len(unique) else np.zeros(0, np.int64)
