"""Interaction: the flattened outer product of its inputs, nominal features one-hot encoded.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/Interaction.scala
Semantics (identical in Spark 3.5 and 4.x):

* Each input is encoded (Spark's FeatureEncoder): a number is itself; a nominal number (attribute
  with more than one value) is one-hot over its values; a vector is encoded slot by slot the same
  way, which needs the vector's slot attributes (Spark fails without them). Booleans fail (the
  attribute reader requires a numeric type). A null input fails; a nominal value that is not an
  index in ``[0, numValues)`` fails.
* Only "active" entries are multiplied: every entry of a number or a dense vector, the stored
  entries of a sparse vector (a nominal slot absent from a sparse row is not one-hot encoded at
  all), the hot entry of a nominal. Others give 0.0 even next to a NaN. The first input varies
  slowest; products accumulate from the last input to the first, in Spark's order, so rounding
  is identical. The result is ``compressed`` (Spark's dense/sparse rule).
* Output attribute names join each input's encoded names with ":" (``<col>`` for a number,
  ``<col>_<value>`` for a nominal, ``<col>_<slot name or i>[_<value>]`` for vector slots).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from servelib.errors import UnsupportedStage
from servelib.transformers.attributes import Attribute, AttributeGroup, Attrs
from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.feature.vector_assembler import holds_vectors
from servelib.vectors import (
    VectorColumn,
    compressed_row_is_sparse,
    row_vector,
    vector_of_row,
)

NULL_MESSAGE = "Values to interact cannot be null."


@dataclass(frozen=True)
class Encoder:
    """One input's encoding: per slot its category count (1 = numeric); vector or number."""

    cards: tuple[int, ...] = (1,)
    vector: bool | None = False  # None: no attributes upstream, a number unless data says else

    @property
    def size(self) -> int:
        return sum(self.cards)


@dataclass(frozen=True)
class Interaction(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.Interaction"

    input_cols: tuple[str, ...] = ()
    output_col: str = ""
    encoders: tuple[Encoder, ...] = ()  # bound from upstream attributes
    declared: frozenset[str] = frozenset()  # request columns with a declared (scalar) SQL type
    spark4: bool = False  # written by Spark >= 4.0: its ``compressed`` size rule

    def __post_init__(self) -> None:
        if not self.encoders:
            object.__setattr__(self, "encoders", (Encoder(vector=None),) * len(self.input_cols))

    def input_columns(self) -> Sequence[str]:
        return self.input_cols

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    # ---- load time -----------------------------------------------------------------------
    def _unsupported(self, reason: str) -> UnsupportedStage:
        return UnsupportedStage(self.spark_class, None, reason=f"{self.name}: {reason}")

    def _cards(self, attr: Attribute, col: str) -> int:
        if attr.kind != "nominal":
            return 1
        count = _num_values(attr)
        if count is None:  # Spark: "Nominal features must have attr numValues defined."
            raise self._unsupported(f"column {col!r} has a nominal attribute without values")
        if count < 1 or (attr.values is not None and len(attr.values) != count):
            raise self._unsupported(f"column {col!r}: nominal attribute with {count} values "
                                    "gives Spark inconsistent output attributes")
        return count

    def bind(self, attrs: Attrs) -> Interaction:
        encoders = []
        for col in self.input_cols:
            attr = attrs.get(col)
            if isinstance(attr, AttributeGroup):
                if attr.attrs is None:
                    raise self._unsupported(
                        f"vector column {col!r} has no slot attributes at load time (Spark "
                        "needs them: 'Vector attributes must be defined for interaction.')")
                encoders.append(Encoder(tuple(self._cards(a, col) for a in attr.attrs), True))
            elif isinstance(attr, Attribute):
                encoders.append(Encoder((self._cards(attr, col),), False))
            else:
                encoders.append(Encoder(vector=False if col in self.declared else None))
        return replace(self, encoders=tuple(encoders))

    def with_input_types(self, types: Mapping[str, str]) -> Interaction:
        """Request columns with a declared SQL type are numbers (vectors have no simple type)."""
        declared = self.declared | {c for c in self.input_cols if c in types}
        encoders = tuple(replace(e, vector=False) if e.vector is None and c in declared else e
                         for c, e in zip(self.input_cols, self.encoders))
        return replace(self, encoders=encoders, declared=frozenset(declared))

    def output_attributes(self, attrs: Attrs) -> Attrs:
        names: list[str] | None = None
        kinds: list[str] = []
        for col in reversed(self.input_cols):
            attr = attrs.get(col)
            if isinstance(attr, AttributeGroup) and attr.attrs is not None:
                encoded = _encoded(attr.attrs, col)
            elif isinstance(attr, AttributeGroup):
                return {self.output_col: AttributeGroup()}
            elif isinstance(attr, Attribute) and attr.kind != "unresolved":
                encoded = _encoded((replace(attr, name=attr.name or col),), None)
            else:
                encoded = [("numeric", col)]
            if names is None:
                names, kinds = [n for _, n in encoded], [k for k, _ in encoded]
            else:
                names = [f"{head}:{tail}" for _, head in encoded for tail in names]
                kinds = ["numeric"] * len(names)
        slots = tuple(Attribute(k, n) for k, n in zip(kinds, names or ()))
        return {self.output_col: AttributeGroup(len(slots), slots)}

    # ---- scoring ---------------------------------------------------------------------------
    def score_columns(self, batch: Batch) -> Scored:
        n = batch.n
        acc: np.ndarray | None = None
        active: np.ndarray | None = None  # None: every entry of acc was computed by Spark
        for j in range(len(self.input_cols) - 1, -1, -1):
            values, act = self._encode(batch, j)
            if acc is None:
                acc, active = values, act
                continue
            prev = acc
            with np.errstate(over="ignore", invalid="ignore"):  # inf and NaN as in Java
                acc = values[:, :, None] * prev[:, None, :]
            acc = acc.reshape(n, values.shape[1] * prev.shape[1])
            if act is not None or active is not None:
                a = np.ones(values.shape, bool) if act is None else act
                b = np.ones(prev.shape, bool) if active is None else active
                active = (a[:, :, None] & b[:, None, :]).reshape(acc.shape)
        if active is not None:
            acc = np.where(active, acc, 0.0)
        elif len(self.input_cols) == 1:
            acc = acc.copy()  # never hand out the input column's own array
        return Scored({self.output_col: VectorColumn.compressed(acc, spark4=self.spark4)})

    def row_kernel(self) -> RowKernel:
        """score_columns for one row in plain Python: the same encodings and the same products
        in the same order (the same bits). Nulls, booleans, invalid nominal values and vectors
        without attributes (errors) and other types take score_columns."""
        plan = tuple(zip(self.input_cols, self.encoders))[::-1]  # the last input first
        out_col, spark4 = self.output_col, self.spark4

        def interact(values: dict) -> bool:
            acc: list[float] | None = None
            active: list[bool] = []
            for name, enc in plan:
                encoded = _row_encoded(values.get(name, ABSENT), enc)
                if encoded is None:
                    return False
                vals, act = encoded
                if acc is None:
                    acc, active = vals, act
                else:
                    acc = [v * p for v in vals for p in acc]
                    active = [a and b for a in act for b in active]
            assert acc is not None
            out = [x if a else 0.0 for x, a in zip(acc, active)]
            values[out_col] = vector_of_row(out, compressed_row_is_sparse(out, spark4))
            return True

        return interact

    def _encode(self, batch: Batch, j: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Input ``j`` encoded (rows x encoded size) and which entries Spark emits."""
        name, enc = self.input_cols[j], self.encoders[j]
        col = batch.column(name, self.name)
        is_vector = enc.vector if enc.vector is not None else holds_vectors(col)
        if is_vector and not enc.vector:
            raise invalid("Vector attributes must be defined for interaction.", self, name,
                          batch, None)
        if not is_vector:
            if _booleans(col):
                raise invalid("boolean column: Spark's attribute reader requires a numeric type",
                              self, name, batch, None)
            values, null = batch.floats(name, self.name)
            if null is not None:
                raise invalid(NULL_MESSAGE, self, name, batch, int(np.argmax(null)))
            return _one_slot(self, batch, name, values[:, None], None, enc.cards)
        vc = batch.vectors(name, self.name)
        if vc.null is not None and vc.null.any():
            raise invalid(NULL_MESSAGE, self, name, batch, int(np.argmax(vc.null)))
        if len(vc) and vc.size != len(enc.cards):
            raise invalid(f"Vector column size was {vc.size}, expected {len(enc.cards)} (the "
                          "slot attributes known at load time; a request vector upstream "
                          "without VectorSizeHint has none)", self, name, batch, None)
        act = None
        if vc.sparse.any():  # a sparse row emits its stored entries only
            act = (vc.dense != 0) | ~vc.sparse[:, None]
        return _one_slot(self, batch, name, vc.dense, act, enc.cards)


def _one_slot(stage: Interaction, batch: Batch, name: str, dense: np.ndarray,
              act: np.ndarray | None, cards: tuple[int, ...]):
    """Encode slots: numeric slots copy, nominal slots one-hot (rows x sum(cards))."""
    if all(c == 1 for c in cards):
        return dense, act
    n = dense.shape[0]
    out = np.zeros((n, sum(cards)), dtype=np.float64)
    out_act = np.zeros((n, sum(cards)), dtype=bool)
    rows = np.arange(n)
    start = 0
    for i, card in enumerate(cards):
        x = dense[:, i]
        emitted = np.ones(n, bool) if act is None else act[:, i]
        if card == 1:
            out[:, start] = x
            out_act[:, start] = emitted
        else:
            with np.errstate(invalid="ignore"):
                ok = (x >= 0) & (x == np.floor(x)) & (x < card)
            bad = emitted & ~ok
            if bad.any():
                r = int(np.argmax(bad))
                raise invalid(f"Values from column must be indices, but got {x[r]!r}.", stage,
                              name, batch, r)
            hot = rows[emitted]
            cols = start + x[emitted].astype(np.intp)
            out[hot, cols] = 1.0
            out_act[hot, cols] = True
        start += card
    return out, out_act


def _row_encoded(value: Any, enc: Encoder) -> tuple[list[float], list[bool]] | None:
    """_encode and _one_slot for one row's value (None: left to score_columns)."""
    cls = value.__class__
    if enc.vector:
        got = row_vector(value)
        if got is None or len(got[0]) != len(enc.cards):
            return None
        slots, sparse = got
    elif cls is float or cls is int or isinstance(value, (np.floating, np.integer)):
        try:
            slots, sparse = [float(value)], False
        except OverflowError:
            return None
    else:
        return None  # null, booleans, vectors without attributes: errors; other types
    vals: list[float] = []
    act: list[bool] = []
    for x, card in zip(slots, enc.cards):
        emitted = not sparse or x != 0.0  # a sparse row emits its stored entries only
        if card == 1:
            vals.append(x)
            act.append(emitted)
            continue
        seg, seg_act = [0.0] * card, [False] * card
        if emitted:
            if not (x >= 0 and x == math.floor(x) and x < card):
                return None  # not an index: the batch path names it
            seg[int(x)], seg_act[int(x)] = 1.0, True
        vals += seg
        act += seg_act
    return vals, act


def _num_values(attr: Attribute) -> int | None:
    if attr.num_values is not None:
        return attr.num_values
    return None if attr.values is None else len(attr.values)


def _encoded(attrs: Sequence[Attribute], group: str | None) -> list[tuple[str, str]]:
    """Spark's encodedFeatureAttrs: (kind, name) per encoded output slot."""
    out: list[tuple[str, str]] = []
    for i, attr in enumerate(attrs):
        base = "_".join(p for p in (group, attr.name if attr.name is not None else str(i))
                        if p is not None)
        if attr.kind == "nominal":
            values = attr.values if attr.values is not None else \
                [str(v) for v in range(_num_values(attr) or 0)]
            out += [("binary", f"{base}_{v}") for v in values]
        else:
            out.append(("numeric", base))
    return out


def _booleans(col: Any) -> bool:
    if isinstance(col, np.ndarray) and col.dtype == bool:
        return True
    return col.dtype == object and any(isinstance(v, (bool, np.bool_)) for v in col)
