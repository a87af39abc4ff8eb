"""Where logged predictions go: rotating Parquet files or a Redis stream.

Parquet: ``<root>/model=<name>/hour=<YYYY-MM-DDTHH>/part-<host>-<pid>-<random>-<seq>.parquet``,
one new file per flush (the rotation), local or remote through pyarrow.fs. File names carry the
host, the process id and a random token, so several worker processes (and hosts) write into one
root without clobbering each other; a file is written under a hidden name and renamed when
complete, so readers (which skip hidden names, as Spark and `servelib monitor` do) never see half
a file. Redis: one XADD per record to a capped stream (``MAXLEN ~``), pipelined per flush.
"""

from __future__ import annotations

import itertools
import os
import posixpath
import socket
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

from servelib.monitoring.records import PredictionRecord, to_table


class Sink(Protocol):
    def write(self, records: Sequence[PredictionRecord]) -> None: ...

    def close(self) -> None: ...


class ParquetSink:
    def __init__(self, root: str) -> None:
        import pyarrow.fs as pafs

        if "://" in root:
            self.fs, self.root = pafs.FileSystem.from_uri(root)
        else:
            self.fs, self.root = pafs.LocalFileSystem(), os.path.abspath(root)
        self._prefix = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._seq = itertools.count()

    def write(self, records: Sequence[PredictionRecord]) -> None:
        import pyarrow.parquet as pq

        groups: dict[tuple[str, str], list[PredictionRecord]] = defaultdict(list)
        for r in records:
            hour = datetime.fromtimestamp(r.timestamp_ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H")
            groups[(r.model, hour)].append(r)
        for (model, hour), group in groups.items():
            folder = posixpath.join(self.root, f"model={model}", f"hour={hour}")
            self.fs.create_dir(folder, recursive=True)
            name = f"part-{self._prefix}-{next(self._seq):06d}.parquet"
            hidden = posixpath.join(folder, f".{name}.tmp")
            with self.fs.open_output_stream(hidden) as out:
                pq.write_table(to_table(group), out)
            self.fs.move(hidden, posixpath.join(folder, name))

    def close(self) -> None:
        return None


class RedisStreamSink:
    def __init__(self, url: str, stream: str = "servelib:predictions", maxlen: int = 1_000_000,
                 timeout: float = 1.0) -> None:
        try:
            import redis
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("the Redis prediction log needs redis-py: "
                              "pip install 'servelib[redis]'") from exc
        self.client: Any = redis.Redis.from_url(url, socket_timeout=timeout,
                                                socket_connect_timeout=timeout)
        self.stream = stream
        self.maxlen = maxlen

    def write(self, records: Sequence[PredictionRecord]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for r in records:
            pipe.xadd(self.stream, r.fields(), maxlen=self.maxlen, approximate=True)
        pipe.execute()

    def close(self) -> None:
        self.client.close()


def open_sink(target: str, **options: Any) -> Sink:
    """A sink from a target string: ``redis://...`` or ``rediss://...`` is a stream, anything
    else a Parquet root (local path, file://, s3://, gs://, hdfs://)."""
    if target.startswith(("redis://", "rediss://", "unix://")):
        return RedisStreamSink(target, **options)
    return ParquetSink(target)
