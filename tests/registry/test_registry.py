import asyncio
import shutil
import threading
import time
from pathlib import Path

import pytest

from servelib.errors import InvalidInput, ModelUnavailable
from servelib.registry import Registry, Repository
from servelib.server.metrics import Metrics
from tests.registry.helpers import DEMO_ROW, add_version, corrupt, demo_repository, write_json


class CountingRepository(Repository):
    """Counts loads, records the loading thread, and can be slowed down."""

    def __init__(self, uri: str, delay: float = 0.0) -> None:
        super().__init__(uri)
        self.delay = delay
        self.calls: list[tuple[str, str, str]] = []

    def load(self, name, version):
        self.calls.append((name, version, threading.current_thread().name))
        time.sleep(self.delay)
        return super().load(name, version)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return demo_repository(tmp_path / "repo")


def run(coro):
    return asyncio.run(coro)


def test_concurrent_requests_share_one_load_off_the_event_loop(repo):
    repository = CountingRepository(str(repo), delay=0.2)
    registry = Registry(repository)

    async def go():
        ticks = 0

        async def ticker():  # the loop keeps running while the model loads
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.ensure_future(ticker())
        models = await asyncio.gather(*(registry.get("demo") for _ in range(20)))
        task.cancel()
        await registry.close()
        return models, ticks

    models, ticks = run(go())
    assert len(repository.calls) == 1 and repository.calls[0][:2] == ("demo", "1")
    assert repository.calls[0][2].startswith("servelib-load")
    assert all(m is models[0] for m in models)
    assert ticks >= 5


def test_preload(repo):
    registry = Registry(Repository(str(repo)))

    async def go():
        problems = await registry.preload(["demo", "gbt:1", "nope", "demo:7"])
        states = {(s.name, s.version): s.state for s in registry.states()}
        await registry.close()
        return problems, states

    problems, states = run(go())
    assert set(problems) == {"nope", "demo:7"}
    assert states[("demo", "1")] == states[("gbt", "1")] == "AVAILABLE"


def test_lru_eviction_within_the_memory_budget(repo):
    add_version(repo, "demo2", "1")
    sizes = {n: Repository(str(repo)).load(n, "1").memory_bytes for n in ("demo", "demo2", "gbt")}
    budget = sizes["gbt"] + sizes["demo"] + sizes["demo2"] // 2  # not all three
    metrics = Metrics()
    registry = Registry(Repository(str(repo)), memory_budget=budget, metrics=metrics)

    async def go():
        held = await registry.get("demo")
        await registry.get("gbt")
        await registry.get("demo")  # demo is now the most recently used
        await registry.get("demo2")  # evicts gbt, the least recently used
        loaded = [(s.name, s.state) for s in registry.states() if s.state == "AVAILABLE"]
        out = held.pipelines[""].score_instance(DEMO_ROW)  # a held model still scores
        await registry.close()
        return loaded, out

    loaded, out = run(go())
    assert loaded == [("demo", "AVAILABLE"), ("demo2", "AVAILABLE")]
    assert sum(sizes[n] for n, _ in loaded) <= budget
    assert metrics.registry.get_sample_value("servelib_registry_evictions_total",
                                             {"model": "gbt"}) == 1
    assert out["prediction"] == 1.0


def test_hot_swap_on_alias_change_keeps_in_flight_requests(repo):
    registry = Registry(Repository(str(repo)))

    async def go():
        old = await registry.get("demo")
        add_version(repo, "demo", "2")
        write_json(repo / "demo" / "model.json", {"aliases": {"production": "2"}})
        assert (await registry.get("demo")).version == "1"  # not polled yet
        assert await registry.refresh() == {}
        new = await registry.get("demo")
        assert old.pipelines[""].score_instance(DEMO_ROW)["prediction"] == 1.0
        await registry.close()
        return old.version, new.version

    assert run(go()) == ("1", "2")


def test_a_version_that_fails_to_load_never_replaces_the_serving_one(repo):
    metrics = Metrics()
    registry = Registry(Repository(str(repo)), metrics=metrics)

    async def go():
        await registry.get("demo")
        corrupt(add_version(repo, "demo", "2"))
        write_json(repo / "demo" / "model.json", {"aliases": {"production": "2"}})
        problems = await registry.refresh()
        serving = (await registry.get("demo")).version
        state = registry.state("demo", "2")
        with pytest.raises(ModelUnavailable, match="version '2' failed to load"):
            await registry.ensure("demo", "2")
        # fixed upload of the same version: the next refresh publishes it
        shutil.rmtree(repo / "demo" / "2")
        add_version(repo, "demo", "2")
        again = await registry.refresh()
        now = (await registry.get("demo")).version
        await registry.close()
        return problems, serving, state, again, now

    problems, serving, state, again, now = run(go())
    assert "demo" in problems and "version '2' failed to load" in problems["demo"]
    assert serving == "1"
    assert state.state == "FAILED" and "metadata" in state.reason
    assert metrics.registry.get_sample_value("servelib_model_loads_total",
                                             {"model": "demo", "result": "failed"}) >= 1
    assert again == {} and now == "2"


def test_a_model_folder_that_vanishes_keeps_serving_from_memory(repo):
    registry = Registry(Repository(str(repo)))

    async def go():
        await registry.get("gbt")
        await registry.get("demo")
        shutil.rmtree(repo / "gbt")
        (repo / "demo" / "model.json").write_text("{broken")
        problems = await registry.refresh()
        models = await registry.get("gbt"), await registry.get("demo")
        await registry.close()
        return problems, models

    problems, models = run(go())
    assert "no model 'gbt'" in problems["gbt"] and "model.json" in problems["demo"]
    assert [m.version for m in models] == ["1", "1"]


def test_new_version_without_model_file_becomes_default(repo):
    registry = Registry(Repository(str(repo)))

    async def go():
        await registry.get("gbt")
        add_version(repo, "gbt", "2", case="tree_gbt_onehot_pipeline")
        await registry.refresh()
        version = (await registry.get("gbt")).version
        await registry.close()
        return version

    assert run(go()) == "2"


def test_polling_picks_up_a_deploy(repo):
    registry = Registry(Repository(str(repo)))

    async def go():
        await registry.get("demo")
        registry.start_polling(0.05)
        add_version(repo, "demo", "2")
        write_json(repo / "demo" / "model.json", {"aliases": {"production": "2"}})
        for _ in range(100):  # bounded: 5 s at most
            if (await registry.get("demo")).version == "2":
                break
            await asyncio.sleep(0.05)
        version = (await registry.get("demo")).version
        await registry.close()
        return version

    assert run(go()) == "2"


def test_partitions_with_fallback(tmp_path):
    repo = tmp_path / "repo"
    spec = {"partitioning": {"field": "city", "models": {"berlin": "berlin"},
                             "fallback": "global"}}
    add_version(repo, "fraud", "1", sub="berlin")
    add_version(repo, "fraud", "1", sub="global", spec=spec)
    model = Repository(str(repo)).load("fraud", "1")
    assert model.route({"city": "berlin"}) is model.pipelines["berlin"]
    assert model.route({"city": "paris"}) is model.pipelines["global"]
    assert model.route({}) is model.pipelines["global"]
    assert model.pipelines["berlin"] is not model.pipelines["global"]

    add_version(repo, "fraud", "2", sub="berlin",
                spec={"partitioning": {"field": "city", "models": {"berlin": "berlin"}}})
    no_fallback = Repository(str(repo)).load("fraud", "2")
    with pytest.raises(InvalidInput, match="no partition for 'paris'") as info:
        no_fallback.route({"city": "paris"})
    assert info.value.column == "city"


def test_unload_then_next_request_loads_again(repo):
    repository = CountingRepository(str(repo))
    registry = Registry(repository)

    async def go():
        await registry.get("demo")
        dropped = registry.unload("demo", "production")
        await registry.get("demo")
        await registry.close()
        return dropped

    assert run(go()) == ["1"]
    assert len(repository.calls) == 2


def test_a_dropped_version_is_freed_soon(repo, monkeypatch):
    """Stages hold cycles (cached row kernels refer back to them): the registry runs the cyclic
    collector after a drop, so the memory does not wait for the collector's own pace (here
    switched off, as a busy server's full passes may be minutes apart)."""
    import gc
    import weakref

    from servelib.registry import registry as module

    monkeypatch.setattr(module, "COLLECT_DELAY", 0.05)
    registry = Registry(Repository(str(repo)))

    async def go():
        model = await registry.get("demo")
        model.main.score_instance(DEMO_ROW)  # builds the row kernels
        stage = weakref.ref(model.main.stages[-1])
        del model
        registry.unload("demo")
        alive_after_drop = stage() is not None  # cycles: refcounting alone cannot free it
        await asyncio.sleep(0.5)
        await registry.close()
        return alive_after_drop, stage()

    gc.collect()
    gc.disable()
    try:
        alive_after_drop, stage = run(go())
    finally:
        gc.enable()
    assert alive_after_drop and stage is None


def test_polling_does_not_reload_what_the_budget_evicted(repo):
    repository = CountingRepository(str(repo))
    registry = Registry(repository, memory_budget=1)  # room for one model at a time

    async def go():
        await registry.get("demo")
        await registry.get("gbt")  # evicts demo
        await registry.refresh()
        await registry.refresh()
        await registry.close()

    run(go())
    assert [c[0] for c in repository.calls] == ["demo", "gbt"]


def test_a_dropped_version_is_freed_from_a_settled_heap(repo, monkeypatch):
    """A server freezes its heap after preloading (settle_heap): a preloaded version dropped
    later is still freed, and the heap is frozen again afterwards."""
    import gc
    import weakref

    from servelib.registry import registry as module

    monkeypatch.setattr(module, "COLLECT_DELAY", 0.05)
    registry = Registry(Repository(str(repo)))

    async def go():
        model = await registry.get("demo")
        model.main.score_instance(DEMO_ROW)
        stage = weakref.ref(model.main.stages[-1])
        del model
        module.settle_heap()
        frozen = gc.get_freeze_count()
        registry.unload("demo")
        await asyncio.sleep(0.5)
        await registry.close()
        return frozen, stage(), gc.get_freeze_count()

    gc.disable()
    try:
        frozen, stage, refrozen = run(go())
    finally:
        gc.unfreeze()
        gc.enable()
    assert frozen > 0 and stage is None and refrozen > 0
