"""Cassandra feature store (the DataStax cassandra-driver).

Layout: one table per feature group, ``<keyspace>.<table>``, whose primary key is the group's key
columns, with a column per feature and ``servelib_ts`` (bigint, ms). The SELECT of each group is
prepared once, on first use, and reused; token-aware routing sends each read to a replica of its
partition. A request's reads run concurrently (``execute_async``), their driver callbacks resolve
asyncio futures through ``call_soon_threadsafe``, so the event loop never blocks on the driver.
Options: ``hosts``, ``port``, ``keyspace``, ``consistency`` (a ConsistencyLevel name),
``timeout_ms``, ``username``/``password``, ``ssl`` ({"ca_certs": ..., "certfile": ..., "keyfile":
...}), ``local_dc``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from servelib.errors import StoreUnavailable
from servelib.features.base import TS, FeatureStore, Key, Row
from servelib.features.spec import FeatureGroup


def select_statement(keyspace: str, group: FeatureGroup) -> str:
    """The CQL that reads one entity of ``group`` (identifiers quoted: case and keywords)."""
    columns = ", ".join(_quote(c) for c in [*(f.name for f in group.features), TS])
    where = " AND ".join(f"{_quote(k)} = ?" for k in group.key)
    return f"SELECT {columns} FROM {_quote(keyspace)}.{_quote(group.table)} WHERE {where}"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def decode_row(group: FeatureGroup, row: Any) -> Row | None:
    """A driver row (a tuple in SELECT order) to {feature: value, TS: ms}."""
    if row is None:
        return None
    from servelib.vectors import DenseVector

    out: dict[str, Any] = {}
    for feature, value in zip(group.features, row):
        if feature.type == "vector" and value is not None:
            value = DenseVector(list(value))
        out[feature.name] = value
    out[TS] = row[len(group.features)]
    return out


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
            row_factory=tuple_factory,
        )
        options: dict[str, Any] = {"port": conf.get("port", 9042), "protocol_version": 4,
                                   "execution_profiles": {EXEC_PROFILE_DEFAULT: profile}}
        if "username" in conf:
            from cassandra.auth import PlainTextAuthProvider

            options["auth_provider"] = PlainTextAuthProvider(conf["username"], conf.get("password"))
        if "ssl" in conf:
            options["ssl_context"] = _ssl_context(conf["ssl"])
        self.cluster = Cluster(conf.get("hosts", ["127.0.0.1"]), **options)
        self.session: Any = None
        self._prepared: dict[str, Any] = {}

    def _connect(self) -> Any:
        if self.session is None:
            from cassandra.cluster import NoHostAvailable

            try:
                self.session = self.cluster.connect()
            except NoHostAvailable as exc:
                raise StoreUnavailable(f"feature store {self.name!r}: no Cassandra host "
                                       f"answers: {exc}") from exc
        return self.session

    def prepare(self, group: FeatureGroup) -> Any:
        """The group's prepared SELECT (built once; blocking: call it off the event loop)."""
        statement = self._prepared.get(group.name)
        if statement is None:
            statement = self._connect().prepare(select_statement(self.keyspace, group))
            self._prepared[group.name] = statement
        return statement

    async def get_many(self, group: FeatureGroup, keys: Sequence[Key]) -> list[Row | None]:
        statement = self._prepared.get(group.name)
        if statement is None:
            statement = await asyncio.to_thread(self.prepare, group)
        loop = asyncio.get_running_loop()
        futures = [self._read(loop, statement, key) for key in keys]
        rows = await asyncio.gather(*futures)
        return [decode_row(group, r) for r in rows]

    def _read(self, loop: asyncio.AbstractEventLoop, statement: Any, key: Key) -> asyncio.Future:
        future: asyncio.Future = loop.create_future()

        def done(rows: Any) -> None:
            first = rows[0] if rows else None
            loop.call_soon_threadsafe(_settle, future, first, None)

        def failed(exc: BaseException) -> None:
            loop.call_soon_threadsafe(_settle, future, None, exc)

        self.session.execute_async(statement, tuple(key)).add_callbacks(done, failed)
        return future

    async def close(self) -> None:
        await asyncio.to_thread(self.cluster.shutdown)


def _settle(future: asyncio.Future, value: Any, exc: BaseException | None) -> None:
    if future.done():  # cancelled by a timeout meanwhile
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
