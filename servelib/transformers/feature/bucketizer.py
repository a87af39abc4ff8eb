"""Bucketizer: map numbers to the index (a double) of the split interval holding them.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/Bucketizer.scala
Buckets are ``[s_i, s_i+1)`` except the last, which also holds its right edge. Spark first checks
``value == splits.last`` (``==``), then places the value with ``java.util.Arrays.binarySearch``,
which orders doubles like ``Double.compare``: -0.0 sits below a 0.0 split (so -0.0 is outside
splits starting at 0.0). Inputs are cast to double (integer columns work). Per handleInvalid:

* NaN: error raises, keep gives the extra bucket ``len(splits) - 1``, skip drops the row;
* null: the UDF takes a primitive double, so null gives null (error and keep; Spark 3.5 and 4.x
  agree); skip drops it (``na.drop`` over the input columns only);
* a value outside ``[splits[0], splits[-1]]`` is an error in every mode.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.errors import InvalidInput, RowSkipped
from servelib.transformers.attributes import Attribute, Attrs
from servelib.transformers.base import (
    ABSENT,
    HandleInvalid,
    OnlineTransformer,
    RowKernel,
    Scored,
    invalid,
)
from servelib.transformers.batch import Batch
from servelib.transformers.feature.string_indexer import java_double_str

_LOW63 = np.int64(0x7FFFFFFFFFFFFFFF)
_NUMBERS = (np.floating, np.integer, np.bool_)  # NumPy scalars the kernel reads as numbers
SKIP_REASON = "NaN or null input"
NAN_MESSAGE = ("Bucketizer encountered NaN value. To handle or skip NaNs, try setting "
               "Bucketizer.handleInvalid.")


def _java_key(x: float) -> tuple[float, float]:
    """A sort key ordering non-NaN doubles as Java's Double.compare does (-0.0 < 0.0): the
    row-path twin of :func:`_order_keys`."""
    return (x, math.copysign(1.0, x)) if x == 0.0 else (x, 0.0)


def _order_keys(x: np.ndarray) -> np.ndarray:
    """int64 keys ordered as Java's Double.compare (-0.0 < 0.0) for non-NaN doubles."""
    bits = np.ascontiguousarray(x, dtype=np.float64).view(np.int64)
    return bits ^ ((bits >> 63) & _LOW63)


@dataclass(frozen=True)
class _Search:
    """One column's splits, prepared so scoring is one searchsorted in the common case."""

    splits: tuple[float, ...]
    inner: np.ndarray  # splits[:-1] (or their order keys): side="right" puts splits[-1] last
    by_keys: bool  # a ±0.0 split: float order would tie -0.0 with 0.0, Java's does not
    unbounded: bool  # -inf ... inf: no double is outside
    first_key: int
    last_key: int

    @classmethod
    def of(cls, splits: tuple[float, ...]) -> _Search:
        by_keys = any(s == 0.0 for s in splits)
        inner = np.array(splits[:-1], dtype=np.float64)
        unbounded = splits[0] == -math.inf and splits[-1] == math.inf
        first, last = _order_keys(np.array([splits[0], splits[-1]])).tolist()
        search = _order_keys(inner) if by_keys else inner
        return cls(splits, search, by_keys, unbounded, first, last)

    def place(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Bucket of each value (NaN rows: garbage) and the mask of values outside the splits."""
        if not self.by_keys:
            bucket = np.searchsorted(self.inner, values, side="right") - 1.0
            if self.unbounded:
                return bucket, None
            return bucket, (values < self.splits[0]) | (values > self.splits[-1])
        keys = _order_keys(values)
        bucket = np.searchsorted(self.inner, keys, side="right") - 1.0
        outside = (keys < self.first_key) | ((keys > self.last_key) & (values != self.splits[-1]))
        return bucket, outside & ~np.isnan(values)  # NaN's bits give arbitrary keys


@dataclass(frozen=True)
class Bucketizer(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.Bucketizer"

    input_cols: tuple[str, ...] = ()
    output_cols: tuple[str, ...] = ()
    splits: tuple[tuple[float, ...], ...] = ()
    handle_invalid: HandleInvalid = HandleInvalid.ERROR
    _search: tuple[_Search, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_search", tuple(_Search.of(s) for s in self.splits))

    def input_columns(self) -> Sequence[str]:
        return self.input_cols

    def output_columns(self) -> Sequence[str]:
        return self.output_cols

    def output_attributes(self, attrs: Attrs) -> Attrs:
        # Spark attaches an ordinal nominal attribute (without a name) whose values name each
        # bucket "lo, hi"; the keep mode's NaN bucket is not among them.
        return {
            dst: Attribute("nominal", values=_bucket_names(s))
            for dst, s in zip(self.output_cols, self.splits)
        }

    def score_columns(self, batch: Batch) -> Scored:
        cols = [batch.floats(src, self.name) for src in self.input_cols]
        keep = None
        if self.handle_invalid is HandleInvalid.SKIP:
            nan = [np.isnan(values) for values, _ in cols]  # floats() gives null rows NaN
            if any(m.any() for m in nan):
                keep = ~np.logical_or.reduce(nan)
        out = {}
        for (values, null), src, dst, search in zip(cols, self.input_cols, self.output_cols,
                                                    self._search):
            out[dst] = self._bucket(values, null, keep, search, src, batch)
        column = None
        if batch.n == 1 and keep is not None and not keep[0]:  # name it for one row
            column = next(src for src, (values, _) in zip(self.input_cols, cols)
                          if np.isnan(values[0]))
        return Scored(out, keep=keep, skip_reason=SKIP_REASON, skip_column=column)

    def row_kernel(self) -> RowKernel | None:
        """Every mode in plain Python: numbers (floats, ints, booleans, NumPy) bucketed, NaN
        kept, skipped or raised, null passed through (or skipped), values outside the splits
        raised as the batch path raises them. Other types take score_columns."""
        if any(math.isnan(x) for s in self.splits for x in s):
            return None  # not a valid Spark model; leave its odd ordering to the batch path
        mode = self.handle_invalid
        keep, skip = mode is HandleInvalid.KEEP, mode is HandleInvalid.SKIP
        places = tuple(_row_place(search) for search in self._search)
        plan = tuple(zip(self.input_cols, self.output_cols, places, self.splits))

        def bucketize(values: dict) -> bool:
            xs: list[float | None] = []  # every column read first, as the batch path does
            for src, _, _, _ in plan:
                x = values.get(src, ABSENT)
                cls = x.__class__
                if cls is not float and x is not None:
                    if not (cls is int or cls is bool or isinstance(x, _NUMBERS)):
                        return False
                    try:
                        x = float(x)
                    except OverflowError:
                        return False
                xs.append(x)
            if skip:
                for (src, _, _, _), x in zip(plan, xs):
                    if x is None or x != x:
                        raise RowSkipped(f"Spark would skip this row: {SKIP_REASON}",
                                         column=src, stage=self.name)
            out: list[float | None] = []
            for (src, _, place, splits), x in zip(plan, xs):
                if x is None:
                    out.append(None)  # Spark's UDF over a primitive double: null in, null out
                elif x != x:
                    if not keep:
                        raise InvalidInput(NAN_MESSAGE, column=src, stage=self.name, row=0)
                    out.append(float(len(splits) - 1))
                else:
                    bucket = place(x)
                    if bucket is None:
                        raise InvalidInput(_outside(x, splits), column=src, stage=self.name,
                                           row=0)
                    out.append(bucket)
            for (_, dst, _, _), bucket in zip(plan, out):
                values[dst] = bucket
            return True

        return bucketize

    def _bucket(
        self,
        values: np.ndarray,
        null: np.ndarray | None,
        keep: np.ndarray | None,
        search: _Search,
        src: str,
        batch: Batch,
    ) -> np.ndarray:
        bucket, outside = search.place(values)
        if outside is not None and keep is not None:
            outside &= keep  # rows that skip drops never reach Spark's UDF
        if outside is not None and outside.any():
            i = int(np.argmax(outside))
            raise invalid(_outside(float(values[i]), search.splits), self, src, batch, i)
        nan = np.isnan(values)
        if not nan.any():
            return bucket
        if null is not None:
            nan &= ~null
        if keep is not None:
            nan &= keep
        if nan.any() and self.handle_invalid is HandleInvalid.ERROR:
            raise invalid(NAN_MESSAGE, self, src, batch, int(np.argmax(nan)))
        bucket[nan] = len(search.splits) - 1
        if null is None:
            return bucket
        result = bucket.astype(object)
        result[null] = None
        return result


def _outside(x: float, splits: Sequence[float]) -> str:
    bounds = f"[{java_double_str(splits[0])}, {java_double_str(splits[-1])}]"
    return (f"Feature value {java_double_str(x)} out of Bucketizer bounds {bounds}. Check your "
            "features, or loosen the lower/upper bound constraints.")


def _row_place(search: _Search) -> Callable[[float], float | None]:
    """``_Search.place`` for one non-NaN float: its bucket, or None when outside the splits."""
    first, last = search.splits[0], search.splits[-1]
    if search.by_keys:
        inner_keys = [_java_key(x) for x in search.splits[:-1]]
        first_key, last_key = _java_key(first), _java_key(last)

        def place_by_keys(x: float) -> float | None:
            key = _java_key(x)
            if key < first_key or (key > last_key and x != last):
                return None
            return float(bisect_right(inner_keys, key) - 1)

        return place_by_keys
    inner = list(search.splits[:-1])
    unbounded = search.unbounded

    def place(x: float) -> float | None:
        if not unbounded and (x < first or x > last):
            return None
        return float(bisect_right(inner, x) - 1)

    return place


def _bucket_names(splits: tuple[float, ...]) -> tuple[str, ...]:
    return tuple(f"{java_double_str(a)}, {java_double_str(b)}" for a, b in zip(splits, splits[1:]))
