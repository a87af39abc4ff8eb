"""The embedded feature store: Parquet files read into the process, no server.

``path`` is a directory holding ``<table>.parquet`` per feature group (what ``servelib features
push`` writes), each with the key columns, the feature columns and ``servelib_ts``. A table is
memory-mapped and indexed once, on first use: a dict from key tuple to row number (a million
string keys take a few tenths of a second), with numeric columns as NumPy views (no copy) and the
others as Arrow arrays, so a lookup is a dict probe and a few array reads. The last row wins
when a key repeats.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from servelib.errors import ModelLoadError
from servelib.features.base import TS, FeatureStore, Key, Row
from servelib.features.spec import FeatureGroup


class Table:
    """One group's table, indexed by key."""

    def __init__(self, path: str, key: Sequence[str], features: Sequence[str]) -> None:
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path, memory_map=True)
        except (OSError, pa.ArrowException) as exc:
            raise ModelLoadError(f"cannot read the embedded feature table: {exc}", path) from exc
        missing = [c for c in [*key, *features, TS] if c not in table.column_names]
        if missing:
            raise ModelLoadError(f"the embedded feature table lacks column(s) {missing}", path)
        parts = [table.column(k).to_pylist() for k in key]
        keys = zip(*parts) if len(parts) > 1 else ((k,) for k in parts[0])
        self.index = {k: i for i, k in enumerate(keys)}
        self.columns = {name: _reader(table.column(name)) for name in [*features, TS]}

    def row(self, key: Key) -> Row | None:
        i = self.index.get(tuple(key))
        if i is None:
            return None
        return {name: read(i) for name, read in self.columns.items()}


def _reader(column: pa.ChunkedArray) -> Any:
    array = column.combine_chunks()
    if (pa.types.is_floating(array.type) or pa.types.is_integer(array.type)) and array.null_count == 0:
        values = array.to_numpy(zero_copy_only=False)
        return lambda i: values[i].item()
    if pa.types.is_list(array.type) or pa.types.is_fixed_size_list(array.type):
        from servelib.vectors import DenseVector

        return lambda i: None if not array[i].is_valid else DenseVector(array[i].as_py())
    return lambda i: array[i].as_py()


class EmbeddedStore(FeatureStore):
    def __init__(self, name: str, conf: Mapping[str, Any], base_dir: str = ".") -> None:
        self.name = name
        self.root = os.path.join(base_dir, conf.get("path", "."))
        self._tables: dict[str, Table] = {}
        self._lock = threading.Lock()

    def table(self, group: FeatureGroup) -> Table:
        table = self._tables.get(group.table)
        if table is None:
            with self._lock:
                table = self._tables.get(group.table)
                if table is None:
                    table = Table(os.path.join(self.root, f"{group.table}.parquet"), group.key,
                                  [f.name for f in group.features])
                    self._tables[group.table] = table
        return table

    async def get_many(self, group: FeatureGroup, keys: Sequence[Key]) -> list[Row | None]:
        table = self.table(group)
        return [table.row(k) for k in keys]

    async def get_groups(self, lookups: Sequence[tuple[FeatureGroup, Sequence[Key]]]
                         ) -> list[list[Row | None]]:
        # in-process reads: every group in turn, no tasks to schedule
        return [[self.table(g).row(k) for k in keys] for g, keys in lookups]

