"""Redis feature store (redis-py asyncio, hiredis parser when installed).

Layout: one hash per entity at ``<table>:<key part>[:<key part>...]`` (key parts URL-quoted so a
':' inside a key cannot collide), one field per feature plus ``servelib_ts``. A request reads all
of its entities of all of its groups with ONE round trip: an HMGET per entity, written to the
socket together and answered in order (a pipeline).

Per request only the keys are encoded: each group's HMGET field list is RESP-encoded once and the
command bytes are joined; the replies are read with redis-py's connection and parser, and each
field is decoded by the group's ready tuple of exact conversions (``float(b"1.5")``). The
connections come from redis-py's pool and stay with this store between requests, so a request
does not pay the pool's acquire checks; a connection that failed is disconnected (redis-py
reconnects it on the next send), and one retry on a fresh connection absorbs the dead sockets a
Redis restart leaves behind. The per-call timeout is the guard's (``guard.py``), not a
per-socket-operation one.

Redis Cluster: ``"cluster": true`` uses redis-py's RedisCluster, whose pipelines split the
commands by slot (one round trip per node involved).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from servelib.features.base import TS, FeatureStore, Key, Lookups, Values, text_decoder
from servelib.features.spec import FeatureGroup


def entity_key(table: str, key: Key) -> str:
    return ":".join([table, *(_part(part) for part in key)])


def _part(value: Any) -> str:
    text = str(value)
    # ASCII letters and digits are what quote() keeps as they are; test that in C first
    return text if text.isascii() and text.isalnum() else quote(text, safe="")


def _bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


class _Group:
    """What one group's reads need, built once: the HMGET head and field list as RESP bytes,
    the field names (cluster path) and one decoder per field (the last one for TS)."""

    def __init__(self, group: FeatureGroup) -> None:
        self.group = group
        self.prefix = group.table + ":"
        self.fields = [f.name for f in group.features] + [TS]
        self.head = b"*%d\r\n$5\r\nHMGET\r\n" % (len(self.fields) + 2)
        self.tail = b"".join(_bulk(f.encode()) for f in self.fields)
        self.decoders: tuple[Callable[[bytes], Any], ...] = (
            *(text_decoder(f.type) for f in group.features), int)

    def key(self, key: Key) -> str:
        if len(key) == 1:
            return self.prefix + _part(key[0])
        return entity_key(self.group.table, key)

    def decode(self, values: list[bytes | None]) -> Values | None:
        if values.count(None) == len(values):
            return None
        return [None if v is None else d(v) for d, v in zip(self.decoders, values)]


class RedisStore(FeatureStore):
    def __init__(self, name: str, conf: Mapping[str, Any]) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("the Redis feature store needs redis-py: pip install 'servelib[redis]'") from exc
        self.name = name
        options: dict[str, Any] = {
            "socket_timeout": None,  # per call instead (the guard): no task per socket read/write
            "socket_connect_timeout": conf.get("timeout_ms", 50) / 1000,
            "max_connections": conf.get("max_connections", 64),
        }
        for key in ("username", "password", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
            if key in conf:
                options[key] = conf[key]
        url = conf.get("url", "redis://127.0.0.1:6379/0")
        self.cluster = bool(conf.get("cluster"))
        if self.cluster:
            self.client: Any = aioredis.RedisCluster.from_url(url, **options)
        else:
            self.client = aioredis.Redis.from_url(url, **options)
        self._groups: dict[int, _Group] = {}
        self._idle: list[Any] = []  # connections taken from the pool, free for the next request

    def _group(self, group: FeatureGroup) -> _Group:
        ready = self._groups.get(id(group))
        if ready is None or ready.group is not group:
            ready = self._groups[id(group)] = _Group(group)
        return ready

    async def get_groups(self, lookups: Lookups) -> list[list[Values | None]]:
        ready = [(self._group(group), keys) for group, keys in lookups]
        if self.cluster:
            replies = await self._cluster_read(ready)
        else:
            parts = []
            for g, keys in ready:
                for key in keys:
                    parts += (g.head, _bulk(g.key(key).encode()), g.tail)
            replies = await self._exchange(b"".join(parts), len(parts) // 3)
        out = []
        i = 0
        for g, keys in ready:
            out.append([g.decode(v) for v in replies[i:i + len(keys)]])
            i += len(keys)
        return out

    async def _exchange(self, command: bytes, n: int) -> list[Any]:
        from redis.exceptions import ConnectionError as RedisConnectionError

        try:
            return await self._exchange_once(command, n)
        except RedisConnectionError:  # a socket Redis closed (a restart): once more, reconnected
            return await self._exchange_once(command, n)

    async def _exchange_once(self, command: bytes, n: int) -> list[Any]:
        """Send the joined commands and read their n replies on one connection."""
        conn = self._idle.pop() if self._idle else await self.client.connection_pool.get_connection()
        try:
            await conn.send_packed_command(command)
            return [await conn.read_response() for _ in range(n)]
        except BaseException:
            await conn.disconnect(nowait=True)  # unread replies must not reach the next request
            raise
        finally:
            self._idle.append(conn)

    async def _cluster_read(self, ready: Sequence[tuple[_Group, Sequence[Key]]]) -> list[Any]:
        pipe = self.client.pipeline(transaction=False)
        for g, keys in ready:
            for key in keys:
                pipe.hmget(g.key(key), g.fields)
        return await pipe.execute()

    async def close(self) -> None:
        if not self.cluster:
            for conn in self._idle:
                await self.client.connection_pool.release(conn)
        self._idle.clear()
        await self.client.aclose()
