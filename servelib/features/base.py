"""The one narrow interface every online feature store implements, and the value codec they
share.

A store reads many entities of several feature groups at once (``get_groups``; Redis: one
pipelined round trip) and returns, per key, the stored values in the group's feature order
followed by the write time (``TS``, ms since the epoch), or None when the entity is absent.
Positional rows let the lookup plan map values onto input columns with tables built once, when
the model loads, instead of a dict per entity.

The write format (what ``servelib features push`` writes and the readers expect) keeps every
value's type from the spec: Redis stores text (numbers as ``repr``, booleans as 1/0, vectors as
JSON), Cassandra and the embedded Parquet store native columns. Every store keeps ``TS``.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from servelib.features.spec import FeatureGroup

TS = "servelib_ts"  # write time of an entity's values, ms since the epoch
Key = tuple[Any, ...]
Values = Sequence[Any]  # one entity: the group's features in spec order, then TS
Lookups = Sequence[tuple[FeatureGroup, Sequence[Key]]]


class FeatureStore(ABC):
    name: str = "store"
    inline = False  # True: reads never wait on I/O, so a timeout cannot interrupt them

    @abstractmethod
    async def get_groups(self, lookups: Lookups) -> list[list[Values | None]]:
        """Per group, per key: the values (features in order, then TS) or None when absent."""

    async def get_many(self, group: FeatureGroup, keys: Sequence[Key]) -> list[Values | None]:
        return (await self.get_groups([(group, keys)]))[0]

    async def close(self) -> None:
        return None


def encode_text(value: Any, kind: str) -> str:
    """A value as Redis stores it."""
    if kind == "boolean":
        return "1" if value else "0"
    if kind == "vector":
        return json.dumps([float(v) for v in value])
    if kind in ("double", "float"):
        return repr(float(value))
    return str(value)


_TRUE = frozenset((b"1", b"true", b"True"))


def _vector(raw: bytes) -> Any:
    from servelib.vectors import DenseVector

    return DenseVector(json.loads(raw))


def text_decoder(kind: str) -> Callable[[bytes], Any]:
    """The exact conversion of a stored text (bytes) to the feature's Python type: float() and
    int() parse bytes directly, so numbers need no intermediate str."""
    if kind == "string":
        return bytes.decode  # UTF-8
    if kind == "boolean":
        return _TRUE.__contains__
    if kind in ("long", "integer"):
        return int
    if kind == "vector":
        return _vector
    return float
