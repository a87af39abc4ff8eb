"""A bounded soak of a real ``servelib serve`` process: mixed traffic over gRPC v1, OIP and HTTP
(tests/server/soak_traffic.py), admin calls and hot deploys in between, the server's memory and
open files sampled throughout. Shared by tests/server/test_soak.py (CI scale) and
benchmarks/soak_service.py (the full 600,000 requests).

What fails a soak:
- a lost request (a call that raised instead of answering) or a status its kind does not expect
  (``BAD_ANSWER`` included: a missing row, a row error where none belongs, a version that was
  not deployed);
- memory growth: a least-squares line through the RSS samples after the warm-up (the first
  ``warmup`` share of requests, and at least two rounds of the operator's steps: caches, metric
  series, the allocator's arenas growing to hold a model being reloaded or a message at the
  size limit: a megabyte or two each the first times) rising more than
  ``leak_mb_per_100k``. 2 MB per 100k requests is 20 bytes a request: anything a request leaves
  behind (a row, a response, a traceback, a metric label) is bigger. RSS also moves by a
  megabyte or two whatever the request count (arena reuse, gRPC buffers, model reloads), so
  fitted growth under ``noise_mb`` over the whole window is not counted: on a short CI soak the
  floor is the binding bound, on the full one the slope is;
- open file descriptors after the warm-up rising by more than ``fd_slack``;
- the server dying, or not answering a good request after the soak, or not exiting 0 on SIGTERM.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import grpc

from tests.server.serving import serve
from tests.server.soak_admin import STEPS, Admin, make_repository
from tests.server.soak_traffic import ADMIN_TOKEN, MAX_BATCH, Kind, Wire, kinds, schedule


@dataclass(frozen=True)
class SoakConfig:
    requests: int = 600_000
    seconds: float = 1200.0
    clients: int = 6                 # concurrent asyncio clients, one gRPC channel each
    admin_every: int = 5000          # an admin call or deploy every this many requests
    sample_every: float = 2.0        # seconds between RSS/fd samples
    warmup: float = 0.1              # share of requests before the fit starts
    leak_mb_per_100k: float = 2.0
    noise_mb: float = 3.0
    fd_slack: int = 8


@dataclass
class Sample:
    seconds: float
    answered: int
    rss_mb: float
    fds: int


@dataclass
class SoakResult:
    config: SoakConfig
    seconds: float = 0.0
    sent: int = 0
    answered: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    unexpected: dict[str, dict[str, int]] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    mb_per_100k: float = 0.0
    growth_mb: float = 0.0           # fitted growth over the measured window
    rss_spread_mb: float = 0.0       # max - min RSS after the warm-up
    fds_first: int = 0
    fds_max: int = 0
    deploys: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rate_per_s"] = round(self.answered / self.seconds, 1) if self.seconds else 0.0
        data["ok"] = self.ok
        return data


def read_process(pid: int) -> tuple[float, int]:
    """(VmRSS in MB, open file descriptors) of a live process."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines()
                  if line.startswith("VmRSS:"))
    return rss_kb / 1024, len(list(Path(f"/proc/{pid}/fd").iterdir()))


def fit(samples: list[Sample]) -> tuple[float, float]:
    """Least-squares slope of RSS on answered requests: (MB per 100k, growth over the window)."""
    xs = [s.answered for s in samples]
    ys = [s.rss_mb for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0
    return slope * 100_000, slope * (xs[-1] - xs[0])


def judge(result: SoakResult) -> None:
    cfg = result.config
    for name, statuses in result.unexpected.items():
        result.problems.append(f"{name}: unexpected statuses {statuses}")
    if result.lost:
        result.problems.append(f"{len(result.lost)} requests lost, e.g. {result.lost[:3]}")
    if result.sent != result.answered + len(result.lost):
        result.problems.append(f"sent {result.sent}, answered {result.answered}")
    start = max(cfg.warmup * result.answered, 2 * STEPS * cfg.admin_every)
    measured = [s for s in result.samples if s.answered >= start]
    if len(measured) < 5:
        result.problems.append(f"only {len(measured)} memory samples after the warm-up")
        return
    result.mb_per_100k, result.growth_mb = fit(measured)
    rss = [s.rss_mb for s in measured]
    result.rss_spread_mb = max(rss) - min(rss)
    result.fds_first, result.fds_max = measured[0].fds, max(s.fds for s in measured)
    if result.mb_per_100k > cfg.leak_mb_per_100k and result.growth_mb > cfg.noise_mb:
        result.problems.append(f"memory grows {result.mb_per_100k:.2f} MB per 100k requests "
                               f"({result.growth_mb:.1f} MB over the window)")
    if result.fds_max > result.fds_first + cfg.fd_slack:
        result.problems.append(f"open files grew from {result.fds_first} to {result.fds_max}")


class _Driver:
    def __init__(self, cfg: SoakConfig, address: str, http_base: str, pid: int, admin: Admin,
                 progress: Callable[[str], None] | None) -> None:
        self.cfg, self.address, self.http_base, self.pid = cfg, address, http_base, pid
        self.admin, self.progress = admin, progress
        self.plan = schedule(kinds())
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.expect: dict[str, frozenset[str]] = {k.name: k.expect for k in self.plan}
        self.sent = self.answered = 0
        self.lost: list[str] = []
        self.samples: list[Sample] = []
        self.started = time.monotonic()
        self.done = asyncio.Event()

    def record(self, name: str, expect: frozenset[str], status: str) -> None:
        self.expect.setdefault(name, expect)
        self.counts[name][status] += 1
        self.answered += 1

    async def one(self, wire: Wire, kind: Kind) -> None:
        self.sent += 1
        try:
            status = await kind.send(wire)
        except Exception as exc:  # noqa: BLE001 - a request that got no answer is the finding
            self.lost.append(f"{kind.name}: {type(exc).__name__}: {exc}"[:300])
            return
        self.record(kind.name, kind.expect, status)

    async def client(self, counter: itertools.count, http: Any) -> None:
        cfg = self.cfg
        deadline = self.started + cfg.seconds
        async with grpc.aio.insecure_channel(self.address) as channel:
            wire = Wire(channel, http, timeout=30.0, demo_versions=self.admin.demo_versions)
            while (i := next(counter)) < cfg.requests and time.monotonic() < deadline:
                if i and i % cfg.admin_every == 0:
                    await self.admin.cycle(wire, self)
                await self.one(wire, self.plan[i % len(self.plan)])

    async def sampler(self) -> None:
        while True:
            rss, fds = read_process(self.pid)
            self.samples.append(Sample(round(time.monotonic() - self.started, 2), self.answered,
                                       round(rss, 2), fds))
            if self.progress is not None and len(self.samples) % 15 == 0:
                self.progress(f"{self.answered} answered, RSS {rss:.1f} MB, {fds} fds")
            try:
                await asyncio.wait_for(self.done.wait(), self.cfg.sample_every)
                return
            except TimeoutError:
                pass

    async def run(self) -> None:
        import httpx

        counter = itertools.count()
        limits = httpx.Limits(max_connections=self.cfg.clients)
        async with httpx.AsyncClient(base_url=self.http_base, timeout=30.0,
                                     limits=limits) as http:
            sampler = asyncio.create_task(self.sampler())
            try:
                await asyncio.gather(*(self.client(counter, http)
                                       for _ in range(self.cfg.clients)))
            finally:
                self.done.set()
                await sampler
            rss, fds = read_process(self.pid)  # the last sample, after every answer
            self.samples.append(Sample(round(time.monotonic() - self.started, 2),
                                       self.answered, round(rss, 2), fds))


def _still_serving(address: str) -> str | None:
    from servelib.client import Client, RemoteError

    try:
        with Client(address, timeout=30) as client:
            [p] = client.predict("demo", [{"amount": 980.0, "age": 19.0, "city": "berlin"}])
    except RemoteError as exc:
        return f"a good request after the soak failed: {exc}"
    return None if p.error is None else f"a good request after the soak got {p.error}"


def run_soak(cfg: SoakConfig, workdir: Path,
             progress: Callable[[str], None] | None = None) -> SoakResult:
    """Serve a fresh repository under ``workdir`` and soak it; the result says what failed."""
    repo = make_repository(workdir)
    token = workdir / "admin-token"
    token.write_text(ADMIN_TOKEN)
    result = SoakResult(cfg)
    with serve(repo, "--http-port", "0", "--admin-token-file", str(token),
               "--max-batch", str(MAX_BATCH), "--max-message-bytes", "1M",
               "--preload", "demo", "--preload", "gbt") as served:
        admin = Admin(repo, served.grpc_port)
        driver = _Driver(cfg, served.address, f"http://127.0.0.1:{served.http_port}",
                         served.proc.pid, admin, progress)
        asyncio.run(driver.run())
        result.seconds = round(time.monotonic() - driver.started, 2)
        if served.proc.poll() is not None:
            result.problems.append(f"the server exited {served.proc.returncode} during the soak")
        elif problem := _still_serving(served.address):
            result.problems.append(problem)
    if served.proc.returncode not in (0, None):
        result.problems.append(f"the server exited {served.proc.returncode} after SIGTERM")
    shutil.rmtree(repo, ignore_errors=True)
    result.sent, result.answered, result.lost = driver.sent, driver.answered, driver.lost
    result.samples, result.deploys = driver.samples, admin.deploys
    result.counts = {k: dict(v) for k, v in sorted(driver.counts.items())}
    result.unexpected = {k: {s: n for s, n in v.items() if s not in driver.expect[k]}
                         for k, v in result.counts.items()}
    result.unexpected = {k: v for k, v in result.unexpected.items() if v}
    judge(result)
    return result


__all__ = ["SoakConfig", "SoakResult", "fit", "judge", "run_soak"]
