"""Online feature lookups for one model version: the DataPlane's feature hook.

For a batch of request rows: each feature group's entity keys come from the rows' key fields
(deduplicated, so 32 rows of one rider read it once); each store gets ONE call with all of its
groups (Redis: one pipelined round trip for the request), all stores at once. Then per row and
feature: a value the request itself carries (the column is present, even as null) wins; else the
fetched value when present and younger than the group's ``max_age_s``; else the feature's default;
else, for a required feature, InvalidInput naming the feature, group and key; else null. When a
store fails (down, slow, circuit open) the request fails with StoreUnavailable naming the store,
or, with ``"on_store_error": "defaults"``, its groups' features take their defaults.

Everything static is laid out once per (model, group) when the plan is bound (``GroupPlan``):
stores return each entity's values by position, so a row without request overrides takes its
group's features with one ``dict.update`` over the prepared column names.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servelib.describe import describe
from servelib.errors import InvalidInput, StoreUnavailable
from servelib.features.base import FeatureStore, Key, Values
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


class GroupPlan:
    """One group's lookup, laid out when the model loads: how to build an entity's key, which
    input column each fetched value (by position) fills, the defaults, the required features
    and the group's metric series, so a request does no per-feature lookups of the spec."""

    def __init__(self, group: FeatureGroup, model: str, metrics: Any) -> None:
        self.group = group
        self.model = model
        self.single = group.key[0] if len(group.key) == 1 else None
        self.columns = tuple(f.column for f in group.features)
        self.column_set = frozenset(self.columns)
        self.targets = tuple((i, f) for i, f in enumerate(group.features))
        self.absent = {f.column: f.default for f in group.features}  # the row without a value
        self.required = next((f for f in group.features if f.required), None)
        # values with a None among them need the per-feature path (defaults, required)
        self.fill = any(f.default is not None or f.required for f in group.features)
        self.max_age_ms = None if group.max_age_s is None else group.max_age_s * 1000
        self.ts = len(group.features)
        counters = [metrics.feature_lookups.labels(model, group.name, kind)
                    if metrics is not None else None for kind in ("lookup", "miss", "stale")]
        self.lookups, self.misses, self.stale = counters

    def key(self, row: Mapping[str, Any], given: str | None, i: int) -> Key | None:
        """The entity key of one request row; None when the row carries every feature."""
        if self.single is not None:
            value = row.get(self.single)
            if value is not None:
                return (value,)
            if given is not None and self.single not in row:
                return (given,)
            missing = [self.single]
        else:
            parts = tuple(row.get(k) for k in self.group.key)
            missing = [k for k, v in zip(self.group.key, parts) if v is None]
            if not missing:
                return parts
        if self.column_set <= row.keys():
            return None  # the request carries every feature: no lookup needed
        raise InvalidInput(f"feature group {self.group.name!r} needs the entity key field(s) "
                           f"{missing} (model {self.model!r}, instance {i})", column=missing[0])

    def merge(self, merged: dict[str, Any], row: Mapping[str, Any], values: Values | None,
              key: Key) -> None:
        """Fill ``merged`` (a copy of ``row``) with this group's features."""
        if row.keys().isdisjoint(self.column_set):  # no request override: whole-row paths
            if values is None:
                if self.required is None:
                    merged.update(self.absent)
                    return
            elif not self.fill or None not in values:
                merged.update(zip(self.columns, values))
                return
        for i, f in self.targets:
            if f.column in row:
                continue  # the request's value wins, even a null
            value = None if values is None else values[i]
            if value is None:
                value = f.default
                if value is None and f.required:
                    raise InvalidInput(f"required feature {f.name!r} of group {self.group.name!r} "
                                       f"is missing for key {key!r} (model {self.model!r})",
                                       column=f.column)
            merged[f.column] = value


@dataclass
class FeaturePlan:
    spec: FeatureSpec
    stores: Mapping[str, FeatureStore]
    model: str
    metrics: Any = None

    def __post_init__(self) -> None:
        self.groups = tuple(GroupPlan(g, self.model, self.metrics) for g in self.spec.groups)
        self.by_store: dict[str, list[int]] = {}
        for g, group in enumerate(self.spec.groups):
            self.by_store.setdefault(group.store, []).append(g)
        self.aging = any(g.max_age_ms is not None for g in self.groups)

    async def enrich(self, instances: Sequence[Mapping[str, Any]],
                     keys: Sequence[str | None] | None = None) -> list[dict[str, Any]]:
        given = keys or [None] * len(instances)
        entity = [[g.key(row, given[i], i) for i, row in enumerate(instances)] for g in self.groups]
        if len(instances) == 1:
            unique = [[] if ks[0] is None else ks for ks in entity]
        else:
            unique = [[k for k in dict.fromkeys(ks) if k is not None] for ks in entity]
        fetched = await self._fetch(unique)
        now_ms = time.time() * 1000 if self.aging else 0.0
        out = []
        for i, row in enumerate(instances):
            merged = dict(row)
            for g, plan in enumerate(self.groups):
                key = entity[g][i]
                if key is None:
                    continue  # the row carries every feature of the group
                found = fetched[g]
                values = None if found is None else found.get(key)
                if values is not None and plan.max_age_ms is not None:
                    ts = values[plan.ts]
                    if ts is None or now_ms - ts > plan.max_age_ms:
                        if plan.stale is not None:
                            plan.stale.inc()
                        values = None
                if values is None and found is not None and plan.misses is not None:
                    plan.misses.inc()
                plan.merge(merged, row, values, key)
            out.append(merged)
        return out

    async def _fetch(self, unique: list[list[Key]]) -> list[dict[Key, Values | None] | None]:
        """Per group, key -> values; None for the groups of a store that failed when the spec
        serves defaults then."""
        results: list[dict[Key, Values | None] | None] = [{} for _ in self.groups]

        async def read(store_name: str, groups: list[int]) -> None:
            groups = [g for g in groups if unique[g]]
            if not groups:
                return
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
                if self.groups[g].lookups is not None:
                    self.groups[g].lookups.inc(len(group_rows))

        if len(self.by_store) == 1:  # one store (the usual case): no tasks to schedule
            await read(*next(iter(self.by_store.items())))
        else:
            await asyncio.gather(*(read(s, gs) for s, gs in self.by_store.items()))
        return results


def build_plan(section: Any, pipeline: Any, spec_path: str, stores: Stores, model: str = "",
               pipeline_inputs: Mapping[str, str] | None = None) -> FeaturePlan:
    """Parse and check a spec's ``features`` against the pipeline (a ModelLoadError names the
    key) and bind its stores."""
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
