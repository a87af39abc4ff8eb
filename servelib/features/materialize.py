"""`servelib features push`: load an offline feature table into an online store.

The "data lake to online store" step: a Parquet file (or dataset directory) is read in record
batches (bounded memory) and written, batch by batch, in the layout the readers expect, with the
write time in ``servelib_ts``. Writes are upserts by key, so a re-run gives the same store.

* ``redis://host:port/db`` (or ``rediss://``): one hash per entity (``redis.py``), pipelined HSETs;
* ``cassandra://host:port/keyspace``: ``CREATE TABLE IF NOT EXISTS`` with the file's columns (the
  key columns as primary key) and concurrent prepared INSERTs;
* anything else is the embedded store's directory: ``<dir>/<table>.parquet``, written under a
  temporary name and renamed when complete.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlparse

import pyarrow as pa

from servelib.errors import InvalidInput, StoreUnavailable
from servelib.features.base import TS, encode_text
from servelib.features.redis import entity_key

_CQL = {pa.float64(): "double", pa.float32(): "float", pa.int64(): "bigint", pa.int32(): "int",
        pa.bool_(): "boolean", pa.string(): "text", pa.large_string(): "text"}


def kind_of(dtype: pa.DataType) -> str:
    """The feature type a column's Arrow type stores as."""
    if pa.types.is_floating(dtype):
        return "double"
    if pa.types.is_integer(dtype):
        return "long"
    if pa.types.is_boolean(dtype):
        return "boolean"
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return "string"
    if pa.types.is_list(dtype) and pa.types.is_floating(dtype.value_type):
        return "vector"
    raise InvalidInput(f"cannot store a column of type {dtype} as a feature")


def batches(path: str, batch_size: int) -> tuple[int, pa.Schema, Iterator[pa.RecordBatch]]:
    import pyarrow.dataset as ds

    try:
        dataset = ds.dataset(path, format="parquet")
        return dataset.count_rows(), dataset.schema, dataset.to_batches(batch_size=batch_size)
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInput(f"cannot read Parquet {path}: {exc}") from exc


def push(target: str, table: str, key: Sequence[str], path: str, *, batch_size: int = 10_000,
         progress: Any = None, now_ms: int | None = None) -> int:
    """Write every row of ``path`` into ``target``; returns the number of rows written."""
    _, schema, source = batches(path, batch_size)
    missing = [k for k in key if k not in schema.names]
    if missing:
        raise InvalidInput(f"--key column(s) {missing} are not in {path} (columns: {schema.names})")
    kinds = {name: kind_of(schema.field(name).type) for name in schema.names if name not in key}
    stamp = int(time.time() * 1000) if now_ms is None else now_ms
    scheme = urlparse(target).scheme
    if scheme == "cassandra":
        def make() -> Any:
            return _cassandra_writer(target, table, key, schema, stamp)
    elif scheme in ("redis", "rediss", "unix"):
        def make() -> Any:
            return _redis_writer(target, table, key, kinds, stamp)
    else:
        return _embedded(target, table, source, stamp, progress)
    try:
        writer = make()
    except InvalidInput:
        raise
    except Exception as exc:  # noqa: BLE001 - cannot connect or create the table
        raise StoreUnavailable(f"cannot open {target}: {type(exc).__name__}: {str(exc)[:300]}") from exc
    written = 0
    for batch in source:
        try:
            writer(batch)
        except InvalidInput:
            raise
        except Exception as exc:  # noqa: BLE001 - the driver's errors, named once here
            raise StoreUnavailable(f"writing to {target} failed after {written} rows: "
                                   f"{type(exc).__name__}: {str(exc)[:300]}") from exc
        written += batch.num_rows
        if progress is not None:
            progress.update(batch.num_rows)
    return written


def _redis_writer(url: str, table: str, key: Sequence[str], kinds: dict[str, str], stamp: int):
    import redis

    client = redis.Redis.from_url(url)

    def write(batch: pa.RecordBatch) -> None:
        pipe = client.pipeline(transaction=False)
        for row in batch.to_pylist():
            fields = {name: encode_text(row[name], kind) for name, kind in kinds.items()
                      if row[name] is not None}
            fields[TS] = str(stamp)
            name = entity_key(table, tuple(row[k] for k in key))
            pipe.delete(name)  # a re-push replaces the entity: no field of an older row survives
            pipe.hset(name, mapping=fields)
        pipe.execute()

    return write


def _cassandra_writer(url: str, table: str, key: Sequence[str], schema: pa.Schema, stamp: int):
    from cassandra.cluster import Cluster
    from cassandra.concurrent import execute_concurrent_with_args

    from servelib.features.cassandra import _quote

    parsed = urlparse(url)
    keyspace = parsed.path.strip("/") or "features"
    session = Cluster([parsed.hostname or "127.0.0.1"], port=parsed.port or 9042,
                      protocol_version=4).connect()
    session.execute(f"CREATE KEYSPACE IF NOT EXISTS {_quote(keyspace)} WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    columns = [f"{_quote(f.name)} {_cql_type(f.type)}" for f in schema] + [f"{_quote(TS)} bigint"]
    primary = ", ".join(_quote(k) for k in key)
    session.execute(f"CREATE TABLE IF NOT EXISTS {_quote(keyspace)}.{_quote(table)} "
                    f"({', '.join(columns)}, PRIMARY KEY (({primary})))")
    names = [*schema.names, TS]
    insert = session.prepare(
        f"INSERT INTO {_quote(keyspace)}.{_quote(table)} ({', '.join(map(_quote, names))}) "
        f"VALUES ({', '.join('?' * len(names))})")

    def write(batch: pa.RecordBatch) -> None:
        rows = [(*(row[n] for n in schema.names), stamp) for row in batch.to_pylist()]
        for ok, result in execute_concurrent_with_args(session, insert, rows, concurrency=64,
                                                       raise_on_first_error=False):
            if not ok:
                raise InvalidInput(f"Cassandra rejected a row: {result}")

    return write


def _cql_type(dtype: pa.DataType) -> str:
    if pa.types.is_list(dtype):
        return "list<double>"
    try:
        return _CQL[dtype]
    except KeyError:
        raise InvalidInput(f"cannot store a column of type {dtype} in Cassandra") from None


def _embedded(folder: str, table: str, source: Iterator[pa.RecordBatch], stamp: int,
              progress: Any) -> int:
    import pyarrow.parquet as pq

    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, f"{table}.parquet")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{table}.", suffix=".part")
    os.close(fd)
    written = 0
    writer = None
    try:
        for batch in source:
            batch = batch.append_column(TS, pa.array([stamp] * batch.num_rows, pa.int64()))
            if writer is None:
                writer = pq.ParquetWriter(tmp, batch.schema)
            writer.write_batch(batch)
            written += batch.num_rows
            if progress is not None:
                progress.update(batch.num_rows)
        if writer is not None:
            writer.close()
            writer = None
            os.replace(tmp, target)
    finally:
        if writer is not None:
            writer.close()
        if os.path.exists(tmp):
            os.unlink(tmp)
    return written
