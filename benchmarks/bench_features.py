"""What an online feature lookup adds to a prediction, per store, side by side in one run.

    PYTHONPATH=. python benchmarks/bench_features.py [--requests 2000] [--entities 10000]
        [--no-cassandra] [--json OUT]

The production-shaped LR pipeline (13 inputs) is served by one DataPlane (in-process: the gRPC
hop is the same with or without a lookup, so the difference is the lookup) as four versions:
features in the request, and 11 of the 13 inputs fetched in 2 feature groups (a user group of 8,
a merchant group of 3; country and device stay in the request) from the embedded store, from a
redis-server and from the real Cassandra 4.0 of ../shared/cassandra (or SERVELIB_TEST_CASSANDRA),
all on loopback. Beside them, each store's floor: a redis-py asyncio PING and a prepared
single-row Cassandra SELECT through the same asyncio bridge. Then requests of 32 rows (32 users)
against one row: with one pipelined round trip per request their cost grows far less than 32x.
Closed loop, one request at a time, bounded by --requests per variant; the variants take turns
in ten interleaved rounds so that a slow spell of the VM falls on all of them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from servelib.features.materialize import push  # noqa: E402
from servelib.server.dataplane import PredictRequest, build_dataplane  # noqa: E402
from servelib.testing.parity import read_rows  # noqa: E402
from tests.servers import cassandra_server, redis_server  # noqa: E402

FIXTURE = ROOT / "tests/parity/fixtures/spark-4.3/prod_lr_pipeline"
USER = ["age", "visits", "tenure", "n_items", "is_member", "balance", "rating", "plan"]
MERCHANT = ["channel", "amount", "discount"]
TYPES = {"age": "long", "visits": "long", "tenure": "long", "n_items": "long",
         "is_member": "boolean", "plan": "string", "channel": "string"}


def tables(rows: list[dict], n: int) -> tuple[pa.Table, pa.Table]:
    rng = random.Random(5)
    clean = [r for r in rows if all(r.get(c) is not None and r.get(c) == r.get(c)
                                    for c in USER + MERCHANT)]
    users = [{"user_id": f"u{i}", **{c: rng.choice(clean)[c] for c in USER}} for i in range(n)]
    merchants = [{"merchant_id": f"m{i}", **{c: rng.choice(clean)[c] for c in MERCHANT}}
                 for i in range(n)]
    return pa.Table.from_pylist(users), pa.Table.from_pylist(merchants)


def spec(store: dict) -> dict:
    def group(name: str, key: str, cols: list[str]) -> dict:
        return {"name": name, "store": "s", "table": name, "key": key,
                "features": {c: {"type": TYPES.get(c, "double")} for c in cols}}

    return {"features": {"stores": {"s": store}, "groups": [
        group("users", "user_id", USER), group("merchants", "merchant_id", MERCHANT)]}}


def version(repo: Path, name: str, serving: dict) -> None:
    folder = repo / "prod" / name
    shutil.copytree(FIXTURE / "model", folder)
    (folder / "serving.json").write_text(json.dumps({"outputs": ["prediction", "probability"],
                                                     **serving}))


BESIDE = "features in the request, beside Cassandra"


async def timings(plane, version_name: str, make, start: int, n: int) -> list[float]:
    times = []
    for i in range(start, start + n):
        t = time.perf_counter()
        await plane.predict(PredictRequest("prod", make(i), version=version_name))
        times.append(time.perf_counter() - t)
    return times


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times) * 1e6, times[int(0.99 * len(times))] * 1e6


async def measure(plane, variants: dict[str, tuple[str, Any]], n: int, rounds: int = 10
                  ) -> dict[str, tuple[float, float]]:
    """p50/p99 us of each variant (name -> (version, request maker)), after 100 warm-up calls
    each, measured in interleaved rounds so that a slow spell of this shared VM (or a garbage
    collection) falls on every variant alike instead of on whichever ran then."""
    for version_name, make in variants.values():
        await timings(plane, version_name, make, 0, 100)
    times: dict[str, list[float]] = {name: [] for name in variants}
    step = max(1, n // rounds)
    for r in range(rounds):
        for name, (version_name, make) in variants.items():
            times[name] += await timings(plane, version_name, make, r * step, step)
    return {name: percentiles(t) for name, t in times.items()}


async def floors(redis_url: str | None, cassandra: tuple | None, n: int) -> dict[str, tuple]:
    out = {}
    if redis_url:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(redis_url)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            await client.ping()
            times.append(time.perf_counter() - t)
        times.sort()
        out["redis PING"] = (statistics.median(times) * 1e6, times[int(0.99 * n)] * 1e6)
        await client.aclose()
    if cassandra:
        from servelib.features.cassandra import CassandraStore
        from servelib.features.spec import parse_features

        host, port = cassandra
        conf = {"type": "cassandra", "hosts": [host], "port": port, "keyspace": "bench",
                "timeout_ms": 2000}
        group = parse_features(spec(conf)["features"], "bench").groups[1]
        group = type(group)(group.name, group.store, group.table, group.key, group.features[:1])
        store = CassandraStore("floor", conf)
        times = []
        for i in range(n):
            t = time.perf_counter()
            await store.get_many(group, [(f"m{i % 100}",)])
            times.append(time.perf_counter() - t)
        times.sort()
        out["Cassandra 1-column SELECT"] = (statistics.median(times) * 1e6, times[int(0.99 * n)] * 1e6)
        await store.close()
    return out


async def main_async(args, repo: Path, redis_url: str | None, cassandra: tuple | None) -> dict:
    rows = [{k: v for k, v in r.items() if k != "_row"} for r in read_rows(FIXTURE / "input.jsonl")]
    full = [r for r in rows if all(v is not None and v == v for v in r.values())]
    plane = build_dataplane(str(repo))
    await plane.start()

    def inline(i):
        return [full[i % len(full)]]

    def keyed(i, k=1):
        return [{"user_id": f"u{(i * 7 + j) % args.entities}",
                 "merchant_id": f"m{(i * 13 + j) % args.entities}",
                 "country": full[(i + j) % len(full)]["country"],
                 "device": full[(i + j) % len(full)]["device"]} for j in range(k)]

    stores = [name for name in ("embedded", "redis", "cassandra") if (repo / "prod" / name).exists()]
    # The Cassandra driver's I/O thread, once a session is open, competes for the GIL and slows
    # every request of this process: the other stores are measured before any Cassandra request
    # and Cassandra beside its own no-lookup baseline.
    near = [name for name in stores if name != "cassandra"]
    results = await measure(plane, {"features in the request": ("inline", inline),
                                    **{f"lookup: {name}": (name, keyed) for name in near}},
                            args.requests)
    sizes = await measure(plane, {**{f"{name} 1": (name, keyed) for name in near},
                                  **{f"{name} 32": (name, lambda i: keyed(i, 32))
                                     for name in near}}, args.requests // 4)
    if "cassandra" in stores:
        results.update(await measure(plane, {BESIDE: ("inline", inline),
                                             "lookup: cassandra": ("cassandra", keyed)},
                                     args.requests))
        sizes.update(await measure(plane, {"cassandra 1": ("cassandra", keyed),
                                           "cassandra 32": ("cassandra",
                                                            lambda i: keyed(i, 32))},
                                   args.requests // 4))
    batch = {name: (sizes[f"{name} 1"][0], sizes[f"{name} 32"][0]) for name in stores}
    results.update(await floors(redis_url, cassandra, args.requests))
    await plane.close()
    print(f"\n{'variant':<34} {'p50 us':>9} {'p99 us':>9}")
    for name, (p50, p99) in results.items():
        print(f"{name:<34} {p50:>9.0f} {p99:>9.0f}")
    print(f"\n{'store':<12} {'1 row p50 us':>13} {'32 rows p50 us':>15} {'ratio':>6}")
    for name, (one, many) in batch.items():
        print(f"{name:<12} {one:>13.0f} {many:>15.0f} {many / one:>6.1f}")
    return {"requests": args.requests, "entities": args.entities,
            "variants": {k: {"p50_us": p50, "p99_us": p99} for k, (p50, p99) in results.items()},
            "batch32": {k: {"one_p50_us": one, "many_p50_us": many}
                        for k, (one, many) in batch.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--no-cassandra", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args()
    res = run(args)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")


def run(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        users, merchants = tables(read_rows(FIXTURE / "input.jsonl"), args.entities)
        pq.write_table(users, tmp / "users.parquet")
        pq.write_table(merchants, tmp / "merchants.parquet")
        repo = tmp / "repo"
        version(repo, "inline", {})
        for name, table in (("users", tmp / "users.parquet"), ("merchants", tmp / "merchants.parquet")):
            push(str(repo / "prod" / "features"), name, [name[:-1] + "_id"], str(table))
        version(repo, "embedded", spec({"type": "embedded", "path": "../features"}))
        with redis_server() as (_, port):
            url = f"redis://127.0.0.1:{port}/0"
            for name, table in (("users", tmp / "users.parquet"), ("merchants", tmp / "merchants.parquet")):
                push(url, name, [name[:-1] + "_id"], str(table))
            version(repo, "redis", spec({"type": "redis", "url": url, "timeout_ms": 1000}))
            if args.no_cassandra:
                return {**asyncio.run(main_async(args, repo, url, None)),
                        "cassandra": "not run: --no-cassandra"}
            with cassandra_server(tmp / "cassandra") as (host, cport, _):
                store = f"cassandra://{host}:{cport}/bench"
                for name, table in (("users", tmp / "users.parquet"), ("merchants", tmp / "merchants.parquet")):
                    push(store, name, [name[:-1] + "_id"], str(table))
                version(repo, "cassandra", spec({"type": "cassandra", "hosts": [host], "port": cport,
                                                 "keyspace": "bench", "timeout_ms": 1000}))
                return asyncio.run(main_async(args, repo, url, (host, cport)))


if __name__ == "__main__":
    main()
