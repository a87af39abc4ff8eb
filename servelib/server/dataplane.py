"""The DataPlane: the only place a request becomes a prediction (gRPC and HTTP only convert).

    resolve model (registry: version, alias, split by key) -> feature lookup hook (issue 11;
    a no-op for now) -> score -> prediction-log hook (issue 13; a no-op for now)

Whole-request problems raise (ModelNotFound, ModelUnavailable, InvalidInput for an empty or
oversized batch, unknown outputs or keys of the wrong length); a row that cannot be scored gets
its own error in its InstanceResult and the other rows are answered. Transports map
``exc.status`` to their codes, once each.

Life cycle: ``build_dataplane(...)``, then ``await plane.start()`` in the serving event loop
(preload, repository polling), ``drain()`` on SIGTERM (``ready()`` turns False; requests still
arriving are served, so the transport stops accepting and ``await plane.wait_idle(grace)``),
``await plane.close()``.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servelib.errors import InvalidInput, ModelUnavailable, ServelibError, Unauthenticated
from servelib.registry.loaded import LoadedModel
from servelib.registry.registry import Registry, VersionState
from servelib.registry.repository import Repository
from servelib.registry.schema import input_tensors, model_record, output_tensors
from servelib.server.metrics import UNKNOWN_MODEL, Metrics
from servelib.server.scoring import score_rows

Row = Mapping[str, Any]
log = logging.getLogger("servelib.dataplane")


@dataclass(frozen=True)
class PredictRequest:
    model: str
    instances: Sequence[Row]                       # row dicts: str/float/int/bool/None/vectors
    version: str | None = None                     # "3", or an alias "production"; None: default
    keys: Sequence[str | None] | None = None       # per-instance entity/routing key
    outputs: Sequence[str] | None = None           # columns to return; None: the spec's default
    request_id: str | None = None


@dataclass
class InstanceResult:
    outputs: dict[str, Any] | None                 # column -> value (vectors as Dense/SparseVector)
    error: ServelibError | None = None             # per-row error (InvalidInput, RowSkipped)


@dataclass
class PredictResponse:
    model: str
    version: str                                   # the concrete version that scored
    results: list[InstanceResult]
    prediction_ids: list[str]                      # one per instance (outcomes join on it)


@dataclass(frozen=True)
class TensorSpec:
    name: str
    datatype: str                                  # "BYTES" | "FP64" | "INT64" | "INT32" | "BOOL"
    shape: tuple[int, ...]                         # (-1,) scalars; (-1, n) vectors (n=-1 unknown)


@dataclass
class ModelMetadata:
    name: str
    versions: list[str]
    platform: str                                  # "spark-ml"
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    record: dict[str, Any]                         # Spark classes, versions, params, spec record


@dataclass
class ModelStatus:
    name: str
    version: str
    state: str                                     # "AVAILABLE" | "LOADING" | "UNLOADED" | "FAILED"
    reason: str = ""
    memory_bytes: int = 0


# Hooks the feature (issue 11) and logging (issue 13) work plugs in; the defaults do nothing.
FeatureHook = Callable[[LoadedModel, Sequence[Row], Sequence[str | None] | None],
                       Awaitable[Sequence[Row]]]
LogHook = Callable[[LoadedModel, PredictRequest, Sequence[Row], "PredictResponse", float], None]


async def no_features(model: LoadedModel, instances: Sequence[Row],
                      keys: Sequence[str | None] | None) -> Sequence[Row]:
    return instances


def no_logging(model: LoadedModel, request: PredictRequest, instances: Sequence[Row],
               response: PredictResponse, seconds: float) -> None:
    return None


class DataPlane:
    # Requests of up to this many rows are scored on the event loop, bigger ones in a thread.
    # benchmarks/bench_dataplane_inline.py, one row, loaded 2-core VM (load average 22), p50:
    # demo LR pipeline 18 us inline vs 91 us through asyncio.to_thread, GBT pipeline 20 us vs
    # 88 us: the hop costs ~70 us, several one-row scores. Up to 32 rows (score_instances'
    # row-kernel limit) scoring is pure Python, ~11 us a row (32 rows: 0.34 ms demo, 0.37 ms
    # GBT, best of 50), and a thread would not free the loop anyway: it holds the GIL for up to
    # the 5 ms switch interval. Longer lists take the NumPy batch path, which releases the GIL
    # inside array operations, so there a thread lets other requests move.
    inline_rows = 32

    def __init__(self, registry: Registry, *, max_batch: int = 1024,
                 admin_token: str | None = None, preload: Sequence[str] = (),
                 poll_interval: float | None = None) -> None:
        self.registry = registry
        self.metrics: Metrics = registry.metrics
        self.max_batch = max_batch
        self.features: FeatureHook = no_features
        self.prediction_log: LogHook = no_logging
        self._admin_token = admin_token
        self._preload = tuple(preload)
        self._poll_interval = poll_interval
        self._started = not self._preload
        self._draining = False
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._metadata: dict[tuple[str, str], tuple[LoadedModel, ModelMetadata]] = {}
        # prediction ids: a random 128-bit prefix per process and a counter (unique across
        # workers and restarts, and a third of uuid4's cost per request)
        self._id_prefix = uuid.uuid4().hex
        self._ids = itertools.count()

    def _next_id(self) -> str:
        return f"{self._id_prefix}.{next(self._ids):x}"

    # ---- life cycle --------------------------------------------------------------------------
    async def start(self) -> dict[str, str]:
        """Preload and start polling; returns {preload entry: problem} for failed preloads."""
        problems = await self.registry.preload(self._preload)
        if self._poll_interval:
            self.registry.start_polling(self._poll_interval)
        self._started = True
        return problems

    def live(self) -> bool:
        return True

    def ready(self) -> bool:
        return self._started and not self._draining

    def drain(self) -> None:
        self._draining = True

    @property
    def inflight(self) -> int:
        return self._inflight

    async def wait_idle(self, timeout: float) -> bool:
        """True once no predict is running (within ``timeout`` seconds)."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        await self.registry.close()
        for hook in (self.features, self.prediction_log):
            close = getattr(hook, "close", None)
            if close is not None:
                result = close()
                if asyncio.iscoroutine(result):
                    await result

    # ---- predictions -------------------------------------------------------------------------
    async def predict(self, request: PredictRequest) -> PredictResponse:
        start = time.perf_counter()
        label = UNKNOWN_MODEL
        self._inflight += 1
        self._idle.clear()
        try:
            self._check(request)
            model = await self.registry.get(request.model, request.version,
                                            _routing_key(request.keys))
            label = model.name
            outputs = self._outputs(model, request.outputs)
            t_features = time.perf_counter()
            instances = request.instances
            if model.spec.features:  # skip a coroutine round for models without lookups
                instances = await self.features(model, instances, request.keys)
            t_score = time.perf_counter()
            results = await self._score(model, instances, outputs)
            t_done = time.perf_counter()
            base = request.request_id or self._next_id()
            response = PredictResponse(model.name, model.version, results,
                                       [f"{base}-{i}" for i in range(len(results))])
            try:
                self.prediction_log(model, request, instances, response, t_done - start)
            except Exception:  # noqa: BLE001 - logging must never fail a prediction
                log.exception("prediction log hook failed (model %r)", model.name)
        except Exception as exc:  # counted by status (a bug counts as INTERNAL), then raised
            if self.registry.knows(request.model):
                label = request.model
            self.metrics.requests.labels(label, getattr(exc, "status", "INTERNAL")).inc()
            raise
        finally:
            self._inflight -= 1
            if not self._inflight:
                self._idle.set()
        series = self.metrics.series(label)
        series.ok.inc()
        series.features.observe(t_score - t_features)
        series.scoring.observe(t_done - t_score)
        series.total.observe(time.perf_counter() - start)
        for r in results:
            if r.error is not None:
                self.metrics.instance_errors.labels(label, r.error.status).inc()
        return response

    def _check(self, request: PredictRequest) -> None:
        n = len(request.instances)
        if n == 0:
            raise InvalidInput(f"model {request.model!r}: empty batch (send at least one "
                               "instance)", column="instances")
        if n > self.max_batch:
            raise InvalidInput(f"model {request.model!r}: batch of {n} instances is over the "
                               f"limit of {self.max_batch}", column="instances")
        if request.keys is not None and len(request.keys) != n:
            raise InvalidInput(f"model {request.model!r}: {len(request.keys)} keys for {n} "
                               "instances", column="keys")

    def _outputs(self, model: LoadedModel, wanted: Sequence[str] | None) -> tuple[str, ...]:
        if wanted is None or len(wanted) == 0:
            return model.default_outputs()
        known = set(model.main.output_columns()) | set(model.main.input_columns())
        for column in wanted:
            if column not in known:
                raise InvalidInput(f"model {model.name!r} version {model.version!r} has no "
                                   f"output {column!r} (outputs: "
                                   f"{list(model.main.output_columns())})", column="outputs")
        return tuple(wanted)

    async def _score(self, model: LoadedModel, instances: Sequence[Row],
                     outputs: tuple[str, ...]) -> list[InstanceResult]:
        if len(instances) <= self.inline_rows:
            rows = score_rows(model, instances, outputs)
        else:
            rows = await asyncio.to_thread(score_rows, model, instances, outputs)
        return [InstanceResult(None, r) if isinstance(r, ServelibError) else InstanceResult(r)
                for r in rows]

    # ---- models ------------------------------------------------------------------------------
    async def model_metadata(self, name: str, version: str | None = None) -> ModelMetadata:
        view = await self.registry.view(name)
        model = await self.registry.get(name, version)
        cached = self._metadata.get((name, model.version))
        if cached is not None and cached[0] is model and cached[1].versions == list(view.versions):
            return cached[1]
        metadata = ModelMetadata(
            name=name, versions=list(view.versions), platform="spark-ml",
            inputs=[TensorSpec(*t) for t in input_tensors(model)],
            outputs=[TensorSpec(*t) for t in output_tensors(model, model.default_outputs())],
            record={"version": model.version, **model_record(model)},
        )
        # describe() walks every stage: built once per loaded version, not per OIP request.
        # An entry whose version the registry dropped (a deploy retired it, eviction, unload)
        # would keep that whole model in memory: a cache miss clears them all.
        for key in [k for k, (m, _) in self._metadata.items()
                    if self.registry.loaded(*k) is not m]:
            del self._metadata[key]
        self._metadata[(name, model.version)] = (model, metadata)
        return metadata

    async def list_models(self) -> list[ModelStatus]:
        states = [_status(s) for s in self.registry.states()]
        known = {s.name for s in states}
        names = await self.registry.model_names()
        return states + [ModelStatus(n, "", "UNLOADED") for n in names if n not in known]

    async def model_ready(self, name: str, version: str | None = None) -> bool:
        """True when the version a request would get is in memory (never loads it)."""
        view = await self.registry.view(name)
        return self.registry.loaded(name, view.resolve(version)) is not None

    async def load_model(self, name: str, version: str | None = None) -> ModelStatus:
        """Re-read the model's folder and load ``version`` (default: what it routes to).
        A failed load comes back as state FAILED with the reason; what served keeps serving."""
        problems = await self.registry.refresh([name])
        view = await self.registry.view(name)
        # a version the published view does not list yet (its deploy failed) may still be
        # loaded by name: that is how an operator retries it
        concrete = view.resolve(version) if version is None or version in view.config.aliases \
            else version
        try:
            await self.registry.ensure(name, concrete, retry=True)
        except ModelUnavailable as exc:
            problems[name] = str(exc)
        else:
            if concrete not in view.versions:  # now it loads: publish the folder's view
                problems = await self.registry.refresh([name])
        status = _status(self.registry.state(name, concrete))
        if name in problems:
            status.state, status.reason = "FAILED", problems[name]
        return status

    async def refresh(self) -> dict[str, str]:
        """Re-read every model in use from the repository now, as polling does; returns
        {model: problem} for models that kept their serving versions."""
        return await self.registry.refresh()

    async def unload_model(self, name: str, version: str | None = None) -> ModelStatus:
        dropped = self.registry.unload(name, version)
        return ModelStatus(name, ",".join(dropped) or (version or ""), "UNLOADED")

    def check_admin(self, token: str | None) -> None:
        if self._admin_token is None:
            raise Unauthenticated("admin calls are disabled: the server has no admin token")
        if token and token.startswith("Bearer "):
            token = token[len("Bearer "):]
        if not token or not hmac.compare_digest(token.encode(), self._admin_token.encode()):
            raise Unauthenticated("missing or wrong admin token")


def _routing_key(keys: Sequence[str | None] | None) -> str | None:
    """Splits route a whole request by its first key (one user, one arm)."""
    return next((k for k in keys if k is not None), None) if keys else None


def _status(state: VersionState) -> ModelStatus:
    return ModelStatus(*state)


def build_dataplane(repository: str, *, preload: Sequence[str] = (),
                    memory_budget: int | None = None, admin_token: str | None = None,
                    poll_interval: float | None = None, max_batch: int = 1024,
                    limits: Any = None, prediction_log: str | None = None,
                    log_sample_rate: float = 0.0) -> DataPlane:
    """A DataPlane over the repository at ``repository`` (path or URI); ``await start()`` it.
    Online features (a model's spec ``features``) are looked up through shared store
    connections; with ``prediction_log`` (a Parquet root or a redis:// URL) sampled predictions
    are logged there, at each model's ``logging.sample_rate`` or ``log_sample_rate``."""
    from servelib.features.lookup import OnlineFeatures, Stores

    registry = Registry(Repository(repository, limits=limits), memory_budget=memory_budget)
    plane = DataPlane(registry, max_batch=max_batch, admin_token=admin_token, preload=preload,
                      poll_interval=poll_interval)
    plane.features = OnlineFeatures(Stores(registry.metrics))
    if prediction_log:
        from servelib.monitoring.logger import PredictionLogger
        from servelib.monitoring.sinks import open_sink

        plane.prediction_log = PredictionLogger(open_sink(prediction_log),
                                                sample_rate=log_sample_rate,
                                                metrics=registry.metrics)
    return plane
