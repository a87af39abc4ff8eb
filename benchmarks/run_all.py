"""Run every benchmark in one go, one after the other, and write BENCHMARKS.md from their figures.

    python benchmarks/run_all.py [--quick] [--only SECTION ...] [--results DIR] [--out FILE]
                                 [--onnx-file CASE=PATH ...] [--render-only]

Each section (benchmarks/harness/sections.py) is its script run as a subprocess of this Python
with ``--json`` (pytest-benchmark's ``--benchmark-json`` for test_micro.py), bounded by a
timeout, its output kept in DIR/SECTION.log. Sections run sequentially so they do not disturb
each other. A section whose dependency is missing (PySpark, onnxruntime, Cassandra, ...) is
recorded as "not run" with the reason; a failing or timed-out one as such; the others go on.
Then BENCHMARKS.md is rendered from DIR/run.json, the sections' JSON and the committed template
benchmarks/BENCHMARKS.template.md, with PNG plots in docs/bench/. With --only, the other
sections keep their last results in DIR (each is labelled with the date it ran).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import machine, render, sections  # noqa: E402

TEMPLATE = ROOT / "benchmarks" / "BENCHMARKS.template.md"
BUDGET_S = {False: 25 * 60, True: 6 * 60}  # the whole run, full and --quick, on a quiet VM


def run_section(section: sections.Section, args: argparse.Namespace) -> dict:
    entry: dict = {"date": datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"), "loadavg_start": machine.loadavg(), "quick": args.quick}
    reason, extra, notes = sections.missing(section)
    if reason:
        return {**entry, "status": "not run", "reason": reason, "elapsed_s": 0.0}
    if section.name == "fastpath":
        extra += [a for item in args.onnx_file for a in ("--onnx-file", item)]
    out = args.results / f"{section.name}.json"
    out.unlink(missing_ok=True)
    cmd = section.command(sys.executable, args.quick, out, tuple(extra))
    shown = ["python", *(os.path.relpath(c, ROOT) if c.startswith(str(ROOT)) else c
                         for c in cmd[1:])]
    entry.update(command=shown, notes=notes)
    timeout = section.timeout[1 if args.quick else 0]
    start = time.perf_counter()
    with open(args.results / f"{section.name}.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)},
                                start_new_session=True)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = None
    entry["elapsed_s"] = time.perf_counter() - start
    if code is None:
        return {**entry, "status": "timed out", "reason": f"killed after {timeout:g} s"}
    if code != 0 or not out.is_file():
        tail = (args.results / f"{section.name}.log").read_text(errors="replace")
        last = " / ".join(line.strip() for line in tail.strip().splitlines()[-3:])
        return {**entry, "status": "failed", "reason": f"exit status {code}: {last[-600:]}"}
    return {**entry, "status": "ok"}


def kept_and_pending(old: dict, chosen: list[sections.Section]) -> dict:
    """The sections' entries before the run, in SECTIONS order: the chosen ones as "not run"
    until they have run (so a killed run says where it stopped), the others as they were."""
    pending = {"status": "not run", "reason": "the run stopped before this section",
               "elapsed_s": 0.0}
    return {s.name: dict(pending) if s in chosen else old[s.name]
            for s in sections.SECTIONS if s in chosen or s.name in old}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short loops: a smoke run")
    parser.add_argument("--only", nargs="+", metavar="SECTION",
                        help=f"run only these: {', '.join(s.name for s in sections.SECTIONS)}")
    parser.add_argument("--results", type=Path, default=ROOT / ".bench-results",
                        help="where the sections' JSON and logs go (default %(default)s)")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--plots", type=Path, default=ROOT / "docs" / "bench")
    parser.add_argument("--onnx-file", action="append", default=[], metavar="CASE=PATH",
                        help="passed to bench_fastpath.py: a converted graph for CASE")
    parser.add_argument("--render-only", action="store_true",
                        help="write the file from the results already in --results")
    args = parser.parse_args(argv)
    args.results.mkdir(parents=True, exist_ok=True)
    run_file = args.results / "run.json"
    if not args.render_only:
        chosen = sections.by_name(args.only)
        old = json.loads(run_file.read_text())["sections"] if args.only and run_file.is_file() \
            else {}
        run = {"command": shlex.join(["python", "benchmarks/run_all.py",
                                      *(argv if argv is not None else sys.argv[1:])]),
               "quick": args.quick, "header": machine.header_facts(),
               "sections": kept_and_pending(old, chosen)}
        run_file.write_text(json.dumps(run, indent=1) + "\n")
        started = time.perf_counter()
        for section in (s for s in sections.SECTIONS if s in chosen):
            print(f"== {section.name}: {section.script}", flush=True)
            entry = run_section(section, args)
            run["sections"][section.name] = entry
            print(f"   {entry['status']} in {entry['elapsed_s']:.0f} s"
                  + (f": {entry['reason']}" if "reason" in entry else ""), flush=True)
            run["header"]["loadavg_after"] = machine.loadavg()
            run_file.write_text(json.dumps(run, indent=1) + "\n")  # a killed run keeps its part
        total = time.perf_counter() - started
        print(f"all sections: {total:.0f} s (budget {BUDGET_S[args.quick]} s)"
              + (" OVER BUDGET" if total > BUDGET_S[args.quick] else ""))
    text = render.render(args.results, TEMPLATE.read_text(), args.out, args.plots)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
