"""Prometheus metrics of one serving process, recorded by the DataPlane and the registry only.

Each DataPlane owns a CollectorRegistry (not the global one), so tests and several planes in one
process never clash; with ``--workers N`` every worker process exports its own series, and the
scraper sums them (each worker is a separate target, or add a ``worker`` label upstream).
Model labels only ever carry names the repository knows ("_unknown" otherwise), so a client
cannot grow the label set by asking for made-up models.
"""

from __future__ import annotations

from typing import Any, NamedTuple

try:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
except ImportError as exc:  # pragma: no cover - the [server] extra installs it
    raise ImportError("the prediction service needs prometheus-client: "
                      "pip install 'servelib[server]'") from exc

# Sub-millisecond resolution where a one-row score lives (20-100 us), then up to seconds.
LATENCY_BUCKETS = (
    25e-6, 50e-6, 100e-6, 200e-6, 300e-6, 500e-6, 750e-6,
    1e-3, 2e-3, 3e-3, 5e-3, 7.5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1.0, 2.5,
)
UNKNOWN_MODEL = "_unknown"


class ModelSeries(NamedTuple):
    ok: Any
    features: Any
    scoring: Any
    total: Any


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter("servelib_requests", "Predict requests by model and status "
                                "(OK or the error status)", ["model", "status"], registry=r)
        self.instance_errors = Counter("servelib_instance_errors", "Rows answered with an error "
                                       "inside an OK request", ["model", "status"], registry=r)
        self.latency = Histogram("servelib_request_seconds", "Predict latency by phase: "
                                 "features (lookup), scoring, total", ["model", "phase"],
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.loads = Counter("servelib_model_loads", "Model version loads by result (ok, failed)",
                             ["model", "result"], registry=r)
        self.load_seconds = Histogram("servelib_model_load_seconds", "Time to load a version",
                                      ["model"], buckets=(.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30,
                                                          60), registry=r)
        self.loaded = Gauge("servelib_models_loaded", "Model versions in memory", registry=r)
        self.memory = Gauge("servelib_model_memory_bytes", "Measured footprint of a loaded "
                            "version (registry/footprint.py)", ["model", "version"], registry=r)
        self.evictions = Counter("servelib_registry_evictions", "Versions evicted to stay within "
                                 "the memory budget", ["model"], registry=r)
        # online features (servelib/features): lookups, misses, stale values; store failures by
        # kind (timeout, error, rejected while the breaker is open); breaker state per store
        self.feature_lookups = Counter("servelib_feature_lookups", "Entity lookups by model, "
                                       "feature group and result (lookup, miss, stale)",
                                       ["model", "group", "result"], registry=r)
        self.store_failures = Counter("servelib_feature_store_failures", "Failed feature store "
                                      "calls by store and kind (timeout, error, rejected)",
                                      ["store", "kind"], registry=r)
        self.breaker_open = Gauge("servelib_feature_store_breaker_open", "1 while a store's "
                                  "circuit breaker is open or half-open", ["store"], registry=r)
        # sampled prediction logs (servelib/monitoring): records written, dropped, failed
        self.prediction_log = Counter("servelib_prediction_log_records", "Logged prediction "
                                      "records by outcome (written, dropped, failed)", ["outcome"],
                                      registry=r)

        self._series: dict[str, ModelSeries] = {}

    def series(self, model: str) -> ModelSeries:
        """The per-request series of one model, looked up once (``labels()`` costs ~1 us)."""
        found = self._series.get(model)
        if found is None:
            found = self._series[model] = ModelSeries(
                self.requests.labels(model, "OK"), self.latency.labels(model, "features"),
                self.latency.labels(model, "scoring"), self.latency.labels(model, "total"))
        return found

    def exposition(self) -> bytes:
        """The text format /metrics serves."""
        return generate_latest(self.registry)
