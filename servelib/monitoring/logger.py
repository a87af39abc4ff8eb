"""Sampled prediction logging off the request path, in bounded memory.

The DataPlane calls a :class:`PredictionLogger` after each prediction (its prediction-log hook).
The call samples the request (the model's ``logging.sample_rate`` from its serving spec, else the
logger's default), turns each instance into a :class:`PredictionRecord` and puts them on a
bounded queue without waiting: when the queue is full the records are dropped and counted, so a
slow or dead sink never blocks or fails a prediction. One background thread drains the queue in
batches into the sink; a sink error is counted and logged (at most once a minute), never raised.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from servelib.monitoring.records import PredictionRecord
from servelib.monitoring.sinks import Sink

log = logging.getLogger("servelib.monitoring")
_STOP = object()


class PredictionLogger:
    def __init__(self, sink: Sink, *, sample_rate: float = 0.0, queue_size: int = 10_000,
                 batch_size: int = 500, flush_seconds: float = 1.0,
                 rng: Callable[[], float] = random.random, metrics: Any = None) -> None:
        self.sink = sink
        self.sample_rate = sample_rate
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.counts = {"sampled_requests": 0, "written": 0, "dropped": 0, "failed": 0}
        self._rng = rng
        self._metrics = metrics  # optional: an object with .prediction_log.labels(outcome).inc(n)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._last_warning = 0.0
        self._thread = threading.Thread(target=self._run, name="servelib-prediction-log", daemon=True)
        self._thread.start()

    # ---- the request side: never blocks, never raises -----------------------------------------
    def rate_for(self, model: Any) -> float:
        spec_logging = getattr(getattr(model, "spec", None), "logging", None) or {}
        return float(spec_logging.get("sample_rate", self.sample_rate))

    def __call__(self, model: Any, request: Any, instances: Sequence[dict], response: Any,
                 seconds: float) -> None:
        rate = self.rate_for(model)
        if rate <= 0.0 or (rate < 1.0 and self._rng() >= rate):
            return
        self.counts["sampled_requests"] += 1
        now_ms = int(time.time() * 1000)
        part = getattr(getattr(model, "spec", None), "partitioning", None)
        for i, (row, result) in enumerate(zip(instances, response.results)):
            record = PredictionRecord.build(
                prediction_id=response.prediction_ids[i], model=response.model,
                version=response.version, arm=request.version,
                partition=None if part is None else _text(row.get(part.field)),
                timestamp_ms=now_ms, inputs=row, outputs=result.outputs,
                error=None if result.error is None else str(result.error),
                latency_ms=seconds * 1000.0)
            try:
                self._queue.put_nowait(record)
            except queue.Full:
                self._count("dropped", 1)

    # ---- the background side -----------------------------------------------------------------
    def _run(self) -> None:
        batch: list[PredictionRecord] = []
        deadline = time.monotonic() + self.flush_seconds
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                item = None
            if item is _STOP:
                self._flush(batch)
                return
            if item is not None:
                batch.append(item)
            if len(batch) >= self.batch_size or time.monotonic() >= deadline:
                self._flush(batch)
                batch = []
                deadline = time.monotonic() + self.flush_seconds

    def _flush(self, batch: list[PredictionRecord]) -> None:
        if not batch:
            return
        try:
            self.sink.write(batch)
        except Exception as exc:  # noqa: BLE001 - any sink failure is counted, never raised
            self._count("failed", len(batch))
            now = time.monotonic()
            if now - self._last_warning > 60:
                self._last_warning = now
                log.warning("prediction log sink failed, %d records lost: %s", len(batch), exc)
        else:
            self._count("written", len(batch))

    def _count(self, outcome: str, n: int) -> None:
        self.counts[outcome] += n
        if self._metrics is not None:
            self._metrics.prediction_log.labels(outcome).inc(n)

    def close(self, timeout: float = 5.0) -> None:
        """Flush what is queued (waiting at most ``timeout`` seconds) and stop."""
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)
        self.sink.close()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
