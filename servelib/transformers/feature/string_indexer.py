"""StringIndexerModel: each input column's value, cast to string, mapped to its label index.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/StringIndexer.scala
Semantics copied from Spark (identical in 3.5 and 4.x):

* The input is ``col.cast(StringType)``: strings as they are, integers in decimal, doubles in
  Java's ``Double.toString`` form (``1.0``, ``1.0E-4``, ``1.5E7``, ``NaN``, ``-0.0``), float32 in
  ``Float.toString`` form. Booleans are rejected (not a string or numeric type). A Python ``int``
  is read as an integral column and a ``float`` as a double column, since a row has no schema.
* Output is a double: the label's index, or ``numLabels`` for invalid values under "keep".
  Invalid = null or unseen. "error" fails on the first invalid row; "skip" drops a row when any
  input column is null/NaN (``na.drop``) or unseen.
* An input column missing from the data is skipped (no output) unless handleInvalid is "skip",
  where Spark's row filter references every input column and fails.
* The output column carries a NominalAttribute with the labels, plus ``__unknown`` under "keep".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

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
from servelib.transformers.batch import Batch, arrow_chunks, brief
from servelib.vectors import COMPILED_ROWS, compiled

NULL_MESSAGE = (
    "StringIndexer encountered NULL value. To handle or skip NULLS, try setting "
    "StringIndexer.handleInvalid."
)
SKIP_REASON = "null or unseen label"
_SHOWN = 80  # characters of a label an error message shows
_NULL, _UNSEEN, _NAN = -1.0, -2.0, -3.0  # sentinels in the index array before handleInvalid
_WIDER = 3  # the compiled lookup's table doubled up to this many times against collisions
_NO_BYTES = np.empty(0, np.uint8)  # the data of a string chunk with no buffer (all empty)


@dataclass(frozen=True)
class StringIndexerModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.StringIndexerModel"

    input_cols: tuple[str, ...] = ()
    output_cols: tuple[str, ...] = ()
    labels: tuple[tuple[str, ...], ...] = ()
    handle_invalid: HandleInvalid = HandleInvalid.ERROR
    # label -> index per column, built once (Spark's labelsToIndexArray)
    _index: tuple[dict[str, float], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        maps = tuple({lab: float(i) for i, lab in enumerate(labs)} for labs in self.labels)
        object.__setattr__(self, "_index", maps)

    @cached_property
    def _arrow_labels(self) -> tuple[pa.Array, ...]:
        """index_in's value sets, made for the first batch: ``pa.array`` imports pandas (half
        a second), which loading a model and scoring rows never need."""
        return tuple(pa.array(labs, pa.string()) for labs in self.labels)

    @cached_property
    def _label_tables(self) -> tuple[tuple[np.ndarray, ...], ...]:
        """Per input column, the compiled lookup's labels (vector_kernels.index_labels): UTF-8
        bytes, their offsets, the index of each (as ``_index`` maps it), their keys, the slots
        and the slots' bits. Built for the first batch of 64 rows or more, once: numba is
        imported then, not at load (a model that scores single rows never needs it)."""
        kernels = compiled(COMPILED_ROWS)
        tables = []
        for labels, index in zip(self.labels, self._index):
            encoded = [lab.encode("utf-8", "surrogatepass") for lab in labels]
            offsets = np.zeros(len(encoded) + 1, np.int64)
            np.cumsum([len(b) for b in encoded], out=offsets[1:])
            data = np.frombuffer(b"".join(encoded), np.uint8)
            values = np.array([index[lab] for lab in labels], np.float64)
            bits = max(2, (2 * len(labels)).bit_length())  # under half full
            keys, slots, moved = kernels.label_slots(data, offsets, bits)
            # a label not in its first slot is found by the slower probe: try wider tables
            for _ in range(_WIDER):
                if not moved:
                    break
                bits += 1
                keys, slots, moved = kernels.label_slots(data, offsets, bits)
            tables.append((data, offsets, values, keys, slots, bits))
        return tuple(tables)

    def input_columns(self) -> Sequence[str]:
        return self.input_cols

    def output_columns(self) -> Sequence[str]:
        return self.output_cols

    def output_attributes(self, attrs: Attrs) -> Attrs:
        extra = ("__unknown",) if self.handle_invalid is HandleInvalid.KEEP else ()
        return {
            dst: Attribute(kind="nominal", name=dst, values=labs + extra)
            for dst, labs in zip(self.output_cols, self.labels)
        }

    def score_columns(self, batch: Batch) -> Scored:
        skip = self.handle_invalid is HandleInvalid.SKIP
        out: dict[str, Any] = {}
        keep = None
        first_bad: tuple[int, int] | None = None  # (row, column position) of the first error
        for pos, (src, dst) in enumerate(zip(self.input_cols, self.output_cols)):
            if not skip and not batch.has(src):
                continue  # Spark skips a missing input column
            index = self._lookup(batch, src, pos)
            bad = index < 0
            if skip:
                good = ~bad
                keep = good if keep is None else keep & good
            elif self.handle_invalid is HandleInvalid.KEEP:
                index[bad] = float(len(self.labels[pos]))
            elif bad.any():
                row = int(np.argmax(bad))
                if first_bad is None or row < first_bad[0]:
                    first_bad = (row, pos)
            out[dst] = index
        if first_bad is not None:
            row, pos = first_bad
            raise self._error(batch, row, pos)
        if skip:
            column = None
            if batch.n == 1 and keep is not None and not keep[0]:  # name it for one row
                column = next(src for src, dst in zip(self.input_cols, self.output_cols)
                              if out[dst][0] < 0)
            return Scored(out, keep=keep, skip_reason=SKIP_REASON, skip_column=column)
        return Scored(out)

    def row_kernel(self) -> RowKernel:
        """Every mode in plain Python: strings, and numbers cast as Spark casts them; null and
        unseen values kept, skipped (RowSkipped naming the first such column) or raised as the
        batch path raises them. Booleans, other types and missing columns take score_columns."""
        mode = self.handle_invalid
        keep, skip = mode is HandleInvalid.KEEP, mode is HandleInvalid.SKIP
        plan = tuple((src, dst, index.get, float(len(labels))) for src, dst, index, labels
                     in zip(self.input_cols, self.output_cols, self._index, self.labels))

        def index(values: dict) -> bool:
            bad = None  # the first column with a null or unseen value, and that value
            for src, dst, get, unknown in plan:
                v = values.get(src, ABSENT)
                if v.__class__ is str:
                    i = get(v)
                elif v is ABSENT:
                    return False
                else:
                    try:
                        i = _other(v, get, skip)
                    except TypeError:
                        return False  # a type Spark rejects: the batch path names it
                    if i < 0:
                        i = None
                if i is None:
                    if keep:
                        i = unknown
                    elif bad is None:
                        bad = (src, v)
                values[dst] = i
            if bad is not None:
                if skip:
                    raise RowSkipped(f"Spark would skip this row: {SKIP_REASON}",
                                     column=bad[0], stage=self.name)
                raise InvalidInput(self._message(bad[1]), column=bad[0], stage=self.name, row=0)
            return True

        return index

    def _lookup(self, batch: Batch, src: str, pos: int) -> np.ndarray:
        """Index per row, or a negative sentinel for null / NaN (skip mode) / unseen."""
        get = self._index[pos].get
        skip = self.handle_invalid is HandleInvalid.SKIP
        strings = batch.source_strings(src)
        if strings is not None:  # an Arrow string column: matched in Arrow, no Python per row
            kernels = compiled(len(strings))
            if kernels is not None:
                return _compiled_lookup(kernels, strings, self._label_tables[pos])
            import pyarrow.compute as pc  # here: its import is a tenth of a first prediction

            # null where the value is null or unseen
            found = pc.index_in(strings, value_set=self._arrow_labels[pos])
            result = pc.fill_null(found, int(_UNSEEN)).to_numpy().astype(np.float64)
            if strings.null_count:
                result[strings.is_null().to_numpy(zero_copy_only=False)] = _NULL
            return result
        col = batch.column(src, self.name)
        if isinstance(col, np.ndarray) and col.dtype != object:  # numbers from Arrow
            result = np.array([get(lab, _UNSEEN) for lab in _numeric_strings(col, src, self.name)],
                              dtype=np.float64)
            if skip and col.dtype.kind == "f":
                result[np.isnan(col)] = _NAN  # na.drop drops NaN even if "NaN" is a label
            return result
        col = batch.objects(src, self.name)
        try:  # strings take the fast path; anything else is cast as Spark casts it
            return np.array(
                [get(v, _UNSEEN) if v.__class__ is str else _other(v, get, skip) for v in col],
                dtype=np.float64,
            )
        except TypeError as exc:
            raise InvalidInput(str(exc), column=src, stage=self.name) from exc

    def _error(self, batch: Batch, row: int, pos: int) -> InvalidInput:
        src = self.input_cols[pos]
        return invalid(self._message(batch.column(src, self.name)[row]), self, src, batch, row)

    @staticmethod
    def _message(value: Any) -> str:
        if value is None:
            return NULL_MESSAGE
        label = _spark_string(value)
        if len(label) > _SHOWN:  # a 10 MB label must not make a 10 MB message
            label = f"{label[:_SHOWN]}... ({len(label)} characters)"
        return f"Unseen label: {label}. To handle unseen labels, set Param handleInvalid to keep."


def _compiled_lookup(kernels: Any, strings: pa.ChunkedArray,
                     table: tuple[np.ndarray, ...]) -> np.ndarray:
    """_lookup of an Arrow string column by the compiled pass over its buffers."""
    out = np.empty(len(strings))
    wide = pa.types.is_large_string(strings.type)
    for start, chunk, bitmap in arrow_chunks(strings):
        n = len(chunk)
        _, offsets, data = chunk.buffers()
        offsets = np.frombuffer(offsets, np.int64 if wide else np.int32)
        offsets = offsets[chunk.offset : chunk.offset + n + 1]
        data = _NO_BYTES if data is None else np.frombuffer(data, np.uint8)
        kernels.index_labels(offsets, data, bitmap, chunk.offset, *table, _NULL, _UNSEEN,
                             out[start : start + n])
    return out


def _other(value: Any, get: Any, skip: bool) -> float:
    if value is None:
        return _NULL
    if skip and isinstance(value, float) and value != value:
        return _NAN
    return get(_spark_string(value), _UNSEEN)


def _numeric_strings(col: np.ndarray, src: str, stage: str) -> list[str]:
    kind = col.dtype.kind
    if kind in "iu":
        return [str(v) for v in col.tolist()]
    if kind == "f":
        fmt = java_float_str if col.dtype == np.float32 else java_double_str
        return [fmt(v) for v in col.tolist()]
    raise InvalidInput(
        f"expected a string or number, got {col.dtype} (Spark rejects this column type)",
        column=src, stage=stage,
    )


def _spark_string(value: Any) -> str | None:
    """``cast(StringType)`` of one value; TypeError for values Spark's StringIndexer rejects."""
    if value is None or value.__class__ is str:
        return value
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"expected a string or number, got boolean {value!r}")
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, np.float32):
        return java_float_str(float(value))
    if isinstance(value, (float, np.floating)):
        return java_double_str(float(value))
    if isinstance(value, str):
        return str(value)
    raise TypeError(f"expected a string or number, got {type(value).__name__} {brief(value)}")


def java_double_str(x: float) -> str:
    """Java's ``Double.toString`` (what Spark's cast to string and string interpolation print).

    Uses the shortest round-trip digits (Python's repr); JDK < 19 occasionally prints one more
    digit than the shortest (JDK-4511638), e.g. ``4.9E-324`` for the smallest subnormal."""
    return _java_layout(x, repr(x))


def java_float_str(x: float) -> str:
    """Java's ``Float.toString`` for a float32 value (shortest float32 digits)."""
    return _java_layout(x, str(np.float32(x)))


def _java_layout(x: float, shortest: str) -> str:
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0.0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    _, digit_tuple, exp = Decimal(shortest).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    assert isinstance(exp, int)
    sci = len("".join(map(str, digit_tuple))) - 1 + exp  # value = d.ddd x 10^sci
    sign = "-" if x < 0 else ""
    if 1e-3 <= abs(x) < 1e7:
        if sci >= 0:
            whole = digits[: sci + 1].ljust(sci + 1, "0")
            frac = digits[sci + 1 :] or "0"
            return f"{sign}{whole}.{frac}"
        return f"{sign}0.{'0' * (-sci - 1)}{digits}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{sci}"

