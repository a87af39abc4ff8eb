"""The embedded feature store: Parquet files read into the process, no server.

``path`` is a directory holding ``<table>.parquet`` per feature group (what ``servelib features
push`` writes), each with the key columns, the feature columns and ``servelib_ts``. A table is
memory-mapped and indexed once, on first use: a dict from key tuple to row number (a million
string keys take a few tenths of a second); the last row wins when a key repeats.

Per group the columns it reads are laid out once for row reads without Arrow: the float columns
without nulls as one 2-D float64 block and the integer ones as one int64 block (a row of each
is one ``tolist()``), every other column (strings, booleans, nullable numbers, vectors) as a
Python list; one ``itemgetter`` puts a row's values back in the group's order.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

import numpy as np
import pyarrow as pa

from servelib.errors import ModelLoadError
from servelib.features.base import TS, FeatureStore, Key, Lookups, Values
from servelib.features.spec import FeatureGroup


class Table:
    """One table file, indexed by key."""

    def __init__(self, path: str, key: Sequence[str]) -> None:
        import pyarrow.parquet as pq

        try:
            self.data = pq.read_table(path, memory_map=True)
        except (OSError, pa.ArrowException) as exc:
            raise ModelLoadError(f"cannot read the embedded feature table: {exc}", path) from exc
        self.path = path
        self.key = tuple(key)
        missing = [k for k in [*key, TS] if k not in self.data.column_names]
        if missing:
            raise ModelLoadError(f"the embedded feature table lacks column(s) {missing}", path)
        parts = [self.data.column(k).to_pylist() for k in key]
        keys = zip(*parts) if len(parts) > 1 else ((k,) for k in parts[0])
        self.index = {k: i for i, k in enumerate(keys)}


class Reader:
    """One group's row reader over its table."""

    def __init__(self, group: FeatureGroup, table: Table) -> None:
        self.group = group
        self.index = table.index
        names = [f.name for f in group.features] + [TS]
        missing = [c for c in names if c not in table.data.column_names]
        if missing:
            raise ModelLoadError(f"the embedded feature table lacks column(s) {missing}", table.path)
        floats, ints, others = [], [], []
        for pos, name in enumerate(names):
            array = table.data.column(name).combine_chunks()
            kind = array.type
            if array.null_count == 0 and pa.types.is_floating(kind):
                floats.append((pos, array.to_numpy(zero_copy_only=False)))
            elif array.null_count == 0 and pa.types.is_integer(kind) and kind != pa.uint64():
                ints.append((pos, array.to_numpy(zero_copy_only=False)))
            else:  # strings, booleans, nulls, vectors; uint64 would not fit the int64 block
                others.append((pos, array.to_pylist()))
        self.floats = np.column_stack([a for _, a in floats]).astype(np.float64) if floats else None
        self.ints = np.column_stack([a for _, a in ints]).astype(np.int64) if ints else None
        self.others = [values for _, values in others]
        order = [pos for pos, _ in floats] + [pos for pos, _ in ints] + [pos for pos, _ in others]
        where = {pos: i for i, pos in enumerate(order)}
        self.order = itemgetter(*(where[pos] for pos in range(len(names))))
        self.vectors = [i for i, f in enumerate(group.features) if f.type == "vector"]

    def row(self, key: Key) -> Values | None:
        i = self.index.get(key)
        if i is None:
            return None
        flat = [] if self.floats is None else self.floats[i].tolist()
        if self.ints is not None:
            flat += self.ints[i].tolist()
        for values in self.others:
            flat.append(values[i])
        row = self.order(flat)
        if not self.vectors:
            return row
        from servelib.vectors import DenseVector

        row = list(row)
        for pos in self.vectors:
            if row[pos] is not None:
                row[pos] = DenseVector(row[pos])
        return row


class EmbeddedStore(FeatureStore):
    inline = True

    def __init__(self, name: str, conf: Mapping[str, Any], base_dir: str = ".") -> None:
        self.name = name
        self.root = os.path.join(base_dir, conf.get("path", "."))
        self._tables: dict[tuple[str, tuple[str, ...]], Table] = {}
        self._readers: dict[int, Reader] = {}
        self._lock = threading.Lock()

    def reader(self, group: FeatureGroup) -> Reader:
        reader = self._readers.get(id(group))
        if reader is None or reader.group is not group:
            with self._lock:
                ident = (group.table, group.key)
                table = self._tables.get(ident)
                if table is None:
                    table = Table(os.path.join(self.root, f"{group.table}.parquet"), group.key)
                    self._tables[ident] = table
                reader = self._readers[id(group)] = Reader(group, table)
        return reader

    async def get_groups(self, lookups: Lookups) -> list[list[Values | None]]:
        # in-process reads: every group in turn, no tasks to schedule
        out = []
        for group, keys in lookups:
            row = self.reader(group).row
            out.append([row(k) for k in keys])
        return out
