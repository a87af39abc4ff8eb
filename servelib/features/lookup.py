"""Online feature lookups for one model version: the DataPlane's feature hook.

For a batch of request rows: each feature group's entity keys come from the rows' key fields
(deduplicated, so 32 rows of one rider read it once); each store gets ONE call with all of its
groups (Redis: one pipelined round trip for the request), all stores at once. Then per row and
feature: a value the request itself carries (the column is present, even as null) wins; else the
fetched value when present and younger than the group's ``max_age_s``; else the feature's default;
else, for a required feature, InvalidInput naming the feature, group and key; else null. When a
store fails (down, slow, circuit open) the request fails with StoreUnavailable naming the store,
or, with ``"on_store_error": "defaults"``, its groups' features take their defaults.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servelib.errors import InvalidInput, StoreUnavailable
from servelib.features.base import TS, FeatureStore, Key, Row
from servelib.features.guard import GuardedStore
from servelib.features.spec import FeatureGroup, FeatureSpec, check_against_pipeline, parse_features


def open_store(name: str, conf: Mapping[str, Any], base_dir: str) -> FeatureStore:
    kind = conf["type"]
    if kind == "redis":
        from servelib.features.redis import RedisStore

        return RedisStore(name, conf)
    if kind == "cassandra":
        from servelib.features.cassandra import CassandraStore

        return CassandraStore(name, conf)
    from servelib.features.embedded import EmbeddedStore

    return EmbeddedStore(name, conf, base_dir)


class Stores:
    """Store connections shared by every model whose spec names the same store config."""

    def __init__(self, metrics: Any = None) -> None:
        self.metrics = metrics
        self._open: dict[str, GuardedStore] = {}

    def get(self, name: str, conf: Mapping[str, Any], base_dir: str) -> GuardedStore:
        where = base_dir if conf.get("type") == "embedded" else ""
        ident = json.dumps([conf, where], sort_keys=True, default=str)
        store = self._open.get(ident)
        if store is None:
            store = GuardedStore(open_store(name, conf, base_dir), conf.get("timeout_ms", 50) / 1000,
                                 metrics=self.metrics)
            self._open[ident] = store
        return store

    async def close(self) -> None:
        for store in self._open.values():
            await store.close()
        self._open.clear()


@dataclass
class FeaturePlan:
    spec: FeatureSpec
    stores: Mapping[str, FeatureStore]
    model: str
    metrics: Any = None

    async def enrich(self, instances: Sequence[Mapping[str, Any]],
                     keys: Sequence[str | None] | None = None) -> list[dict[str, Any]]:
        entity = [[self._key(g, row, keys[i] if keys else None, i) for i, row in enumerate(instances)]
                  for g in self.spec.groups]
        unique = [list(dict.fromkeys(k for k in ks if k is not None)) for ks in entity]
        fetched = await self._fetch(unique)
        now_ms = time.time() * 1000
        out = []
        for i, row in enumerate(instances):
            merged = dict(row)
            for g, group in enumerate(self.spec.groups):
                values = fetched[g].get(entity[g][i]) if fetched[g] is not None else None
                if values is not None and group.max_age_s is not None and (
                        values.get(TS) is None or now_ms - values[TS] > group.max_age_s * 1000):
                    self._count("stale", group)
                    values = None
                if values is None and fetched[g] is not None:
                    self._count("miss", group)
                for f in group.features:
                    if f.column in row:
                        continue
                    value = None if values is None else values.get(f.name)
                    if value is None:
                        value = f.default
                    if value is None and f.required:
                        raise InvalidInput(f"required feature {f.name!r} of group {group.name!r} is "
                                           f"missing for key {entity[g][i]!r} (model {self.model!r})",
                                           column=f.column)
                    merged[f.column] = value
            out.append(merged)
        return out

    def _key(self, group: FeatureGroup, row: Mapping[str, Any], given: str | None, i: int) -> Key:
        if len(group.key) == 1 and group.key[0] not in row and given is not None:
            return (given,)
        missing = [k for k in group.key if row.get(k) is None]
        if missing:
            if all(f.column in row for f in group.features):
                return None  # the request carries every feature: no lookup needed
            raise InvalidInput(f"feature group {group.name!r} needs the entity key field(s) "
                               f"{missing} (model {self.model!r}, instance {i})", column=missing[0])
        return tuple(row[k] for k in group.key)

    async def _fetch(self, unique: list[list[Key]]) -> list[dict[Key, Row | None] | None]:
        by_store: dict[str, list[int]] = {}
        for g, group in enumerate(self.spec.groups):
            if unique[g]:
                by_store.setdefault(group.store, []).append(g)
        results: list[dict[Key, Row | None] | None] = [{} for _ in self.spec.groups]

        async def read(store_name: str, groups: list[int]) -> None:
            lookups = [(self.spec.groups[g], unique[g]) for g in groups]
            try:
                rows = await self.stores[store_name].get_groups(lookups)
            except StoreUnavailable:
                if self.spec.on_store_error != "defaults":
                    raise
                for g in groups:
                    results[g] = None
                return
            for g, group_rows in zip(groups, rows):
                results[g] = dict(zip(unique[g], group_rows))
                self._count("lookup", self.spec.groups[g], len(group_rows))

        if len(by_store) == 1:  # one store (the usual case): no tasks to schedule
            await read(*next(iter(by_store.items())))
        else:
            await asyncio.gather(*(read(s, gs) for s, gs in by_store.items()))
        return results

    def _count(self, kind: str, group: FeatureGroup, n: int = 1) -> None:
        if self.metrics is not None:
            self.metrics.feature_lookups.labels(self.model, group.name, kind).inc(n)


def build_plan(section: Any, pipeline: Any, spec_path: str, stores: Stores, model: str = "",
               pipeline_inputs: Mapping[str, str] | None = None) -> FeaturePlan:
    """Parse and check a spec's ``features`` against the pipeline (a ModelLoadError names the
    key) and bind its stores."""
    from servelib.cli import describe

    spec = parse_features(section, spec_path)
    if pipeline_inputs is None:
        pipeline_inputs = {c["name"]: c["type"] for c in describe(pipeline, spec_path)["inputs"]}
    check_against_pipeline(spec, pipeline_inputs, spec_path)
    base = os.path.dirname(spec_path) if spec_path.endswith((".json", ".yaml", ".yml")) else spec_path
    try:
        bound = {name: stores.get(name, conf, base) for name, conf in spec.stores.items()}
    except (ImportError, ValueError) as exc:
        from servelib.errors import ModelLoadError

        raise ModelLoadError(f"features: cannot open a store: {exc}", spec_path) from exc
    return FeaturePlan(spec, bound, model, stores.metrics)


class OnlineFeatures:
    """The DataPlane's feature hook: the model's plan (built at load by the registry, or here on
    first use) enriches the request rows; models without ``features`` pass rows through."""

    def __init__(self, stores: Stores | None = None) -> None:
        self.stores = stores or Stores()
        self._plans: dict[tuple[str, str, int], FeaturePlan | None] = {}

    def plan_for(self, model: Any) -> FeaturePlan | None:
        ident = (model.name, model.version, id(model.spec))
        if ident not in self._plans:
            section = getattr(model.spec, "features", None)
            self._plans[ident] = None if not section else build_plan(
                section, model.main, os.path.join(model.path, "serving.json"), self.stores,
                model.name)
        return self._plans[ident]

    async def __call__(self, model: Any, instances: Sequence[Mapping[str, Any]],
                       keys: Sequence[str | None] | None) -> Sequence[Mapping[str, Any]]:
        plan = self.plan_for(model)
        if plan is None:
            return instances
        return await plan.enrich(instances, keys)

    async def close(self) -> None:
        await self.stores.close()
