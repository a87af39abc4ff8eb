"""Timeouts and a circuit breaker around any feature store: composition, one implementation.

Every call gets the store's ``timeout_ms`` (but an inline store's, the embedded one's, which never
wait on I/O and so could not be interrupted). Consecutive failures (a timeout, a connection error,
anything the driver raises) past ``failure_threshold`` open the breaker: calls then fail at once
with StoreUnavailable naming the store, for ``reset_s`` seconds; after that one call is let
through (half-open) and a success closes the breaker again. So a store that is down costs a
request microseconds, not a timeout each, and servelib recovers by itself when it is back.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from servelib.errors import ServelibError, StoreUnavailable
from servelib.features.base import FeatureStore, Lookups, Values

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class Breaker:
    def __init__(self, failure_threshold: int = 5, reset_s: float = 2.0,
                 clock: Any = time.monotonic) -> None:
        self.failure_threshold = failure_threshold
        self.reset_s = reset_s
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return CLOSED
        return HALF_OPEN if self.clock() - self.opened_at >= self.reset_s else OPEN

    def allow(self) -> bool:
        state = self.state
        if state == CLOSED:
            return True
        if state == HALF_OPEN and not self._trial:
            self._trial = True
            return True
        return False

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self._trial = False

    def failure(self) -> None:
        self.failures += 1
        if self._trial or self.failures >= self.failure_threshold:
            self.opened_at = self.clock()
        self._trial = False


class GuardedStore(FeatureStore):
    def __init__(self, store: FeatureStore, timeout_s: float, breaker: Breaker | None = None,
                 metrics: Any = None) -> None:
        self.store = store
        self.name = store.name
        self.inline = store.inline
        self.timeout_s = timeout_s
        self.breaker = breaker or Breaker()
        self.metrics = metrics
        self._state()  # the gauge exists (at 0) from the start; it moves with the state

    async def get_groups(self, lookups: Lookups) -> list[list[Values | None]]:
        breaker = self.breaker
        if breaker.opened_at is not None and not breaker.allow():
            self._count("rejected")
            raise StoreUnavailable(f"feature store {self.name!r} is unavailable (circuit open after "
                                   f"{breaker.failures} failures; retrying every "
                                   f"{breaker.reset_s:g} s)")
        try:
            if self.inline:  # never waits, so a timeout could not interrupt it
                result = await self.store.get_groups(lookups)
            else:
                async with asyncio.timeout(self.timeout_s):  # no extra task, unlike wait_for
                    result = await self.store.get_groups(lookups)
        except (TimeoutError, asyncio.TimeoutError) as exc:
            self._fail("timeout")
            raise StoreUnavailable(f"feature store {self.name!r} did not answer within "
                                   f"{self.timeout_s * 1000:g} ms") from exc
        except ServelibError:
            self._fail("error")
            raise
        except Exception as exc:  # noqa: BLE001 - any driver failure is the store being unwell
            self._fail("error")
            raise StoreUnavailable(f"feature store {self.name!r} failed: "
                                   f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        if breaker.failures or breaker.opened_at is not None:  # healthy calls touch nothing
            breaker.success()
            self._state()
        return result

    def _fail(self, kind: str) -> None:
        self.breaker.failure()
        self._count(kind)
        self._state()

    def _count(self, kind: str) -> None:
        if self.metrics is not None:
            self.metrics.store_failures.labels(self.name, kind).inc()

    def _state(self) -> None:
        if self.metrics is not None:
            self.metrics.breaker_open.labels(self.name).set(0 if self.breaker.state == CLOSED else 1)

    async def close(self) -> None:
        await self.store.close()
