"""An open-loop load over gRPC (pre-serialized bytes) or HTTP/1.1 (pre-built request bytes on
keep-alive connections): call i is scheduled at t0 + i/rate and its latency counts from that
intended send time, so a server that falls behind shows its queueing (no coordinated omission).
Both clients send bytes built once, so the client costs the same for every row of a table."""

from __future__ import annotations

import asyncio
import contextlib
import time
import numpy as np

WARMUP = 200  # sequential calls per connection before the measurement
SPECTRUM = (50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.99, 100.0)  # percentiles kept for plots


class GrpcCaller:
    """Unary calls of one method over ``channels`` TCP connections, with x-model-id."""

    def __init__(self, port: int, method: str, payload: bytes, channels: int = 1,
                 model: str = "gbt") -> None:
        import grpc

        options = [("grpc.use_local_subchannel_pool", 1)]  # one TCP connection per channel
        self.channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=options)
                         for _ in range(channels)]
        self.calls = [c.unary_unary(method) for c in self.channels]
        self.payload, self.metadata = payload, (("x-model-id", model),)

    async def warm_up(self) -> int:
        for call in self.calls:
            for _ in range(WARMUP):
                await call(self.payload, metadata=self.metadata, timeout=10)
        return WARMUP * len(self.calls)

    async def __call__(self, i: int) -> None:
        await self.calls[i % len(self.calls)](self.payload, metadata=self.metadata, timeout=10)

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()


class HttpCaller:
    """POST of one JSON body over a pool of keep-alive HTTP/1.1 connections (a call waits for
    an idle connection; that wait counts in its latency, as a queue in front of the server)."""

    def __init__(self, port: int, path: str, body: bytes, connections: int = 8) -> None:
        self.port, self.size = port, connections
        self.request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                        f"\r\n").encode() + body
        self.idle: asyncio.Queue = asyncio.Queue()
        self.open: list[asyncio.StreamWriter] = []

    async def _one(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        async with asyncio.timeout(10):  # the gRPC calls' deadline too
            await self._exchange(*conn)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                        ) -> None:
        writer.write(self.request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        await reader.readexactly(length)
        if status != b"200":
            raise ConnectionError(f"HTTP {status.decode()}")

    async def _connect(self, timeout: float = 10.0
                       ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """servelib prints "serving" before uvicorn listens: retry a refused connection."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return await asyncio.open_connection("127.0.0.1", self.port)
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.02)

    async def warm_up(self) -> int:
        per_connection = WARMUP // self.size + 1
        for _ in range(self.size):
            conn = await self._connect()
            self.open.append(conn[1])
            for _ in range(per_connection):
                await self._one(conn)
            self.idle.put_nowait(conn)
        return per_connection * self.size

    async def __call__(self, i: int) -> None:
        conn = await self.idle.get()
        try:
            await self._one(conn)
        except BaseException:
            conn[1].close()  # a half-read response would poison the next call on it
            conn = await self._connect()
            self.open.append(conn[1])
            raise
        finally:
            self.idle.put_nowait(conn)

    async def close(self) -> None:
        for writer in self.open:
            writer.close()


async def open_loop(caller: GrpcCaller | HttpCaller, rate: float, seconds: float
                    ) -> dict[str, float | int | dict[str, float]]:
    """p50/p99/p99.9 in ms, errors (failed or unfinished calls), the latency spectrum, and the
    number of warm-up calls made before the measurement."""
    warmup = await caller.warm_up()
    n = int(rate * seconds)
    latencies = np.full(n, np.nan)

    async def one(i: int, intended: float) -> None:
        with contextlib.suppress(Exception):  # a failed call stays NaN: an error
            await caller(i)
            latencies[i] = time.perf_counter() - intended

    tasks = []
    t0 = time.perf_counter() + 0.05
    for i in range(n):
        intended = t0 + i / rate
        delay = intended - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(i, intended)))
    await asyncio.wait(tasks, timeout=15)  # every call has a 10 s deadline anyway
    for task in tasks:
        task.cancel()
    await caller.close()
    done = latencies[~np.isnan(latencies)] * 1e3
    return {**summary(done, n - len(done), n), "warmup": warmup}


def summary(done_ms: np.ndarray, errors: int, n: int) -> dict:
    if not len(done_ms):
        nan = float("nan")
        return {"p50": nan, "p99": nan, "p999": nan, "errors": errors, "n": n, "spectrum": {}}
    spectrum = {f"{p:g}": float(v) for p, v in zip(SPECTRUM, np.percentile(done_ms, SPECTRUM))}
    return {"p50": spectrum["50"], "p99": spectrum["99"], "p999": spectrum["99.9"],
            "errors": errors, "n": n, "spectrum": spectrum}
