"""The registry: which model versions are in memory, loading them, and swapping them safely.

- Lazy: a version loads on its first request; concurrent requests for it wait on ONE load (a
  shared future; the load runs in a task, so a cancelled request does not cancel it).
- Loads run in a thread pool, never on the event loop. (A process pool would isolate the GIL,
  but a loaded pipeline holds compiled row kernels that cannot be pickled back.)
- LRU within a memory budget measured per version (footprint.py); evicting only drops the
  registry's reference, so requests already holding the model finish on it.
- Hot deploy: ``refresh`` (polled, or an admin call) re-reads a model's folder; a new view
  (versions, aliases, splits) is published only after every version it can route to has loaded.
  A version that fails to load never replaces the serving one: the failure is logged, counted
  (servelib_model_loads{result="failed"}) and shown in the model's status, and it is retried at
  the next refresh. Versions are immutable: publish changes as a new version folder.
- A dropped version's memory comes back promptly: a loaded pipeline is full of reference cycles
  (each stage caches its row kernel, a closure that refers back to the stage), so dropping the
  last reference frees nothing until the cyclic collector's next full pass, which on a busy
  server may be minutes and many reloads away (the soak, tests/server/soak.py, saw RSS climb
  ~90 KB with every reload of the GBT pipeline until one came). So a drop schedules one full
  ``gc.collect()`` ``COLLECT_DELAY`` seconds later (in-flight requests on the old version finish
  first; drops in between share it). It pauses the event loop like any full pass (0.08-0.26 s
  measured with ~160k objects on a busy 2-core machine), once per deploy, unload or eviction
  burst.
- No full pass in between: the collector's own full passes over a serving heap (~130k
  long-lived objects: modules, loaded pipelines) take 35-50 ms on this VM and stalled requests
  at random (the Predict p99.9 of benchmarks/bench_service.py). So a server settles its heap
  once it has preloaded (:func:`settle_heap`: collect, then ``gc.freeze()``, which takes every
  surviving object out of the collector's reach), and the drop's collection unfreezes, collects
  and freezes again, so a frozen version is still freed.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, TypeVar

from servelib.errors import ModelNotFound, ModelUnavailable, ServelibError
from servelib.registry.loaded import LoadedModel
from servelib.registry.names import check_name
from servelib.registry.repository import Repository
from servelib.registry.routing import ModelView
from servelib.server.metrics import Metrics

log = logging.getLogger("servelib.registry")
T = TypeVar("T")
Key = tuple[str, str]
COLLECT_DELAY = 1.0  # seconds from dropping a version to the full collection that frees it


class VersionState(NamedTuple):
    name: str
    version: str
    state: str  # AVAILABLE | LOADING | UNLOADED | FAILED
    reason: str = ""
    memory_bytes: int = 0


class Registry:
    def __init__(self, repository: Repository, *, memory_budget: int | None = None,
                 metrics: Metrics | None = None, load_threads: int = 2) -> None:
        self.repository = repository
        self.memory_budget = memory_budget
        self.metrics = metrics or Metrics()
        self._pool = ThreadPoolExecutor(load_threads, thread_name_prefix="servelib-load")
        self._views: dict[str, ModelView] = {}
        self._loaded: OrderedDict[Key, LoadedModel] = OrderedDict()
        self._loading: dict[Key, asyncio.Future[LoadedModel]] = {}
        self._failed: dict[Key, str] = {}
        self._poller: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references
        self._collect: asyncio.TimerHandle | None = None

    async def _io(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    # ---- requests --------------------------------------------------------------------------
    async def view(self, name: str) -> ModelView:
        found = self._views.get(name)
        if found is None:
            found = await self._io(self.repository.view, check_name(name))
            found = self._views.setdefault(name, found)
        return found

    async def get(self, name: str, version: str | None = None, key: str | None = None
                  ) -> LoadedModel:
        """The loaded version serving (name, version or alias or default, routing key)."""
        view = self._views.get(name) or await self.view(name)
        if version is not None:
            check_name(version, "version")
        concrete = view.resolve(version, key)
        model = self._loaded.get((name, concrete))
        if model is not None:
            self._loaded.move_to_end((name, concrete))
            return model
        return await self.ensure(name, concrete)

    async def ensure(self, name: str, version: str, *, retry: bool = False) -> LoadedModel:
        """The version loaded (loading it once however many callers wait)."""
        key = (check_name(name), check_name(version, "version"))
        if key in self._loaded:
            return self._loaded[key]
        if key in self._failed and not retry and key not in self._loading:
            raise self._unavailable(key)
        future = self._loading.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._loading[key] = future
            task = asyncio.ensure_future(self._load(key, future))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(future)

    def _unavailable(self, key: Key) -> ModelUnavailable:
        return ModelUnavailable(f"model {key[0]!r} version {key[1]!r} failed to load: "
                                f"{self._failed[key]}")

    async def _load(self, key: Key, future: asyncio.Future[LoadedModel]) -> None:
        name, version = key
        try:
            model = await self._io(self.repository.load, name, version)
        except ModelNotFound as exc:
            future.set_exception(exc)
        except Exception as exc:  # noqa: BLE001 - any failure must leave the serving version be
            reason = str(exc) if isinstance(exc, ServelibError) else f"{type(exc).__name__}: {exc}"
            log.error("model %r version %r failed to load: %s", name, version, reason,
                      exc_info=not isinstance(exc, ServelibError))
            self._failed[key] = reason
            self.metrics.loads.labels(name, "failed").inc()
            future.set_exception(self._unavailable(key))
        else:
            self._failed.pop(key, None)
            self._loaded[key] = model
            self.metrics.loads.labels(name, "ok").inc()
            self.metrics.load_seconds.labels(name).observe(model.load_seconds)
            self.metrics.memory.labels(name, version).set(model.memory_bytes)
            log.info("loaded model %r version %r (%d bytes, %.3f s)", name, version,
                     model.memory_bytes, model.load_seconds)
            self._evict(keep=key)
            self.metrics.loaded.set(len(self._loaded))
            future.set_result(model)
        finally:
            del self._loading[key]
            if future.done():
                future.exception()  # retrieved: every waiter may have been cancelled

    def _evict(self, keep: Key) -> None:
        if self.memory_budget is None:
            return
        total = sum(m.memory_bytes for m in self._loaded.values())
        for key in list(self._loaded):  # least recently used first
            if total <= self.memory_budget:
                break
            if key != keep:
                total -= self._drop(key)
                self.metrics.evictions.labels(key[0]).inc()
                log.info("evicted model %r version %r (memory budget)", *key)

    def _drop(self, key: Key) -> int:
        model = self._loaded.pop(key)
        self.metrics.memory.remove(*key)
        self.metrics.loaded.set(len(self._loaded))
        if self._collect is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # dropped outside the serving loop: the collector's own pace
                pass
            else:
                self._collect = loop.call_later(COLLECT_DELAY, self._collect_now)
        return model.memory_bytes

    def _collect_now(self) -> None:
        self._collect = None
        frozen = gc.get_freeze_count() > 0
        if frozen:
            gc.unfreeze()
        gc.collect()
        if frozen:
            gc.freeze()

    # ---- deployment ------------------------------------------------------------------------
    async def refresh(self, names: Sequence[str] | None = None) -> dict[str, str]:
        """Re-read the models' folders and publish what loads; returns {model: problem}."""
        problems: dict[str, str] = {}
        for name in list(self._views) if names is None else names:
            problem = await self._refresh_one(name)
            if problem:
                problems[name] = problem
        return problems

    async def _refresh_one(self, name: str) -> str | None:
        try:
            new = await self._io(self.repository.view, check_name(name))
        except ServelibError as exc:  # folder gone or model.json broken: keep serving
            log.error("model %r: keeping the current versions: %s", name, exc)
            return str(exc)
        for key in [k for k in self._failed if k[0] == name]:
            del self._failed[key]  # retried by the loads below or by the next request
        old = self._views.get(name)
        if old is not None and new != old:
            # versions the new view would route to for the first time must load before it is
            # published; the others serve already or load lazily (so a version evicted by the
            # memory budget is not reloaded by every poll)
            fresh = sorted(new.targets() - old.targets())
            results = await asyncio.gather(*(self.ensure(name, v) for v in fresh),
                                           return_exceptions=True)
            failed = [str(r) for r in results if isinstance(r, BaseException)]
            if failed:
                log.error("model %r: keeping the current versions: %s", name, "; ".join(failed))
                return "; ".join(failed)
        self._views[name] = new
        for key in [k for k in self._loaded if k[0] == name and k[1] not in new.versions]:
            self._drop(key)  # deleted from the repository
        return None

    async def preload(self, entries: Sequence[str]) -> dict[str, str]:
        """Load ``name`` or ``name:version`` entries now; returns {entry: problem}."""
        async def one(entry: str) -> None:
            name, _, version = entry.partition(":")
            await self.get(name, version or None)

        results = await asyncio.gather(*(one(e) for e in entries), return_exceptions=True)
        problems = {e: str(r) for e, r in zip(entries, results) if isinstance(r, BaseException)}
        for entry, problem in problems.items():
            log.error("preload %s failed: %s", entry, problem)
        return problems

    def start_polling(self, interval: float) -> None:
        async def poll() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await self.refresh()
                except Exception:  # noqa: BLE001 - the poller must survive anything
                    log.exception("repository poll failed")

        self._poller = asyncio.ensure_future(poll())

    def unload(self, name: str, version: str | None = None) -> list[str]:
        """Drop versions from memory (all of the model's when ``version`` is None); the next
        request loads them again. Returns the versions dropped."""
        check_name(name)
        view = self._views.get(name)
        if version is None:
            self._views.pop(name, None)
            wanted = {k[1] for k in self._loaded if k[0] == name}
        elif view is not None and version in view.config.aliases:
            target = view.config.aliases[version]
            wanted = {target} if isinstance(target, str) else set(target)
        else:
            wanted = {check_name(version, "version")}
        dropped = sorted(v for v in wanted if (name, v) in self._loaded)
        for v in dropped:
            self._drop((name, v))
        return dropped

    # ---- status ----------------------------------------------------------------------------
    def state(self, name: str, version: str) -> VersionState:
        key = (name, version)
        if key in self._loaded:
            return VersionState(name, version, "AVAILABLE",
                                memory_bytes=self._loaded[key].memory_bytes)
        if key in self._loading:
            return VersionState(name, version, "LOADING")
        if key in self._failed:
            return VersionState(name, version, "FAILED", self._failed[key])
        return VersionState(name, version, "UNLOADED")

    def states(self) -> list[VersionState]:
        keys = set(self._loaded) | set(self._loading) | set(self._failed)
        keys |= {(n, v) for n, view in self._views.items() for v in view.versions}
        return [self.state(*k) for k in sorted(keys)]

    async def model_names(self) -> list[str]:
        """Every model folder in the repository (read now)."""
        return await self._io(self.repository.models)

    def knows(self, name: str) -> bool:
        """Whether ``name`` is a model this registry has read (safe as a metric label)."""
        return name in self._views

    def loaded(self, name: str, version: str) -> LoadedModel | None:
        return self._loaded.get((name, version))

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        if self._collect is not None:
            self._collect.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)


def settle_heap() -> None:
    """Collect once, then freeze what survives (``gc.freeze``): the full passes of the cyclic
    collector stop traversing the long-lived heap (see the module docstring). For a serving
    process, after its preloads; a library user's process is left alone."""
    gc.collect()
    gc.freeze()
