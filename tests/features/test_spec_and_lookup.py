"""Feature spec validation and the lookup logic (overrides, defaults, required, staleness,
deduplication, one call per store, store failures), over a fake store."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

import servelib
from servelib.errors import InvalidInput, ModelLoadError, StoreUnavailable
from servelib.features.base import TS
from servelib.features.guard import Breaker, GuardedStore
from servelib.features.lookup import FeaturePlan, Stores, build_plan
from servelib.features.spec import check_against_pipeline
from tests.features.conftest import FakeStore, parsed, spec_section

DEMO = "tests/parity/fixtures/spark-4.3/demo_lr_pipeline/model"
EMBEDDED = {"type": "embedded", "path": "."}


@pytest.mark.parametrize("mutate, key", [
    (lambda s: s["stores"]["s"].update(type="mysql"), "stores.s.type"),
    (lambda s: s["groups"][0].update(store="nope"), "groups[0].store"),
    (lambda s: s["groups"][0].update(key=[]), "groups[0].key"),
    (lambda s: s["groups"][0]["features"]["rating"].update(type="decimal"), "groups[0].features.rating.type"),
    (lambda s: s["groups"][0]["features"]["trips_7d"].update(default="x"), "groups[0].features.trips_7d.default"),
    (lambda s: s["groups"][0].update(max_age_s=-3), "groups[0].max_age_s"),
    (lambda s: s["groups"][0].update(columns={"ghost": "x"}), "groups[0].columns"),
    (lambda s: s["groups"][0].update(colour=1), "groups[0].colour"),
    (lambda s: s.update(on_store_error="maybe"), "on_store_error"),
    (lambda s: s["stores"]["s"].update(timeout_ms=0), "stores.s.timeout_ms"),
])
def test_spec_errors_name_the_key(mutate, key):
    section = spec_section(dict(EMBEDDED))
    mutate(section)
    with pytest.raises(ModelLoadError, match=re.escape(f"key '{key}'")):
        parsed(section)


def test_checked_against_the_pipeline():
    model = servelib.load(DEMO)
    ok = {"stores": {"s": EMBEDDED}, "groups": [{"name": "g", "store": "s", "key": "user",
          "features": {"amount": {"type": "double"}, "city": {"type": "string"}}}]}
    build_plan(ok, model, "serving.json", Stores())
    unknown = {**ok, "groups": [{**ok["groups"][0], "features": {"amnt": {"type": "double"}}}]}
    with pytest.raises(ModelLoadError, match="'amnt'.*does not read"):
        build_plan(unknown, model, "serving.json", Stores())
    mistyped = {**ok, "groups": [{**ok["groups"][0], "features": {"amount": {"type": "string"}}}]}
    with pytest.raises(ModelLoadError, match="is a string but input column 'amount'"):
        build_plan(mistyped, model, "serving.json", Stores())
    mapped = {**ok, "groups": [{**ok["groups"][0], "features": {"spend": {"type": "double"}},
                                "columns": {"spend": "amount"}}]}
    build_plan(mapped, model, "serving.json", Stores())


def plan(store, **extra) -> FeaturePlan:
    spec = parsed(spec_section(dict(EMBEDDED), **extra))
    return FeaturePlan(spec, {"s": store}, "m")


ROWS = {("rider", "r1"): {"trips_7d": 12.0, "rating": 4.9, "segment": "gold", "active": True,
                          "rides_total": 120, "embedding": None, TS: int(time.time() * 1000)},
        ("rider", "old"): {"trips_7d": 1.0, "rating": 4.0, "segment": "x", "active": True,
                           "rides_total": 1, "embedding": None, TS: 0}}


def test_fetched_default_override_and_dedup():
    store = FakeStore(ROWS)
    rows = [{"rider_id": "r1"}, {"rider_id": "r1", "rating": 1.0, "segment": None}]
    out = asyncio.run(plan(store).enrich(rows))
    assert out[0]["trips_7d"] == 12.0 and out[0]["segment"] == "gold"
    assert out[1]["rating"] == 1.0 and out[1]["segment"] is None  # the request's values win
    assert store.calls == [[("rider", [("r1",)])]]  # one call, the key once


def test_required_missing_and_stale():
    store = FakeStore(ROWS)
    with pytest.raises(InvalidInput, match="required feature 'rating' of group 'rider'.*'nobody'"):
        asyncio.run(plan(store).enrich([{"rider_id": "nobody"}]))
    with pytest.raises(InvalidInput, match="required feature 'rating'"):
        asyncio.run(plan(store, max_age_s=60).enrich([{"rider_id": "old"}]))
    out = asyncio.run(plan(store, max_age_s=60).enrich([{"rider_id": "old", "rating": 2.0}]))
    assert out[0]["trips_7d"] == -1.0 and out[0]["segment"] is None  # stale counts as missing


def test_missing_key_field_names_it():
    with pytest.raises(InvalidInput, match=r"entity key field\(s\) \['rider_id'\]"):
        asyncio.run(plan(FakeStore(ROWS)).enrich([{"x": 1}]))
    out = asyncio.run(plan(FakeStore(ROWS)).enrich([{"x": 1}], keys=["r1"]))
    assert out[0]["rating"] == 4.9


def test_store_failure_fails_or_serves_defaults():
    store = FakeStore(ROWS)
    store.fail = StoreUnavailable("feature store 'fake' is down")
    with pytest.raises(StoreUnavailable, match="'fake'"):
        asyncio.run(plan(store).enrich([{"rider_id": "r1", "rating": 3.0}]))
    section = spec_section(dict(EMBEDDED))
    section["on_store_error"] = "defaults"
    out = asyncio.run(FeaturePlan(parsed(section), {"s": store}, "m").enrich(
        [{"rider_id": "r1", "rating": 3.0}]))
    assert out[0]["trips_7d"] == -1.0


def test_breaker_opens_fails_fast_and_closes_again():
    now = [0.0]
    store = FakeStore(ROWS)
    store.delay = 0.2
    guarded = GuardedStore(store, timeout_s=0.01, breaker=Breaker(3, reset_s=5, clock=lambda: now[0]))
    p = FeaturePlan(parsed(spec_section(dict(EMBEDDED))), {"s": guarded}, "m")
    for _ in range(3):
        with pytest.raises(StoreUnavailable, match="did not answer within 10 ms"):
            asyncio.run(p.enrich([{"rider_id": "r1"}]))
    calls = len(store.calls)
    start = time.perf_counter()
    with pytest.raises(StoreUnavailable, match="circuit open"):
        asyncio.run(p.enrich([{"rider_id": "r1"}]))
    assert len(store.calls) == calls and time.perf_counter() - start < 0.05
    store.delay = 0.0
    now[0] = 6.0  # half-open: one trial goes through and closes the breaker
    assert asyncio.run(p.enrich([{"rider_id": "r1"}]))[0]["rating"] == 4.9
    assert guarded.breaker.state == "closed"


def test_check_against_pipeline_accepts_what_stages_take():
    spec = parsed({"stores": {"s": EMBEDDED}, "groups": [{"name": "g", "store": "s", "key": "k",
                   "features": {"a": {"type": "boolean"}, "v": {"type": "vector"}}}]})
    check_against_pipeline(spec, {"a": "number, boolean or vector", "v": "vector"}, "p")
    with pytest.raises(ModelLoadError, match="is a vector"):
        check_against_pipeline(spec, {"a": "number", "v": "number"}, "p")
