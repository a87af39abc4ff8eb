"""Shared pieces of the feature-store tests: a feature table, a spec over it, and fakes for the
unit tests of the lookup logic (the backends themselves are tested against real servers)."""

from __future__ import annotations

import asyncio

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from servelib.features.base import TS, FeatureStore
from servelib.features.spec import parse_features
from servelib.vectors import DenseVector

RIDERS = pa.table({
    "rider_id": ["r1", "r2", "r:3", "r4"],
    "trips_7d": [12.0, 0.0, 3.5, None],
    "rating": [4.9, 4.1, 5.0, 3.0],
    "segment": ["gold", "new", "gold", None],
    "active": [True, False, True, True],
    "rides_total": [120, 1, 33, 7],
    "embedding": [[0.1, 0.2], [0.0, 1.0], [1.5, -2.0], [0.0, 0.0]],
})


def spec_section(store: dict, **group_extra) -> dict:
    return {
        "stores": {"s": store},
        "groups": [{
            "name": "rider", "store": "s", "table": "riders", "key": ["rider_id"],
            "features": {
                "trips_7d": {"type": "double", "default": -1.0},
                "rating": {"type": "double", "required": True},
                "segment": {"type": "string"},
                "active": {"type": "boolean"},
                "rides_total": {"type": "long"},
                "embedding": {"type": "vector"},
            },
            **group_extra,
        }],
    }


def expected(rider: str) -> dict:
    row = {k: v for k, v in zip(RIDERS.column_names, next(
        r for r in zip(*RIDERS.to_pydict().values()) if r[0] == rider))}
    row["embedding"] = DenseVector(row["embedding"])
    if row["trips_7d"] is None:
        row["trips_7d"] = -1.0  # the default
    return row


@pytest.fixture
def riders_parquet(tmp_path):
    path = tmp_path / "riders.parquet"
    pq.write_table(RIDERS, path)
    return path


class FakeStore(FeatureStore):
    """Rows from a dict of {feature: value, TS: ms} by (group, *key); counts calls; can fail or
    stall."""

    def __init__(self, rows: dict, name: str = "fake") -> None:
        self.rows = rows
        self.name = name
        self.calls: list[list] = []
        self.fail: Exception | None = None
        self.delay = 0.0

    async def get_groups(self, lookups):
        self.calls.append([(g.name, list(k)) for g, k in lookups])
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise self.fail
        return [[_values(g, self.rows.get((g.name,) + tuple(k))) for k in keys]
                for g, keys in lookups]


def _values(group, row: dict | None):
    """A stored row as a store returns it: the features in the group's order, then TS."""
    return None if row is None else [*(row.get(f.name) for f in group.features), row.get(TS)]


def parsed(section: dict):
    return parse_features(section, "serving.json")
