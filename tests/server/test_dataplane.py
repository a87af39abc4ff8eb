import asyncio
import shutil
import time
from pathlib import Path

import pytest

import servelib
from servelib.errors import InvalidInput, ModelNotFound, RowSkipped, Unauthenticated
from servelib.server.dataplane import DataPlane, PredictRequest, TensorSpec, build_dataplane
from tests.registry.helpers import (
    DEMO_ROW,
    FIXTURES,
    GBT_ROW,
    add_version,
    corrupt,
    demo_repository,
    write_json,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return demo_repository(tmp_path / "repo")


def run(repo: Path, body, **kw):
    """Run ``body(plane)`` on a fresh started DataPlane over ``repo``."""
    async def go():
        plane = build_dataplane(str(repo), admin_token="tok", **kw)
        await plane.start()
        try:
            return await body(plane)
        finally:
            await plane.close()

    return asyncio.run(go())


def test_predict_scores_like_the_library(repo):
    rows = [DEMO_ROW, {"amount": 12.5, "age": 34.0, "city": "tokyo"}]
    expected = servelib.load(str(FIXTURES / "demo_lr_pipeline" / "model")).score_instances(rows)

    async def body(plane: DataPlane):
        return await plane.predict(PredictRequest("demo", rows, request_id="r1"))

    response = run(repo, body)
    assert response.model == "demo" and response.version == "1"
    assert response.prediction_ids == ["r1-0", "r1-1"]
    for result, want in zip(response.results, expected):
        assert result.error is None
        assert set(result.outputs) == {"prediction", "probability"}  # the spec's outputs
        assert result.outputs["prediction"] == want["prediction"]
        assert result.outputs["probability"] == want["probability"]


def test_one_bad_row_does_not_fail_the_batch(repo):
    rows = [DEMO_ROW, {"amount": "x", "age": 1.0, "city": "rome"}, {"age": 3.0, "city": "rome"},
            "not an object", DEMO_ROW]

    async def body(plane):
        return await plane.predict(PredictRequest("demo", rows))

    results = run(repo, body).results
    assert [r.error is None for r in results] == [True, False, False, False, True]
    assert results[1].error.column == "amount" and results[1].error.row == 1
    assert "model 'demo'" in str(results[1].error) and "missing" in str(results[2].error)
    assert isinstance(results[3].error, InvalidInput)


def test_a_row_spark_would_skip_is_a_row_error(tmp_path):
    add_version(tmp_path, "bucket", "1", case="bucketizer_skip")
    model = servelib.load(str(FIXTURES / "bucketizer_skip" / "model"))
    (column,) = model.input_columns()

    async def body(plane):
        return await plane.predict(PredictRequest("bucket", [{column: 0.5}, {column: None},
                                                             {column: 0.5}]))

    results = run(tmp_path, body).results
    assert results[0].error is None and results[2].error is None
    assert isinstance(results[1].error, RowSkipped) and results[1].error.row == 1


@pytest.mark.parametrize("request_, match", [
    (PredictRequest("demo", []), "empty batch"),
    (PredictRequest("demo", [DEMO_ROW] * 5), "over the limit of 4"),
    (PredictRequest("demo", [DEMO_ROW], keys=["a", "b"]), "2 keys for 1"),
    (PredictRequest("demo", [DEMO_ROW], outputs=["nope"]), "no output 'nope'"),
])
def test_whole_request_errors(repo, request_, match):
    async def body(plane):
        with pytest.raises(InvalidInput, match=match):
            await plane.predict(request_)

    run(repo, body, max_batch=4)


def test_unknown_model_version_alias(repo):
    async def body(plane):
        for name, version in [("nope", None), ("demo", "9"), ("demo", "canary"), ("../x", None)]:
            with pytest.raises(ModelNotFound):
                await plane.predict(PredictRequest(name, [DEMO_ROW], version=version))

    run(repo, body)


def test_requested_outputs(repo):
    async def body(plane):
        return await plane.predict(PredictRequest("demo", [DEMO_ROW],
                                                  outputs=["city_idx", "features"]))

    out = run(repo, body).results[0].outputs
    assert set(out) == {"city_idx", "features"} and out["features"].size == 7


def test_metadata_types_from_spec_and_inferred(repo):
    write_json(repo / "demo" / "1" / "serving.json", {"inputs": {"age": "long"},
                                                      "record": {"owner": "ana"}})
    (repo / "gbt" / "1" / "serving.json").unlink()

    async def body(plane):
        return await plane.model_metadata("demo"), await plane.model_metadata("gbt", "1")

    demo, gbt = run(repo, body)
    assert demo.inputs == [TensorSpec("amount", "FP64", (-1,)), TensorSpec("age", "INT64", (-1,)),
                           TensorSpec("city", "BYTES", (-1,))]
    assert TensorSpec("probability", "FP64", (-1, 2)) in demo.outputs
    assert demo.record["serving"]["record"] == {"owner": "ana"}
    assert demo.record["spark_version"] and demo.platform == "spark-ml"
    assert gbt.inputs == [TensorSpec("x0", "FP64", (-1,)), TensorSpec("x1", "FP64", (-1,)),
                          TensorSpec("color", "BYTES", (-1,)), TensorSpec("x2", "FP64", (-1,))]
    assert TensorSpec("features", "FP64", (-1, 8)) in gbt.outputs  # no spec: every output
    assert TensorSpec("prediction", "FP64", (-1,)) in gbt.outputs


def test_splits_route_by_key(repo):
    add_version(repo, "demo", "2")
    write_json(repo / "demo" / "model.json",
               {"aliases": {"production": "1", "canary": {"1": 50, "2": 50}}})

    async def body(plane):
        seen = {}
        for i in range(40):
            for _ in range(2):
                r = await plane.predict(PredictRequest("demo", [DEMO_ROW], version="canary",
                                                       keys=[f"user-{i}"]))
                seen.setdefault(i, set()).add(r.version)
        return seen

    seen = run(repo, body)
    assert all(len(v) == 1 for v in seen.values())  # one user, one arm
    assert {v for s in seen.values() for v in s} == {"1", "2"}


def test_partitioned_model_through_the_dataplane(tmp_path):
    spec = {"partitioning": {"field": "city", "models": {"berlin": "berlin"}}}
    add_version(tmp_path, "fraud", "1", sub="berlin", spec=spec)

    async def body(plane):
        return await plane.predict(PredictRequest("fraud", [DEMO_ROW, {**DEMO_ROW,
                                                                       "city": "paris"}]))

    results = run(tmp_path, body).results
    assert results[0].outputs["prediction"] == 1.0
    assert results[1].error.column == "city" and "no partition for 'paris'" in str(results[1].error)


def test_admin_token(tmp_path):
    plane = build_dataplane(str(tmp_path), admin_token="tok")
    plane.check_admin("tok")
    plane.check_admin("Bearer tok")
    for bad in (None, "", "tok2", "Bearer x"):
        with pytest.raises(Unauthenticated):
            plane.check_admin(bad)
    with pytest.raises(Unauthenticated, match="disabled"):
        build_dataplane(str(tmp_path)).check_admin("tok")


def test_failed_load_reported_by_admin_while_old_version_serves(repo):
    async def body(plane):
        await plane.predict(PredictRequest("demo", [DEMO_ROW]))
        corrupt(add_version(repo, "demo", "2"))
        write_json(repo / "demo" / "model.json", {"aliases": {"production": "2"}})
        status = await plane.load_model("demo")
        response = await plane.predict(PredictRequest("demo", [DEMO_ROW]))
        return status, response.version

    status, version = run(repo, body)
    assert status.state == "FAILED" and "failed to load" in status.reason
    assert version == "1"


def test_lifecycle_list_ready_drain_and_metrics(repo):
    async def body(plane):
        assert plane.ready() and plane.live()
        assert not await plane.model_ready("gbt")
        await plane.predict(PredictRequest("gbt", [GBT_ROW, {"x0": "bad"}]))
        with pytest.raises(ModelNotFound):
            await plane.predict(PredictRequest("nope", [GBT_ROW]))
        assert await plane.model_ready("gbt")
        models = {(s.name, s.state) for s in await plane.list_models()}
        unloaded = await plane.unload_model("gbt")
        plane.drain()
        return models, unloaded, plane.ready(), await plane.wait_idle(1.0), plane.metrics

    models, unloaded, ready, idle, metrics = run(repo, body, preload=["demo"])
    assert models == {("demo", "AVAILABLE"), ("gbt", "AVAILABLE")}
    assert unloaded.state == "UNLOADED" and not ready and idle
    value = metrics.registry.get_sample_value
    assert value("servelib_requests_total", {"model": "gbt", "status": "OK"}) == 1
    assert value("servelib_requests_total", {"model": "_unknown", "status": "NOT_FOUND"}) == 1
    assert value("servelib_instance_errors_total",
                 {"model": "gbt", "status": "INVALID_ARGUMENT"}) == 1
    assert value("servelib_request_seconds_count", {"model": "gbt", "phase": "scoring"}) == 1
    assert value("servelib_model_loads_total", {"model": "demo", "result": "ok"}) == 1
    assert value("servelib_models_loaded") == 1
    assert value("servelib_model_memory_bytes", {"model": "demo", "version": "1"}) > 1000


def test_big_batches_score_in_a_thread(repo, monkeypatch):
    threads = []
    real = asyncio.to_thread

    async def spy(fn, *args):
        threads.append(fn.__name__)
        return await real(fn, *args)

    monkeypatch.setattr(asyncio, "to_thread", spy)

    async def body(plane):
        small = await plane.predict(PredictRequest("demo", [DEMO_ROW] * plane.inline_rows))
        big = await plane.predict(PredictRequest("demo", [DEMO_ROW] * (plane.inline_rows + 1)))
        return small, big

    small, big = run(repo, body)
    assert threads == ["score_rows"]
    assert all(r.outputs["prediction"] == 1.0 for r in small.results + big.results)


def test_admin_load_retries_a_fixed_version_by_name(repo):
    async def body(plane):
        await plane.predict(PredictRequest("demo", [DEMO_ROW]))
        broken = add_version(repo, "demo", "2")
        corrupt(broken)
        write_json(repo / "demo" / "model.json", {"aliases": {"production": "2"}})
        failed = await plane.load_model("demo", "2")
        with pytest.raises(ModelNotFound):
            await plane.load_model("demo", "7")
        shutil.rmtree(broken)  # the operator uploads version 2 again, intact
        add_version(repo, "demo", "2")
        fixed = await plane.load_model("demo", "2")
        return failed, fixed, (await plane.predict(PredictRequest("demo", [DEMO_ROW]))).version

    failed, fixed, serving = run(repo, body)
    assert failed.state == "FAILED" and fixed.state == "AVAILABLE" and serving == "2"


def test_metadata_cache_lets_a_retired_version_go(repo):
    """A deploy that retires a version, then metadata of the new one: the cached metadata of
    the old one must not keep its model alive (the soak saw RSS grow with every deploy)."""
    import gc
    import weakref

    async def body(plane):
        await plane.model_metadata("demo")
        old = weakref.ref(plane.registry.loaded("demo", "1"))
        add_version(repo, "demo", "2")
        write_json(repo / "demo" / "model.json", {"aliases": {"production": "2"}})
        shutil.rmtree(repo / "demo" / "1")
        assert (await plane.load_model("demo")).state == "AVAILABLE"
        assert (await plane.model_metadata("demo")).record["version"] == "2"
        gc.collect()
        return old()

    assert run(repo, body) is None


def test_deploy_under_load_drops_no_request(repo):
    async def body(plane):
        versions: list[str] = []
        stop = asyncio.Event()

        async def client():
            while not stop.is_set() and len(versions) < 200_000:  # bounded
                r = await plane.predict(PredictRequest("demo", [DEMO_ROW]))
                assert r.results[0].error is None
                versions.append(r.version)
                # yield for a moment: the new version loads in a thread that needs the GIL
                await asyncio.sleep(0.001)

        clients = [asyncio.ensure_future(client()) for _ in range(4)]
        await asyncio.sleep(0.05)
        add_version(repo, "demo", "2")
        write_json(repo / "demo" / "model.json", {"aliases": {"production": "2"}})
        assert await plane.refresh() == {}
        deadline = time.monotonic() + 30  # bounded: a loaded machine may be slow to switch
        while versions.count("2") < 50 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.gather(*clients)  # re-raises any failed request
        return versions

    versions = run(repo, body)
    switch = versions.index("2")
    assert set(versions[:switch]) == {"1"} and set(versions[switch:]) == {"2"}


def test_memory_stays_flat_over_many_requests(repo):
    import gc
    import tracemalloc

    bad = {"amount": "x", "age": 1.0, "city": "rome"}

    async def body(plane):
        async def burst(n):
            for i in range(n):
                await plane.predict(PredictRequest("demo", [DEMO_ROW, bad], keys=[f"u{i}", None]))
                if i % 4 == 0:  # unknown names must not pile up (views, metric labels)
                    with pytest.raises(ModelNotFound):
                        await plane.predict(PredictRequest(f"nope{i}", [DEMO_ROW]))
            gc.collect()  # row errors carry tracebacks: cycles the collector frees later

        await burst(100)  # warm: caches, metric series
        tracemalloc.start()
        try:
            await burst(20)
            growth = []
            for _ in range(3):  # a leak grows every burst; another thread's allocation one only
                before = tracemalloc.get_traced_memory()[0]
                await burst(400)
                growth.append(tracemalloc.get_traced_memory()[0] - before)
            return min(growth)
        finally:
            tracemalloc.stop()

    assert run(repo, body) < 16 * 1024  # 500 requests: a leak of 40 bytes each would show
