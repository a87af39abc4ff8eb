"""What BENCHMARKS.md's header says about the run: date, git commit, machine (CPU model,
cores, RAM, load average) and the versions of everything the figures depend on. Each probe
answers "not installed" instead of failing: a missing tool is a fact for the header."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("numpy", "pyarrow", "numba", "grpcio", "pyspark", "onnxruntime", "onnxmltools",
            "onnx", "redis", "cassandra-driver")
CASSANDRA_HOME = ROOT.parent / "shared" / "cassandra"  # where tests/servers.py looks


def _run(cmd: list[str]) -> str:
    """First line a command prints (stdout or stderr: java and nginx print on stderr)."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"not available ({type(exc).__name__})"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "not available"


def binary(name: str) -> str | None:
    """Its path on PATH or in the sbin/bin folders Debian packages use (nginx: /usr/sbin)."""
    return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}")
                                       if os.path.exists(p)), None)


def cassandra_version() -> str:
    if os.environ.get("SERVELIB_TEST_CASSANDRA"):
        return f"external at {os.environ['SERVELIB_TEST_CASSANDRA']} (version not probed)"
    jars = sorted((CASSANDRA_HOME / "lib").glob("apache-cassandra-[0-9]*.jar"))
    if not jars:
        return "not installed"
    return jars[-1].stem.removeprefix("apache-cassandra-")


def tool_versions() -> dict[str, str]:
    import platform

    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    java, redis, nginx = binary("java"), binary("redis-server"), binary("nginx")
    versions["java"] = _run([java, "-version"]) if java else "not installed"
    versions["redis-server"] = (m.group(1) if redis and (m := re.search(
        r"v=(\S+)", _run([redis, "--version"]))) else "not installed")
    versions["nginx"] = _run([nginx, "-v"]).rpartition("/")[2] if nginx else "not installed"
    versions["cassandra"] = cassandra_version()
    return versions


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def git_commit() -> str:
    sha = _run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    # the run's own outputs (BENCHMARKS.md, docs/bench/) do not make the code "uncommitted"
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain",
                            "--untracked-files=no", "--", ".", ":!BENCHMARKS.md", ":!docs/bench"],
                           capture_output=True, text=True).stdout.strip()
    return sha + (" (with uncommitted changes)" if dirty else "")


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def header_facts() -> dict:
    """Everything but the load average after the run (run_all adds it at the end)."""
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": git_commit(), "cpu": cpu_model(), "cores": os.cpu_count(),
            "ram_gib": round(ram_gib(), 1), "loadavg_before": loadavg(),
            "versions": tool_versions()}
