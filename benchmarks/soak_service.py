"""A bounded soak of `servelib serve`: 600,000 requests of mixed traffic (10 minutes at
1,000 req/s) over gRPC v1, OIP and HTTP, with admin calls and hot deploys, while the server's
RSS and open files are sampled; exits 1 on a lost or unexpected answer or on growth.

    PYTHONPATH=. python benchmarks/soak_service.py [--requests 600000] [--seconds 1500]
        [--clients 6] [--admin-every 5000] [--json OUT]

The traffic, the operator's steps and the pass/fail bounds (under 2 MB of RSS per 100k requests
after the first 10%, a 3 MB noise floor, open files +8 at most) are tests/server/soak*.py's,
which tests/server/test_soak.py runs at CI scale. The server runs on 127.0.0.1 on free ports,
over a temporary copy of the demo repository (scripts/make_demo_repository.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.server.soak import SoakConfig, run_soak  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = SoakConfig()
    parser.add_argument("--requests", type=int, default=defaults.requests)
    parser.add_argument("--seconds", type=float, default=defaults.seconds,
                        help="cap on the traffic's wall time")
    parser.add_argument("--clients", type=int, default=defaults.clients)
    parser.add_argument("--admin-every", type=int, default=defaults.admin_every)
    parser.add_argument("--sample-every", type=float, default=defaults.sample_every)
    parser.add_argument("--json", default=None, metavar="OUT", help="write the full result")
    args = parser.parse_args()
    cfg = SoakConfig(requests=args.requests, seconds=args.seconds, clients=args.clients,
                     admin_every=args.admin_every, sample_every=args.sample_every)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="servelib-soak-") as tmp:
        result = run_soak(cfg, Path(tmp), progress=lambda line: print(
            f"[{time.monotonic() - started:7.1f} s] {line}", flush=True))
    data = result.to_json()
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=1) + "\n")
    print(f"\n{result.answered} of {result.sent} requests answered in {result.seconds:.0f} s "
          f"({data['rate_per_s']} req/s), {result.deploys} hot deploys")
    for kind, statuses in result.counts.items():
        print(f"  {kind:24s} {statuses}")
    rss = [s.rss_mb for s in result.samples]
    print(f"RSS {rss[0]:.1f} MB at start, {rss[-1]:.1f} MB at the end; after the warm-up: "
          f"{result.mb_per_100k:+.2f} MB per 100k requests (fitted {result.growth_mb:+.2f} MB), "
          f"max-min {result.rss_spread_mb:.2f} MB; open files {result.fds_first} -> "
          f"{result.fds_max} (max)")
    print("PASS" if result.ok else "FAIL: " + "; ".join(result.problems))
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
