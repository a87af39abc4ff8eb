"""The sections run_all.py runs, in order: which script, with which arguments (full and
--quick), what it needs, how long it may take, and which renderer turns its JSON into
BENCHMARKS.md. Every script in benchmarks/ is either a section here or in NOT_SECTIONS with the
reason (tests/benchmarks/test_run_all.py checks both lists against the directory)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import render_core, render_service
from benchmarks.harness.machine import CASSANDRA_HOME, binary

BENCH = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Section:
    name: str                      # --only NAME, and <!-- bench:NAME --> in the template
    script: str                    # a file in benchmarks/
    full: tuple[str, ...]          # arguments of the full run
    quick: tuple[str, ...]         # arguments of --quick
    timeout: tuple[float, float]   # seconds: full, quick (the subprocess is killed after it)
    render: Callable[[dict], str]
    needs: tuple[str, ...] = ()    # see REQUIREMENTS
    # a missing optional need adds these arguments and a note instead of skipping the section
    optional: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def command(self, python: str, quick: bool, out: Path, extra: tuple[str, ...] = ()
                ) -> list[str]:
        args = [*(self.quick if quick else self.full), *extra]
        if self.script.startswith("test_"):  # pytest-benchmark writes its own JSON
            return [python, "-m", "pytest", str(BENCH / self.script), "-q", "-p",
                    "no:cacheprovider", f"--benchmark-json={out}", *args]
        return [python, str(BENCH / self.script), *args, "--json", str(out)]


def _module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


# need -> (is it there?, the reason printed when it is not)
REQUIREMENTS: dict[str, tuple[Callable[[], bool], str]] = {
    "pyspark": (lambda: _module("pyspark") and bool(binary("java")),
                "no PySpark with Java 17 in this Python (pip install pyspark; apt-get install "
                "openjdk-17-jre-headless)"),
    "onnx": (lambda: all(_module(m) for m in ("onnxruntime", "onnxmltools", "onnx")),
             "no onnxruntime/onnxmltools/onnx in this Python (the versions of tox.ini's "
             "bench-onnx)"),
    "cassandra": (lambda: bool(os.environ.get("SERVELIB_TEST_CASSANDRA"))
                  or (CASSANDRA_HOME / "start.sh").is_file(),
                  f"no Cassandra: set SERVELIB_TEST_CASSANDRA=host:port or provide "
                  f"{CASSANDRA_HOME}/start.sh"),
    "redis": (lambda: bool(binary("redis-server")),
              "no redis-server (apt-get install redis-server)"),
    "nginx": (lambda: bool(binary("nginx")), "no nginx (apt-get install nginx)"),
    "pytest-benchmark": (lambda: _module("pytest_benchmark"),
                         "no pytest-benchmark (the [bench] extra)"),
}

FASTPATH_QUICK_CASES = ("prod_lr_pipeline", "prod_gbt30_classifier")

SECTIONS: tuple[Section, ...] = (
    Section("fastpath", "bench_fastpath.py",
            ("--load-repeats", "3", "--batch-repeats", "5", "--seconds", "8",
             "--agree-rows", "1000"),
            ("--quick", "--case", *FASTPATH_QUICK_CASES), (1800, 600),
            render_core.fastpath, needs=("pyspark",), optional={"onnx": ("--no-onnx",)}),
    Section("service", "bench_service.py", (), ("--quick",), (420, 150),
            render_service.service, needs=("nginx",)),
    Section("text", "bench_text.py", ("--seconds", "10", "--batch-repeats", "2"), ("--quick",),
            (300, 120), render_core.text, needs=("pyspark",)),
    Section("features", "bench_features.py", ("--requests", "2000"), ("--requests", "300"),
            (360, 180), render_service.features, needs=("redis",),
            optional={"cassandra": ("--no-cassandra",)}),
    Section("logging", "bench_logging.py", ("--rate", "500", "--seconds", "10"),
            ("--rate", "500", "--seconds", "3"), (150, 90), render_service.logging),
    Section("trees", "bench_trees.py", (), ("--quick",), (420, 150), render_core.trees),
    Section("rows", "bench_rows.py", ("--rounds", "3000", "--seconds", "5"),
            ("--rounds", "500", "--seconds", "1"), (240, 90), render_core.rows),
    Section("micro", "test_micro.py", ("--benchmark-columns=min,median,rounds",),
            ("--benchmark-max-time=0.2", "--benchmark-min-rounds=3"), (300, 120),
            render_core.micro, needs=("pytest-benchmark",)),
    Section("pyspark", "compare_pyspark.py",
            ("--load-repeats", "3", "--seconds", "10", "--spark-calls", "100",
             "--batch-repeats", "2"),
            ("--quick",), (600, 180), render_core.pyspark, needs=("pyspark",)),
)

# scripts in benchmarks/ that run_all does not run, and why
NOT_SECTIONS = {
    "run_all.py": "this runner",
    "compare_onnx.py": "one pipeline against onnxruntime with hand fixes to the converted graph; "
                       "the fastpath section compares every production-shaped pipeline",
    "profile_transform.py": "a cProfile of transform: material for the prose of \"Where the "
                            "batch time goes\", not figures with targets",
    "bench_dataplane_inline.py": "a design measurement (score inline or in a thread) made once "
                                 "for issue 7; no target",
    "soak_service.py": "the bounded memory soak of issue 7: a pass/fail check run on its own",
}


def missing(section: Section) -> tuple[str | None, list[str], list[str]]:
    """(why the section cannot run or None, extra arguments, notes for optional needs)."""
    for need in section.needs:
        present, reason = REQUIREMENTS[need]
        if not present():
            return reason, [], []
    extra, notes = [], []
    for need, args in section.optional.items():
        present, reason = REQUIREMENTS[need]
        if not present():
            extra += args
            notes.append(f"{need} part not run: {reason}")
    return None, extra, notes


def by_name(names: list[str] | None) -> list[Section]:
    if not names:
        return list(SECTIONS)
    known = {s.name: s for s in SECTIONS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown section(s) {unknown}; known: {sorted(known)}")
    return [known[n] for n in names]
