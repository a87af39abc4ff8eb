"""VectorIndexerModel: categorical slots of a vector mapped to 0-based category indices.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/VectorIndexer.scala
Semantics copied from Spark's ``transformFunc`` (identical in 3.5 and 4.x):

* Continuous slots pass through. A categorical slot's value is looked up in its category map
  (numeric equality: -0.0 finds 0.0, NaN finds nothing). Unseen values: "error" fails, "keep"
  writes the map's size, "skip" drops the row.
* Dense rows stay dense and every categorical slot is looked up. Sparse rows stay sparse and only
  their stored entries are looked up: an implicit zero stays 0 even when 0.0 is not a category.
  servelib does not keep explicit zeros stored in an input SparseVector, so such an entry is
  read as implicit (Spark would look 0.0 up) -- the only case where the result could differ.
* A null vector fails (the UDF dereferences it) in every mode; so does a vector whose length is
  not numFeatures.
* Output attributes (prepOutputField): a categorical slot gets its map's keys sorted by value and
  printed as Java doubles (plus ``__unknown`` under "keep"), as a binary attribute when that makes
  exactly two values (not under "keep"), else nominal; continuous slots are numeric. When the
  input column has slot attributes, categorical slots keep their names and continuous slots keep
  the input attribute itself.
  Before SPARK-58293 (first in Spark 4.3) those attributes were computed in the constructor,
  while handleInvalid still held its default "error": no ``__unknown`` and binary attributes even
  under "keep" (``eager_attributes``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np

from servelib.errors import InvalidInput, ModelLoadError, RowSkipped
from servelib.transformers.attributes import Attribute, AttributeGroup, Attrs
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
from servelib.vectors import VectorColumn, compiled, pooled, row_vector, vector_of_row


SKIP_REASON = "invalid categorical value"


@dataclass(frozen=True)
class CategoryMap:
    """One categorical slot: its original values sorted ascending, and each one's index."""

    feature: int
    keys: np.ndarray  # float64, sorted
    indices: np.ndarray  # float64, the category index of keys[i]

    @classmethod
    def of(cls, feature: int, mapping: Mapping[float, int]) -> CategoryMap:
        if not mapping:
            raise ValueError(f"empty category map for feature {feature}")
        items = sorted(mapping.items(), key=lambda kv: _java_order(kv[0]))
        keys = np.array([k for k, _ in items], dtype=np.float64)
        return cls(feature, keys, np.array([v for _, v in items], dtype=np.float64))


@dataclass(frozen=True)
class VectorIndexerModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.VectorIndexerModel"

    input_col: str = ""
    output_col: str = ""
    num_features: int = 0
    category_maps: tuple[CategoryMap, ...] = ()  # sorted by feature index
    handle_invalid: HandleInvalid = HandleInvalid.ERROR
    eager_attributes: bool = False  # Spark < 4.3: attributes ignore handleInvalid, see docstring
    # per categorical slot, how a batch looks its values up
    _lookup: tuple[_SlotLookup, ...] = field(init=False, repr=False, compare=False)
    _packed: tuple[np.ndarray, ...] = field(init=False, repr=False, compare=False)  # _pack

    def __post_init__(self) -> None:
        lookups = tuple(_SlotLookup.of(cm) for cm in self.category_maps)
        object.__setattr__(self, "_lookup", lookups)
        object.__setattr__(self, "_packed", _pack(self.category_maps, lookups))

    def input_columns(self) -> Sequence[str]:
        return (self.input_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def bind(self, attrs: Attrs) -> VectorIndexerModel:
        self._output_group(attrs.get(self.input_col))  # Spark checks input metadata up front
        return self

    def output_attributes(self, attrs: Attrs) -> Attrs:
        return {self.output_col: self._output_group(attrs.get(self.input_col))}

    def _output_group(self, source: object) -> AttributeGroup:
        partial = self._partial_attributes()
        if isinstance(source, AttributeGroup):
            known = len(source.attrs) if source.attrs is not None else source.size
            if known is not None and known != self.num_features:
                raise ModelLoadError(
                    f"{self.name}: VectorIndexerModel expected {self.num_features} features, but "
                    f"input column {self.input_col} had metadata specifying {known} features."
                )
            if source.attrs is not None:
                partial = tuple(
                    a if orig.name is None else replace(a, name=orig.name)
                    if a.kind != "numeric" else orig
                    for orig, a in zip(source.attrs, partial)
                )
        return AttributeGroup(size=self.num_features, attrs=partial)

    def _partial_attributes(self) -> tuple[Attribute, ...]:
        keep = self.handle_invalid is HandleInvalid.KEEP and not self.eager_attributes
        attrs = [Attribute(kind="numeric")] * self.num_features
        for cm in self.category_maps:
            values = tuple(java_double_str(float(k)) for k in cm.keys)
            if keep:
                values += ("__unknown",)
            kind = "binary" if len(values) == 2 and not keep else "nominal"
            attrs[cm.feature] = Attribute(kind=kind, values=values)
        return tuple(attrs)

    def score_columns(self, batch: Batch) -> Scored:
        col = batch.vectors(self.input_col, self.name)
        n = len(col)
        if n == 0:
            return Scored({self.output_col: col})
        if col.null is not None and col.null.any():
            raise invalid("null vector (Spark's VectorIndexer UDF fails on null)", self,
                          self.input_col, batch, int(np.argmax(col.null)))
        if col.size != self.num_features:
            raise invalid(
                f"VectorIndexerModel expected vector of length {self.num_features} but found "
                f"length {col.size}", self, self.input_col, batch, 0,
            )
        if not self.category_maps:
            return Scored({self.output_col: VectorColumn(col.dense.copy(), col.sparse.copy())})
        dense, bad_rows = self._indexed(col)  # bad_rows: read under "error" and "skip" only
        if self.handle_invalid is HandleInvalid.ERROR and bad_rows.any():
            row = int(np.argmax(bad_rows))
            x = col.dense[row]
            feature = next(cm.feature for cm, lookup in zip(self.category_maps, self._lookup)
                           if not lookup.find(x[cm.feature : cm.feature + 1])[0][0]
                           and not (col.sparse[row] and x[cm.feature] == 0.0))
            raise invalid(_invalid_message(float(x[feature]), feature), self,
                          self.input_col, batch, row)
        out = VectorColumn(dense, col.sparse.copy(), None)
        if self.handle_invalid is HandleInvalid.SKIP and bad_rows.any():
            return Scored({self.output_col: out}, keep=~bad_rows,
                          skip_reason=SKIP_REASON, skip_column=self.input_col)
        return Scored({self.output_col: out})

    def _indexed(self, col: VectorColumn) -> tuple[np.ndarray, np.ndarray]:
        """The rows with every categorical slot looked up, and which rows hold a value that
        is no key: by vector_kernels.index_categories in one pass over the rows, or per slot
        with NumPy (the fallback, the same arrays: tests/transformers/feature/)."""
        dense = pooled(col.dense.size, np.float64).reshape(col.dense.shape)
        bad_rows = np.zeros(len(col), dtype=bool)
        kernels = compiled(len(col))
        if kernels is not None:
            x = np.ascontiguousarray(col.dense, dtype=np.float64)
            kernels.index_categories(x, col.sparse, *self._packed, dense, bad_rows)
            return dense, bad_rows
        np.copyto(dense, col.dense)
        sparse = np.flatnonzero(col.sparse)
        for cm, lookup in zip(self.category_maps, self._lookup):
            x = col.dense[:, cm.feature]
            found, mapped = lookup.find(x)
            if sparse.size:  # a sparse row's implicit 0 is not looked up
                implicit = sparse[x[sparse] == 0.0]
                found[implicit] = True
                mapped[implicit] = 0.0
            dense[:, cm.feature] = mapped
            bad_rows |= ~found
        return dense, bad_rows

    def row_kernel(self) -> RowKernel:
        """A non-null vector of numFeatures slots (ours, a list, a JSON dict) in every mode:
        unseen values kept, skipped or raised as the batch path raises them; null and other
        sizes take score_columns."""
        src, dst, n = self.input_col, self.output_col, self.num_features
        keep = self.handle_invalid is HandleInvalid.KEEP
        skip = self.handle_invalid is HandleInvalid.SKIP
        plan: list[tuple[int, dict[float, float], float]] = []
        for cm in self.category_maps:
            table: dict[float, float] = {}
            for key, index in zip(cm.keys.tolist(), cm.indices.tolist()):
                # -0.0 and 0.0 are one dict key; the first in Java order wins, as in _SlotLookup
                table.setdefault(key, index)
            plan.append((cm.feature, table, float(len(cm.keys))))

        def index(values: dict) -> bool:
            got = row_vector(values.get(src, ABSENT))
            if got is None or len(got[0]) != n:
                return False
            out, sparse = list(got[0]), got[1]  # a copy: the input vector is not ours
            for feature, table, size in plan:
                x = out[feature]
                if sparse and x == 0.0:
                    out[feature] = 0.0  # an implicit zero is not looked up
                    continue
                # NaN finds nothing (a dict would find a NaN key by identity)
                mapped = table.get(x) if x == x else None
                if mapped is None:
                    if skip:
                        raise RowSkipped(f"Spark would skip this row: {SKIP_REASON}",
                                         column=src, stage=self.name)
                    if not keep:
                        raise InvalidInput(_invalid_message(x, feature), column=src,
                                           stage=self.name, row=0)
                    mapped = size
                out[feature] = mapped
            values[dst] = vector_of_row(out, sparse)
            return True

        return index


def _invalid_message(x: float, feature: int) -> str:
    return (f"VectorIndexer encountered invalid value {java_double_str(x)} on feature index "
            f"{feature}. To handle or skip invalid value, try setting VectorIndexer.handleInvalid.")


_DIRECT = 4096  # keys that are all integers in [0, _DIRECT): one table index per value


@dataclass(frozen=True)
class _SlotLookup:
    """One categorical slot's lookup for a batch: its keys in ascending numeric order (-0.0
    and 0.0 one key, where the first in Java order wins, as in the row kernel's dict; NaN
    none), each one's index, and the map's size for a value that is none of them. Keys that
    are all small integers (indices, booleans) are looked up in a table instead."""

    keys: np.ndarray
    indices: np.ndarray  # per key, then the map's size
    table: np.ndarray | None  # direct: per integer 0..len - 2 its key's position, else len(keys)

    @classmethod
    def of(cls, cm: CategoryMap) -> _SlotLookup:
        keys: list[float] = []
        indices: list[float] = []
        for key, index in zip(cm.keys.tolist(), cm.indices.tolist()):
            if key == key and not (keys and keys[-1] == key):
                keys.append(key)
                indices.append(index)
        size = float(len(cm.keys))
        table = None
        if keys and all(0 <= k < _DIRECT and k == int(k) for k in keys):  # inf: no int
            table = np.full(int(max(keys)) + 2, len(keys), dtype=np.intp)
            table[[int(k) for k in keys]] = np.arange(len(keys))
        return cls(np.array(keys, dtype=np.float64), np.array([*indices, size]), table)

    def find(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per value: whether it is a key (-0.0 finds 0.0, NaN nothing), and the index it maps
        to (the map's size where it is none)."""
        if self.table is not None:
            missing = len(self.keys)
            with np.errstate(invalid="ignore"):  # NaN and huge values: checked just below
                slot = x.astype(np.intp)
            # into the table (whose last entry is no key), then a value is looked up only when
            # it is that integer: NaN, fractions, values out of range fail the comparison
            np.clip(slot, 0, self.table.shape[0] - 1, out=slot)
            pos = self.table[slot]
            np.copyto(pos, missing, where=slot != x)
            return pos != missing, self.indices[pos]
        if not len(self.keys):  # a map of NaN alone
            return np.zeros(x.shape, dtype=bool), np.full(x.shape, self.indices[-1])
        pos = np.searchsorted(self.keys, np.ascontiguousarray(x))  # NaN sorts past every key
        np.minimum(pos, len(self.keys) - 1, out=pos)
        hit = self.keys[pos] == x
        return hit, np.where(hit, self.indices[pos], self.indices[-1])


def _pack(maps: Sequence[CategoryMap], lookups: Sequence[_SlotLookup]) -> tuple[np.ndarray, ...]:
    """The lookups as vector_kernels.index_categories takes them: features, tables and their
    starts, keys and their starts, indices (each map's, then its size)."""
    def starts(parts: list[np.ndarray]) -> np.ndarray:
        return np.cumsum([0, *(len(p) for p in parts)]).astype(np.int64)

    tables = [lk.table if lk.table is not None else np.zeros(0, np.intp) for lk in lookups]
    keys = [lk.keys for lk in lookups]
    joined = [np.concatenate(parts) if parts else np.zeros(0, dtype)
              for parts, dtype in ((tables, np.int64), (keys, np.float64),
                                   ([lk.indices for lk in lookups], np.float64))]
    features = np.array([cm.feature for cm in maps], dtype=np.int64)
    return (features, joined[0].astype(np.int64), starts(tables), joined[1], starts(keys),
            joined[2])


def _java_order(x: float) -> tuple[bool, float, float]:
    """java.lang.Double.compare: -0.0 before 0.0, NaN after everything."""
    return (x != x, 0.0 if x != x else x, math.copysign(1.0, x))
