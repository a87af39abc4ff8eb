"""The soak (tests/server/soak.py) of a real ``servelib serve`` process: mixed good and bad
traffic over gRPC v1, OIP and HTTP with admin calls and hot deploys in between; every request
answered with a status its kind expects, nothing lost, memory and open files flat.

The regular run is a CI-scale soak, bounded at 12,000 requests or 30 s of traffic (~45 s with
start-up on a loaded 2-core machine), with an operator's step every 400 requests. It checks every
answer and the open files in full; for memory it is a guard against gross leaks only: its
window after the warm-up (two rounds of operator steps) is ~7,000 requests in which the first
model reloads and limit-sized messages still grow the allocator's arenas by up to ~6 MB, so its
noise floor is 8 MB (a leak of ~1 KB a request). Flatness is the full soak's to judge:
``SERVELIB_SOAK=full`` runs it instead, 600,000 requests (10 minutes at 1,000 req/s) capped at
25 minutes; benchmarks/soak_service.py is the same with a report.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("grpc")
pytest.importorskip("httpx")

from tests.server.soak import Sample, SoakConfig, SoakResult, fit, judge, run_soak  # noqa: E402

FULL = os.environ.get("SERVELIB_SOAK") == "full"


def test_soak(tmp_path: Path) -> None:
    cfg = SoakConfig(seconds=1500.0) if FULL else SoakConfig(
        requests=12_000, seconds=30.0, admin_every=400, sample_every=1.0, noise_mb=8.0)
    result = run_soak(cfg, tmp_path)
    assert result.ok, (result.problems, result.counts)
    kinds = set(result.counts)
    assert {"admin_hot_deploy", "admin_corrupt_deploy", "admin_unload_load", "socket_garbage",
            "v1_garbage_bytes", "v1_deadline", "http_traversal"} <= kinds, kinds
    assert result.deploys >= 1 and result.answered == result.sent


def _samples(rss: list[float], step: int = 1000) -> list[Sample]:
    return [Sample(float(i), i * step, mb, 20) for i, mb in enumerate(rss)]


def test_judge_flags_growth_lost_requests_and_open_files() -> None:
    cfg = SoakConfig(requests=100_000, admin_every=1000)
    flat = SoakResult(cfg, sent=100_000, answered=100_000,
                      samples=_samples([300.0 + (i % 3) * 0.5 for i in range(100)]))
    judge(flat)
    assert flat.ok, flat.problems

    # 10 MB over 100k requests: 100 bytes a request, over both bounds
    leak = SoakResult(cfg, sent=100_000, answered=100_000,
                      samples=_samples([300.0 + i * 0.1 for i in range(100)]))
    judge(leak)
    assert leak.mb_per_100k == pytest.approx(10.0) and "memory grows" in leak.problems[0]

    cfg = SoakConfig(requests=10_000, admin_every=10)
    small = SoakResult(cfg, sent=10_000, answered=10_000,  # steep but under the noise floor
                       samples=_samples([300.0 + i * 0.2 for i in range(10)]))
    judge(small)
    assert small.ok, small.problems

    cfg = SoakConfig(requests=100, admin_every=1)
    lost = SoakResult(cfg, sent=101, answered=99, lost=["v1_row: boom"],
                      unexpected={"v1_row": {"INTERNAL": 1}}, samples=_samples([300.0] * 10, 11))
    lost.samples[-1].fds = 40
    judge(lost)
    assert [p.split()[0] for p in lost.problems] == ["v1_row:", "1", "sent", "open"], lost.problems


def test_fit_is_least_squares() -> None:
    per_100k, growth = fit(_samples([1.0, 2.0, 3.0], 50_000))
    assert per_100k == pytest.approx(2.0) and growth == pytest.approx(2.0)
