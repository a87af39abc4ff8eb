"""The one narrow interface every online feature store implements, and the value codec they
share.

A store reads many entities of one feature group at once and returns, per key, the stored values
by feature name plus the write time (``TS``, ms since the epoch), or None when the entity is
absent. ``get_groups`` reads several groups; a store that can do it in one round trip (Redis: one
pipeline) overrides it, the default runs the groups' reads concurrently.

The write format (what ``servelib features push`` writes and the readers expect) keeps every
value's type from the spec: Redis stores text (numbers as ``repr``, booleans as 1/0, vectors as
JSON), Cassandra and the embedded Parquet store native columns. Every store keeps ``TS``.
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from servelib.features.spec import Feature, FeatureGroup

TS = "servelib_ts"  # write time of an entity's values, ms since the epoch
Key = tuple[Any, ...]
Row = Mapping[str, Any]


class FeatureStore(ABC):
    name: str = "store"

    @abstractmethod
    async def get_many(self, group: FeatureGroup, keys: Sequence[Key]) -> list[Row | None]:
        """Per key, {feature: value, TS: ms} or None when absent."""

    async def get_groups(self, lookups: Sequence[tuple[FeatureGroup, Sequence[Key]]]
                         ) -> list[list[Row | None]]:
        if len(lookups) == 1:
            return [await self.get_many(*lookups[0])]
        return list(await asyncio.gather(*(self.get_many(g, k) for g, k in lookups)))

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


def decode_text(raw: bytes | str | None, feature: Feature) -> Any:
    """A stored text back to the feature's Python type (None stays None)."""
    if raw is None:
        return None
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    kind = feature.type
    if kind == "string":
        return text
    if kind == "boolean":
        return text in ("1", "true", "True")
    if kind in ("long", "integer"):
        return int(text)
    if kind == "vector":
        from servelib.vectors import DenseVector

        return DenseVector(json.loads(text))
    return float(text)
