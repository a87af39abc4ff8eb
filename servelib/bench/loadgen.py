"""The open-loop engine: client processes that send at a fixed offered rate, whatever answers.

Request i of a process is due at ``t0 + a_i`` (``a_i`` spaced 1/rate apart, or exponential gaps
for Poisson arrivals) and is sent then, never later because an earlier one is still waiting, so
a slow server shows as latency instead of a lower rate (coordinated omission). Latency is
recorded twice into HdrHistograms (microseconds, timed with ``time.perf_counter``: uvloop's
``loop.time()`` only moves in whole milliseconds): from the intended send time (corrected: what a
user arriving at that moment sees) and from the actual send time (uncorrected). The gap between
intended and actual send (the generator's own lag) is recorded too: when it grows the generator,
not the server, is the bottleneck, and the report says so. Requests of the warm-up are sent but
not recorded. Every process is bounded in requests and seconds.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

HIGHEST_US = 60_000_000  # 60 s: anything slower is recorded as 60 s


@dataclass(frozen=True)
class Plan:
    target: str
    method: str
    payloads: list[bytes]
    rate: float  # this process's share, requests per second
    seconds: float
    warmup: float = 1.0
    arrivals: str = "constant"  # or "poisson"
    seed: int = 0
    timeout: float = 5.0
    metadata: tuple[tuple[str, str], ...] = ()
    max_requests: int = 1_000_000
    max_outstanding: int = 10_000


def histogram() -> Any:
    from hdrh.histogram import HdrHistogram

    return HdrHistogram(1, HIGHEST_US, 3)


def run(plan: Plan) -> dict[str, Any]:
    """One client process's whole run (a multiprocessing target: a picklable result)."""
    try:
        import uvloop  # sub-millisecond timers are steadier on uvloop
    except ImportError:
        return asyncio.run(_run(plan))
    return uvloop.run(_run(plan))


async def _run(plan: Plan) -> dict[str, Any]:
    import grpc

    corrected, uncorrected, lag = histogram(), histogram(), histogram()
    statuses: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    channel = grpc.aio.insecure_channel(plan.target)
    call = channel.unary_unary(plan.method)
    try:
        await asyncio.wait_for(channel.channel_ready(), 10)
    except asyncio.TimeoutError:
        await channel.close()
        return {"error": f"cannot connect to {plan.target} within 10 s"}
    rng = random.Random(plan.seed)
    outstanding: set[asyncio.Task] = set()
    sent = dropped = 0
    total = plan.warmup + plan.seconds

    async def one(payload: bytes, intended: float, actual: float, measured: bool) -> None:
        try:
            await call(payload, timeout=plan.timeout, metadata=plan.metadata)
            status = "OK"
        except grpc.aio.AioRpcError as exc:
            status = exc.code().name
        if measured:
            end = time.perf_counter()
            corrected.record_value(min(HIGHEST_US, max(1, int((end - intended) * 1e6))))
            uncorrected.record_value(min(HIGHEST_US, max(1, int((end - actual) * 1e6))))
            statuses[status] += 1

    start = time.perf_counter() + 0.01
    offset = 0.0
    while sent + dropped < plan.max_requests:
        offset += rng.expovariate(plan.rate) if plan.arrivals == "poisson" else 1.0 / plan.rate
        if offset > total:
            break
        intended = start + offset
        delay = intended - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        actual = time.perf_counter()
        measured = offset >= plan.warmup
        if measured:
            lag.record_value(min(HIGHEST_US, max(1, int((actual - intended) * 1e6))))
        if len(outstanding) >= plan.max_outstanding:
            dropped += 1
            if measured:
                statuses["CLIENT_SATURATED"] += 1
            continue
        task = loop.create_task(one(plan.payloads[sent % len(plan.payloads)], intended, actual,
                                    measured))
        outstanding.add(task)
        task.add_done_callback(outstanding.discard)
        sent += 1
    if outstanding:
        await asyncio.wait(outstanding, timeout=plan.timeout + 1)
    await channel.close()
    return {
        "corrected": corrected.encode(), "uncorrected": uncorrected.encode(), "lag": lag.encode(),
        "statuses": dict(statuses), "sent": sent, "dropped": dropped,
        "measured_seconds": plan.seconds, "offered": plan.rate,
    }


def run_processes(plan: Plan, processes: int) -> list[dict[str, Any]]:
    """``plan`` split over ``processes`` client processes (spawned: no gRPC state is forked)."""
    import multiprocessing

    if processes <= 1:
        return [run(plan)]
    share = plan.rate / processes
    plans = [Plan(**{**plan.__dict__, "rate": share, "seed": plan.seed + i,
                     "max_requests": math.ceil(plan.max_requests / processes)})
             for i in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return pool.map(run, plans)
