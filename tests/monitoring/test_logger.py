"""PredictionLogger and its sinks: sampling, Parquet layout, a real Redis stream, and sinks that
fail or stall without ever failing or blocking a prediction."""

from __future__ import annotations

import random
import threading
import time
from types import SimpleNamespace

import pyarrow.dataset as ds

from servelib.monitoring.logger import PredictionLogger
from servelib.monitoring.records import SCHEMA
from servelib.monitoring.sinks import ParquetSink, RedisStreamSink, open_sink
from servelib.vectors import DenseVector
from tests.servers import redis_server


def fakes(rate=None, n=2, partition=None):
    spec = SimpleNamespace(logging=None if rate is None else {"sample_rate": rate},
                           partitioning=partition)
    model = SimpleNamespace(spec=spec)
    request = SimpleNamespace(version="production")
    rows = [{"amount": float(i), "city": "paris", "x": float("nan")} for i in range(n)]
    results = [SimpleNamespace(outputs={"prediction": 1.0, "probability": DenseVector([0.25, 0.75])},
                               error=None) for _ in rows]
    response = SimpleNamespace(model="fraud", version="3", results=results,
                               prediction_ids=[f"req-{i}" for i in range(n)])
    return model, request, rows, response


def test_parquet_records_partitioned_by_model_and_hour(tmp_path):
    logger = PredictionLogger(ParquetSink(str(tmp_path)), sample_rate=1.0, flush_seconds=0.05)
    model, request, rows, response = fakes(n=3)
    logger(model, request, rows, response, 0.002)
    logger.close()
    files = list(tmp_path.glob("model=fraud/hour=*/part-*.parquet"))
    assert len(files) == 1 and not list(tmp_path.rglob(".*"))
    table = ds.dataset(str(tmp_path), format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 3 and set(SCHEMA.names) <= set(table.column_names)
    row = table.to_pylist()[0]
    assert row["prediction_id"] == "req-0" and row["version"] == "3" and row["arm"] == "production"
    assert '"x": "NaN"' in row["inputs"] and '"probability": {"type": "dense"' in row["outputs"]
    assert row["latency_ms"] == 2.0 and logger.counts["written"] == 3


def test_two_writers_never_clobber(tmp_path):
    loggers = [PredictionLogger(ParquetSink(str(tmp_path)), sample_rate=1.0, flush_seconds=0.01)
               for _ in range(2)]
    for _ in range(5):
        for logger in loggers:
            logger(*fakes(n=4), 0.001)
            time.sleep(0.02)
    for logger in loggers:
        logger.close()
    table = ds.dataset(str(tmp_path), format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 40


def test_sample_rate_from_the_spec_within_statistical_bounds(tmp_path):
    sink = SimpleNamespace(written=[], write=lambda recs: sink.written.extend(recs), close=lambda: None)
    logger = PredictionLogger(sink, sample_rate=0.0, flush_seconds=0.01, rng=random.Random(7).random)
    requests = 20_000
    model, request, rows, response = fakes(rate=0.1, n=1)
    for _ in range(requests):
        logger(model, request, rows, response, 0.001)
    logger.close()
    # binomial(20000, 0.1): mean 2000, sd 42.4; 5 sd either way
    assert abs(len(sink.written) - 2000) < 5 * 42.4
    model0 = fakes(rate=None, n=1)[0]  # no spec rate: the logger's default (0) -> nothing
    logger2 = PredictionLogger(sink, sample_rate=0.0)
    logger2(model0, request, rows, response, 0.001)
    logger2.close()
    assert logger2.counts["sampled_requests"] == 0


def test_slow_sink_drops_and_counts_never_blocks():
    release = threading.Event()
    sink = SimpleNamespace(write=lambda recs: release.wait(5), close=lambda: None)
    logger = PredictionLogger(sink, sample_rate=1.0, queue_size=10, batch_size=1, flush_seconds=0.01)
    start = time.perf_counter()
    for _ in range(200):
        logger(*fakes(n=1), 0.001)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0  # 200 calls while the sink is stuck
    assert logger.counts["dropped"] >= 180
    release.set()
    logger.close()


def test_failing_sink_is_counted_and_logged_never_raised(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the log directory should be")  # root ignores chmod; this fails
    logger = PredictionLogger(ParquetSink(str(blocker / "logs")), sample_rate=1.0, flush_seconds=0.01)
    logger(*fakes(n=3), 0.001)
    logger.close()
    assert logger.counts["failed"] == 3 and logger.counts["written"] == 0
    assert "prediction log sink failed" in caplog.text


def test_redis_stream_sink_and_redis_going_away():
    with redis_server() as (proc, port):
        sink = open_sink(f"redis://127.0.0.1:{port}/0", stream="preds", maxlen=1000, timeout=0.5)
        assert isinstance(sink, RedisStreamSink)
        logger = PredictionLogger(sink, sample_rate=1.0, flush_seconds=0.01)
        logger(*fakes(n=3), 0.001)
        time.sleep(0.3)
        entries = sink.client.xrange("preds")
        assert len(entries) == 3 and entries[0][1][b"prediction_id"] == b"req-0"
        proc.kill()
        proc.wait(5)
        start = time.perf_counter()
        logger(*fakes(n=2), 0.001)  # Redis is gone: the call still returns at once
        assert time.perf_counter() - start < 0.05
        logger.close()
        assert logger.counts["failed"] == 2 and logger.counts["written"] == 3
