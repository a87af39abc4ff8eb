"""Redis feature store (redis-py asyncio, hiredis parser when installed).

Layout: one hash per entity at ``<table>:<key part>[:<key part>...]`` (key parts URL-quoted so a
':' inside a key cannot collide), one field per feature plus ``servelib_ts``. A request reads all
of its entities of all of its groups with ONE pipelined round trip (an HMGET per entity), over a
shared connection pool. Redis Cluster: ``"cluster": true`` uses redis-py's RedisCluster, whose
pipelines split commands by slot (one round trip per node involved).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from servelib.features.base import TS, FeatureStore, Key, Row, decode_text
from servelib.features.spec import FeatureGroup


def entity_key(table: str, key: Key) -> str:
    return ":".join([table, *(quote(str(part), safe="") for part in key)])


class RedisStore(FeatureStore):
    def __init__(self, name: str, conf: Mapping[str, Any]) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("the Redis feature store needs redis-py: pip install 'servelib[redis]'") from exc
        self.name = name
        options: dict[str, Any] = {
            "socket_timeout": conf.get("timeout_ms", 50) / 1000,
            "socket_connect_timeout": conf.get("timeout_ms", 50) / 1000,
            "max_connections": conf.get("max_connections", 64),
        }
        for key in ("username", "password", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
            if key in conf:
                options[key] = conf[key]
        url = conf.get("url", "redis://127.0.0.1:6379/0")
        if conf.get("cluster"):
            self.client: Any = aioredis.RedisCluster.from_url(url, **options)
        else:
            self.client = aioredis.Redis.from_url(url, **options)

    async def get_many(self, group: FeatureGroup, keys: Sequence[Key]) -> list[Row | None]:
        return (await self.get_groups([(group, keys)]))[0]

    async def get_groups(self, lookups: Sequence[tuple[FeatureGroup, Sequence[Key]]]
                         ) -> list[list[Row | None]]:
        pipe = self.client.pipeline(transaction=False)
        for group, keys in lookups:
            fields = [f.name for f in group.features] + [TS]
            for key in keys:
                pipe.hmget(entity_key(group.table, key), fields)
        replies = iter(await pipe.execute())
        out = []
        for group, keys in lookups:
            rows: list[Row | None] = []
            for _ in keys:
                values = next(replies)
                if all(v is None for v in values):
                    rows.append(None)
                    continue
                row = {f.name: decode_text(v, f) for f, v in zip(group.features, values)}
                row[TS] = None if values[-1] is None else int(values[-1])
                rows.append(row)
            out.append(rows)
        return out

    async def close(self) -> None:
        await self.client.aclose()
