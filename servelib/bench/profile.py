"""`servelib profile`: where a serving process spends its time under a bench load.

py-spy samples the server process from outside (no restart, no instrumentation, GIL or not)
while the open-loop generator of `servelib bench` loads it; the result is a flame graph (SVG) and
a table of the functions the samples land in: by self time (the function itself was running) and
by total time (it was on the stack). docs/profiling.md explains how to read them for servelib's
hot paths. Either attach to a running server (``--pid`` with its address) or let the command start
``servelib serve`` on a repository and stop it afterwards.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from servelib.errors import InvalidInput

_PROCESS = re.compile(r"^process \d+:")  # the root frame --subprocesses adds
_FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::(?P<line>\d+))?\)$")


def py_spy() -> str:
    found = shutil.which("py-spy") or shutil.which("py-spy", path=os.path.dirname(sys.executable))
    if found is None:
        raise InvalidInput("servelib profile needs py-spy: pip install 'servelib[profile]'")
    return found


def top_functions(collapsed: str, limit: int = 25) -> tuple[list, list, int]:
    """(by self samples, by total samples, total samples) from py-spy's raw collapsed stacks."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [_short(f) for f in stack.split(";") if not _PROCESS.match(f)]
        if not frames:
            continue
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    return own.most_common(limit), total.most_common(limit), samples


def _short(frame: str) -> str:
    """``score (servelib/transformers/base.py:120)`` -> ``score (servelib/.../base.py)``."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match.group("file")
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif "/servelib/" in path:
        path = "servelib/" + path.split("/servelib/", 1)[1]
    return f"{match.group('func')} ({path})"


def format_table(own: list, total: list, samples: int) -> str:
    lines = [f"{samples} samples", "", "self %  function (self time: it was running)"]
    lines += [f"{100 * n / samples:6.1f}  {name}" for name, n in own] if samples else []
    lines += ["", "total %  function (total time: it was on the stack)"]
    lines += [f"{100 * n / samples:7.1f}  {name}" for name, n in total] if samples else []
    return "\n".join(lines) + "\n"


def record(pid: int, seconds: float, rate: int, out: Path) -> tuple[subprocess.Popen, subprocess.Popen]:
    """Two samplers side by side on ``pid``: the SVG flame graph and raw collapsed stacks."""
    spy = py_spy()
    common = ["--pid", str(pid), "--duration", str(int(max(1, round(seconds)))), "--rate", str(rate),
              "--nonblocking", "--subprocesses"]
    svg = subprocess.Popen([spy, "record", *common, "--format", "flamegraph", "--output",
                            str(out / "flamegraph.svg")], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    raw = subprocess.Popen([spy, "record", *common, "--format", "raw", "--output",
                            str(out / "stacks.txt")], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    return svg, raw


def run(args: argparse.Namespace) -> int:
    from servelib.bench import loadgen, payloads, report

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    server = None
    if args.pid is None:
        if not args.repository:
            raise InvalidInput("give --pid PID with the server's address, or --repository DIR")
        server, target = _start_server(args.repository, args.model)
        pid = server.pid
    else:
        pid, target = args.pid, args.target
        if not target:
            raise InvalidInput("--pid needs the server's HOST:PORT as --target")
    try:
        rows = payloads.read_rows(args.rows)
        build = payloads.infer_payloads if args.protocol == "oip" else payloads.predict_payloads
        method = payloads.INFER if args.protocol == "oip" else payloads.PREDICT
        plan = loadgen.Plan(target, method, build(args.model, None, rows, 1), args.rate,
                            args.seconds + 1.0, warmup=1.0, metadata=(("x-model-id", args.model),))
        time.sleep(0.2)
        samplers = record(pid, args.seconds, args.sample_rate, out)
        summary = report.merge(loadgen.run_processes(plan, 1), 1000.0)
        for proc in samplers:
            _, err = proc.communicate(timeout=args.seconds + 60)
            if proc.returncode != 0:
                raise InvalidInput(f"py-spy failed (exit {proc.returncode}): {err.strip()[-500:]} "
                                   "(it needs ptrace rights on the server process: run as the "
                                   "same user, or root, or with CAP_SYS_PTRACE)")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    own, total, samples = top_functions((out / "stacks.txt").read_text())
    table = format_table(own, total, samples)
    (out / "top_functions.txt").write_text(table)
    c = summary["corrected_ms"]
    print(f"load: {summary['requests']} requests at {summary['offered_rate']:.0f}/s offered, "
          f"p50 {c['p50']:.3f} ms, p99 {c['p99']:.3f} ms, errors {summary['errors'] or 'none'}")
    print(table, end="")
    print(f"wrote {out / 'flamegraph.svg'}, {out / 'top_functions.txt'}, {out / 'stacks.txt'}",
          file=sys.stderr)
    return 0


def _start_server(repository: str, model: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "servelib", "serve", "--repository", repository, "--grpc-port", "0",
         "--no-http", "--workers", "1", "--preload", model],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            raise InvalidInput(f"servelib serve exited with {proc.returncode} before serving")
        match = re.search(r"gRPC ([\d.]+):(\d+)", line)
        if "servelib: serving" in line and match:
            return proc, f"{match.group(1)}:{match.group(2)}"
    proc.kill()
    raise InvalidInput("servelib serve did not start within 120 s")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "profile", help="flame graph and top functions of a server under a bench load (py-spy)",
        description="Sample a serving process with py-spy while `servelib bench` loads it; write "
                    "flamegraph.svg, top_functions.txt and the raw stacks into --out.")
    p.add_argument("--model", required=True, help="model to load-test")
    p.add_argument("--rows", required=True, metavar="FILE", help="rows for the requests")
    p.add_argument("--repository", help="start `servelib serve` on this repository")
    p.add_argument("--pid", type=int, help="or profile this running server process ...")
    p.add_argument("--target", metavar="HOST:PORT", help="... listening here")
    p.add_argument("--protocol", choices=("v1", "oip"), default="v1")
    p.add_argument("--rate", type=float, default=500.0, help="offered requests per second")
    p.add_argument("--seconds", type=float, default=10.0, help="how long to sample")
    p.add_argument("--sample-rate", type=int, default=250, help="py-spy samples per second")
    p.add_argument("--out", default="profile", help="output folder (default ./profile)")
    p.set_defaults(func=run)
