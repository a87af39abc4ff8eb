"""servelib demo: load a Spark-saved pipeline without Spark, score rows three ways, then serve a
model repository over gRPC and call it.

    python examples/demo.py [--model DIR] [--calls N] [--no-server]

The default model is the bundled demo pipeline (VectorAssembler -> StandardScaler ->
StringIndexer -> OneHotEncoder -> VectorAssembler -> LogisticRegression) that PySpark trained
and saved in tests/parity/fixtures (see tests/parity/cases/pipelines.py).
Each step is one function, so later demos (the server, feature stores) add steps to STEPS.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

import servelib

ROOT = Path(__file__).resolve().parents[1]
DEMO_MODEL = ROOT / "tests/parity/fixtures/spark-4.3/demo_lr_pipeline/model"

ROWS = [
    {"amount": 12.5, "age": 34.0, "city": "paris"},
    {"amount": 980.0, "age": 19.0, "city": "berlin"},
    {"amount": 300.0, "age": 40.0, "city": "tokyo"},  # a city the model never saw
    {"amount": 610.0, "age": 23.0, "city": ""},
]
SHOW = ("city", "city_idx", "probability", "prediction")


def title(text: str) -> None:
    print(f"\n== {text} " + "=" * max(0, 70 - len(text)))


def show(row: dict) -> str:
    parts = []
    for key in SHOW:
        value = row.get(key)
        if hasattr(value, "toArray"):
            parts.append(f"{key}=[" + ", ".join(f"{x:.4f}" for x in value.toArray()) + "]")
        else:
            parts.append(f"{key}={value!r}")
    return "  ".join(parts)


def latency(call: Callable[[], object], max_calls: int, max_seconds: float = 5.0) -> str:
    """p50/p99 of ``call`` over a bounded loop (at most ``max_calls`` calls or ``max_seconds``)."""
    for _ in range(min(200, max_calls)):  # warm-up
        call()
    samples = []
    deadline = time.perf_counter() + max_seconds
    while len(samples) < max_calls and time.perf_counter() < deadline:
        t0 = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    p50 = statistics.median(samples) / 1e3
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1e3
    return f"p50 {p50:8.1f} us   p99 {p99:8.1f} us   ({len(samples)} calls)"


def step_load(state: dict) -> None:
    title("load")
    t0 = time.perf_counter()
    model = servelib.load(str(state["model_dir"]))
    first = (time.perf_counter() - t0) * 1e3
    t0 = time.perf_counter()
    model = servelib.load(str(state["model_dir"]))
    again = (time.perf_counter() - t0) * 1e3
    print(f"servelib.load({state['model_dir']}): {again:.1f} ms, no JVM "
          f"(the process's first load, importing pyarrow's Parquet reader: {first:.1f} ms)")
    print("stages:", " -> ".join(s.spark_class.rsplit(".", 1)[-1] for s in model.stages))
    print("needs columns:", ", ".join(model.input_columns()))
    state["model"] = model


def step_score_instance(state: dict) -> None:
    title("score_instance: one row, the online path")
    model = state["model"]
    for row in ROWS:
        print(" ", show(model.score_instance(row)))
    print("  latency:", latency(lambda: model.score_instance(ROWS[0]), state["calls"]))


def step_score_instances(state: dict) -> None:
    title("score_instances: a short list (row by row on the row path up to 32 rows)")
    model = state["model"]
    for row in model.score_instances(ROWS):
        print(" ", show(row))
    print(f"  latency ({len(ROWS)} rows):", latency(lambda: model.score_instances(ROWS), state["calls"]))


def step_transform(state: dict) -> None:
    title("transform: an Arrow table (batch)")
    model = state["model"]
    table = pa.Table.from_pylist(ROWS)
    out = model.transform(table)
    print("  output columns:", ", ".join(out.column_names))
    print("  prediction:", out.column("prediction").to_pylist())
    big = pa.Table.from_pylist(ROWS * 2500)
    print(f"  latency ({big.num_rows} rows):",
          latency(lambda: model.transform(big), max_calls=20, max_seconds=5.0))


def start_server(repository: Path) -> tuple[subprocess.Popen, str]:
    """`servelib serve` on loopback ports it picks; returns the process and its gRPC address."""
    cmd = [sys.executable, "-m", "servelib", "serve", "--repository", str(repository),
           "--grpc-port", "0", "--http-port", "0", "--preload", "demo,gbt"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stderr:  # "servelib: serving DIR gRPC 127.0.0.1:PORT HTTP 127.0.0.1:PORT"
        if line.startswith("servelib: serving"):
            return proc, line.split("gRPC ")[1].split()[0]
        print("  server:", line.rstrip())
    raise SystemExit(f"servelib serve exited with status {proc.wait()}")


def step_server(state: dict) -> None:
    title("servelib serve: a model repository over gRPC")
    from servelib.client import Client

    sys.path.insert(0, str(ROOT / "scripts"))
    import make_demo_repository

    with tempfile.TemporaryDirectory() as tmp:
        repository = make_demo_repository.build(Path(tmp) / "repository")
        print("  repository:", ", ".join(sorted(p.name for p in repository.iterdir())),
              "(made by scripts/make_demo_repository.py)")
        t0 = time.perf_counter()
        proc, address = start_server(repository)
        print(f"  serving on {address} after {time.perf_counter() - t0:.1f} s "
              "(start-up, imports, both models preloaded)")
        try:
            with Client(address) as client:
                gbt_row = {"x0": 0.371, "x1": 6.02, "x2": 3.0, "color": "blue"}
                for model, version, rows in (("demo", "production", ROWS[:2]),
                                             ("gbt", None, [gbt_row])):
                    for p in client.predict(model, rows, version=version):
                        probability = ", ".join(f"{x:.4f}" for x in p.outputs["probability"].toArray())
                        print(f"  {model}@{p.version}: prediction={p.outputs['prediction']!r}  "
                              f"probability=[{probability}]")
                    print(f"  gRPC Predict latency, {model}, 1 row:",
                          latency(lambda m=model, v=version, r=rows[:1]: client.predict(m, r, version=v),
                                  min(state["calls"], 2000)))
        finally:
            t0 = time.perf_counter()
            proc.send_signal(signal.SIGTERM)  # drains: in-flight requests finish, then exit 0
            status = proc.wait(30)
            print(f"  SIGTERM: drained and exited with status {status} in "
                  f"{time.perf_counter() - t0:.1f} s")


STEPS = [step_load, step_score_instance, step_score_instances, step_transform, step_server]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEMO_MODEL)
    parser.add_argument("--calls", type=int, default=5000, help="timed calls per latency figure")
    parser.add_argument("--no-server", action="store_true", help="skip the server step")
    args = parser.parse_args(argv)
    state = {"model_dir": args.model.resolve(), "calls": args.calls}
    for step in STEPS:
        if not (args.no_server and step is step_server):
            step(state)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
