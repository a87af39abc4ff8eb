"""Cassandra feature store (the DataStax cassandra-driver).

Layout: one table per feature group, ``<keyspace>.<table>``, whose primary key is the group's key
columns, with a column per feature and ``servelib_ts`` (bigint, ms). The SELECT of each group is
prepared once, on first use, and reused; token-aware routing sends each read to a replica of its
partition. A request's reads (every key of every group) are all sent at once with
``execute_async``; the driver's callbacks fill one slot each and the last one resolves a single
asyncio future through ``call_soon_threadsafe``, so the event loop never blocks on the driver
and wakes once per request. Rows come as tuples (``tuple_factory``) in SELECT order, which is
already the store interface's order. Compression is off unless ``compression`` names one (on a
local network a single-row read gains nothing from it and pays the CPU).
Options: ``hosts``, ``port``, ``keyspace``, ``consistency`` (a ConsistencyLevel name),
``timeout_ms``, ``username``/``password``, ``ssl`` ({"ca_certs": ..., "certfile": ..., "keyfile":
...}), ``local_dc``, ``compression`` (false, or "lz4"/"snappy" when installed).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

from servelib.errors import StoreUnavailable
from servelib.features.base import TS, FeatureStore, Lookups, Values
from servelib.features.spec import FeatureGroup


def select_statement(keyspace: str, group: FeatureGroup) -> str:
    """The CQL that reads one entity of ``group`` (identifiers quoted: case and keywords)."""
    columns = ", ".join(_quote(c) for c in [*(f.name for f in group.features), TS])
    where = " AND ".join(f"{_quote(k)} = ?" for k in group.key)
    return f"SELECT {columns} FROM {_quote(keyspace)}.{_quote(group.table)} WHERE {where}"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def vector_positions(group: FeatureGroup) -> tuple[int, ...]:
    return tuple(i for i, f in enumerate(group.features) if f.type == "vector")


def decode_row(row: Any, vectors: tuple[int, ...] = ()) -> Values | None:
    """A driver row (a tuple in SELECT order: the features, then TS) as the store's values; the
    list columns at ``vectors`` become DenseVectors."""
    if row is None or not vectors:
        return row
    from servelib.vectors import DenseVector

    values = list(row)
    for i in vectors:
        if values[i] is not None:
            values[i] = DenseVector(list(values[i]))
    return values


class _Reads:
    """One request's reads, in flight: the driver's callbacks (on its I/O thread, or at once on
    this one when a read finished first) fill the slots, and the last one wakes the event loop
    once for the whole request, not once per read."""

    __slots__ = ("loop", "future", "rows", "left", "lock")

    def __init__(self, loop: asyncio.AbstractEventLoop, n: int) -> None:
        self.loop = loop
        self.future: asyncio.Future = loop.create_future()
        self.rows: list[Any] = [None] * n
        self.left = n
        self.lock = threading.Lock()
        if not n:
            self.future.set_result([])

    def done(self, rows: Any, i: int) -> None:
        self.rows[i] = rows[0] if rows else None
        with self.lock:
            self.left -= 1
            last = not self.left
        if last:
            self.loop.call_soon_threadsafe(_settle, self.future, self.rows, None)

    def failed(self, exc: BaseException, i: int) -> None:
        self.loop.call_soon_threadsafe(_settle, self.future, None, exc)


class CassandraStore(FeatureStore):
    def __init__(self, name: str, conf: Mapping[str, Any]) -> None:
        try:
            from cassandra import ConsistencyLevel
            from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
            from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy
            from cassandra.query import tuple_factory
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("the Cassandra feature store needs cassandra-driver: "
                              "pip install 'servelib[cassandra]'") from exc
        self.name = name
        self.keyspace = conf.get("keyspace", "features")
        consistency = conf.get("consistency", "LOCAL_ONE")
        profile = ExecutionProfile(
            load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(conf.get("local_dc"))),
            consistency_level=getattr(ConsistencyLevel, consistency),
            request_timeout=conf.get("timeout_ms", 50) / 1000,
            row_factory=tuple_factory,  # rows as tuples in SELECT order: no per-row dict
        )
        options: dict[str, Any] = {"port": conf.get("port", 9042), "protocol_version": 4,
                                   "compression": conf.get("compression", False),
                                   "execution_profiles": {EXEC_PROFILE_DEFAULT: profile}}
        if "username" in conf:
            from cassandra.auth import PlainTextAuthProvider

            options["auth_provider"] = PlainTextAuthProvider(conf["username"], conf.get("password"))
        if "ssl" in conf:
            options["ssl_context"] = _ssl_context(conf["ssl"])
        self.cluster = Cluster(conf.get("hosts", ["127.0.0.1"]), **options)
        self.session: Any = None
        self._prepared: dict[int, tuple[FeatureGroup, Any, tuple[int, ...]]] = {}

    def _connect(self) -> Any:
        if self.session is None:
            from cassandra.cluster import NoHostAvailable

            try:
                self.session = self.cluster.connect()
            except NoHostAvailable as exc:
                raise StoreUnavailable(f"feature store {self.name!r}: no Cassandra host "
                                       f"answers: {exc}") from exc
        return self.session

    def prepare(self, group: FeatureGroup) -> tuple[FeatureGroup, Any, tuple[int, ...]]:
        """The group's prepared SELECT and vector columns (built once; blocking: call it off
        the event loop)."""
        entry = self._prepared.get(id(group))
        if entry is None or entry[0] is not group:
            statement = self._connect().prepare(select_statement(self.keyspace, group))
            entry = self._prepared[id(group)] = (group, statement, vector_positions(group))
        return entry

    async def get_groups(self, lookups: Lookups) -> list[list[Values | None]]:
        entries = []
        for group, _ in lookups:
            entry = self._prepared.get(id(group))
            if entry is None or entry[0] is not group:
                entry = await asyncio.to_thread(self.prepare, group)
            entries.append(entry)
        reads = _Reads(asyncio.get_running_loop(), sum(len(keys) for _, keys in lookups))
        i = 0
        for (_, statement, _), (_, keys) in zip(entries, lookups):
            for key in keys:
                self.session.execute_async(statement, key).add_callbacks(
                    reads.done, reads.failed, callback_args=(i,), errback_args=(i,))
                i += 1
        rows = await reads.future
        out = []
        i = 0
        for (_, _, vectors), (_, keys) in zip(entries, lookups):
            out.append([decode_row(r, vectors) for r in rows[i:i + len(keys)]])
            i += len(keys)
        return out

    async def close(self) -> None:
        await asyncio.to_thread(self.cluster.shutdown)


def _settle(future: asyncio.Future, value: Any, exc: BaseException | None) -> None:
    if future.done():  # cancelled by a timeout, or an earlier read failed
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(value)


def _ssl_context(conf: Mapping[str, Any]) -> Any:
    import ssl

    context = ssl.create_default_context(cafile=conf.get("ca_certs"))
    if "certfile" in conf:
        context.load_cert_chain(conf["certfile"], conf.get("keyfile"))
    return context
