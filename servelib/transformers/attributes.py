"""Spark's ML column attributes (org.apache.spark.ml.attribute), as far as scoring needs them.

Spark keeps attributes in each column's metadata; stages read them at transform time (e.g.
IndexToString takes its labels from the StringIndexer that made its input, VectorSlicer resolves
slot names that VectorAssembler wrote). servelib propagates them once, at load time, through the
pipeline. https://github.com/apache/spark/tree/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/attribute
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Attribute:
    """One scalar column or vector slot: kind is "numeric", "nominal", "binary" or "unresolved"."""

    kind: str = "unresolved"
    name: str | None = None
    values: tuple[str, ...] | None = None  # nominal/binary labels, in index order
    num_values: int | None = None


@dataclass(frozen=True)
class AttributeGroup:
    """A vector column: its size (when known) and per-slot attributes (when known)."""

    size: int | None = None
    attrs: tuple[Attribute, ...] | None = None

    def slot_names(self) -> tuple[str | None, ...] | None:
        return None if self.attrs is None else tuple(a.name for a in self.attrs)


ColumnAttribute = Attribute | AttributeGroup
Attrs = Mapping[str, ColumnAttribute]
