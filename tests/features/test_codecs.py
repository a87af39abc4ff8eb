"""What each backend does per request, without a server: Redis command bytes and typed
decoding, the Cassandra row decoding and its one-wake-up bridge, the embedded store's row
layout, and the guard on an inline store."""

from __future__ import annotations

import asyncio
import threading

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from servelib.features.base import TS, encode_text, text_decoder
from servelib.features.cassandra import _Reads, decode_row, vector_positions
from servelib.features.embedded import EmbeddedStore
from servelib.features.guard import GuardedStore
from servelib.features.redis import _Group, entity_key
from servelib.vectors import DenseVector
from tests.features.conftest import RIDERS, FakeStore, expected, parsed, spec_section

GROUP = parsed(spec_section({"type": "embedded"})).groups[0]


@pytest.mark.parametrize("kind, value", [
    ("double", 4.9), ("double", float("inf")), ("float", -0.0), ("long", 120), ("integer", -7),
    ("boolean", True), ("boolean", False), ("string", "gold é"), ("vector", [0.1, -2.0]),
])
def test_text_round_trip_is_exact_and_typed(kind, value):
    back = text_decoder(kind)(encode_text(value, kind).encode())
    if kind == "vector":
        assert back == DenseVector(value)
    else:
        assert back == value and type(back) is type(value)


def test_redis_command_bytes_and_decoding():
    ready = _Group(GROUP)
    assert ready.key(("r:3",)) == entity_key("riders", ("r:3",)) == "riders:r%3A3"
    key = b"riders:r1"
    command = ready.head + b"$%d\r\n%s\r\n" % (len(key), key) + ready.tail
    fields = [f.name for f in GROUP.features] + [TS]
    want = [b"HMGET", key, *(f.encode() for f in fields)]
    assert command == b"*%d\r\n" % len(want) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in want)
    stored = [b"12.0", b"4.9", b"gold", b"1", b"120", b"[0.1, 0.2]", b"1700000000000"]
    assert ready.decode(stored) == [12.0, 4.9, "gold", True, 120, DenseVector([0.1, 0.2]),
                                    1700000000000]
    assert ready.decode([None] * len(stored)) is None  # the entity is absent
    assert ready.decode([None, b"4.1", *[None] * 5]) == [None, 4.1, None, None, None, None, None]


def test_cassandra_rows_pass_through_and_vectors_convert():
    row = (12.0, 4.9, "gold", True, 120, [0.1, 0.2], 5)
    assert decode_row(row) is row  # no vector column: the driver's tuple as it is
    assert decode_row(row, vector_positions(GROUP))[5] == DenseVector([0.1, 0.2])
    assert decode_row(None, (5,)) is None


def test_cassandra_reads_wake_the_loop_once():
    async def flow():
        loop = asyncio.get_running_loop()
        woken = []
        real = loop.call_soon_threadsafe
        loop.call_soon_threadsafe = lambda *a: (woken.append(a), real(*a))
        reads = _Reads(loop, 3)
        threads = [threading.Thread(target=reads.done, args=([("v", i)] if i != 1 else [], i))
                   for i in range(3)]
        for t in threads:
            t.start()
        rows = await reads.future
        for t in threads:
            t.join()
        assert rows == [("v", 0), None, ("v", 2)] and len(woken) == 1
        failing = _Reads(loop, 2)
        failing.failed(RuntimeError("read timed out"), 0)
        failing.done([("late",)], 1)
        with pytest.raises(RuntimeError, match="read timed out"):
            await failing.future
        assert (await _Reads(loop, 0).future) == []

    asyncio.run(flow())


def test_embedded_rows_keep_every_type(tmp_path):
    table = RIDERS.append_column(TS, pa.array([1, 2, 3, 4], pa.int64()))
    table = table.append_column("visits", pa.array([1, 2, 3, 2**63 + 5], pa.uint64()))
    pq.write_table(table, tmp_path / "riders.parquet")
    store = EmbeddedStore("e", {"path": "."}, str(tmp_path))
    section = spec_section({"type": "embedded"})
    section["groups"][0]["features"]["visits"] = {"type": "long"}
    group = parsed(section).groups[0]
    rows = asyncio.run(store.get_many(group, [("r1",), ("r4",), ("nobody",)]))
    names = [f.name for f in group.features]
    for rider, row in zip(["r1", "r4"], rows):
        want = expected(rider)
        got = dict(zip(names, row))
        for name in RIDERS.column_names[1:]:
            value = want[name] if rider != "r4" or name != "trips_7d" else None  # no default here
            assert got[name] == value and type(got[name]) is type(value), (rider, name)
    assert dict(zip(names, rows[1]))["visits"] == 2**63 + 5 and rows[1][-1] == 4
    assert rows[2] is None


def test_guard_times_only_stores_that_wait(monkeypatch):
    timed = []
    real = asyncio.timeout
    monkeypatch.setattr(asyncio, "timeout", lambda s: (timed.append(s), real(s))[1])

    class Inline(FakeStore):
        inline = True

    for store in (FakeStore({}), Inline({})):
        asyncio.run(GuardedStore(store, 0.05).get_many(GROUP, [("r1",)]))
    assert timed == [0.05]  # the in-process store, which never waits, is not timed
