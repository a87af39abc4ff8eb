"""pytest-benchmark micro benchmarks of the demo pipeline's three entry points, and of one row
through the benchmark tree pipeline (GBT of 100 trees; no JVM).

    pytest benchmarks/test_micro.py          (or: tox -e bench)

Not part of the test suite (tests/ is); these time, they do not check behaviour. A missing
demo fixture is an error, not a skip: the figures would silently disappear.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import servelib

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "tests/parity/fixtures/spark-4.3/demo_lr_pipeline/model"
TREES = ROOT / "tests/parity/fixtures/spark-4.3/tree_gbt_onehot_pipeline/model"
CITIES = ["paris", "london", "berlin", "madrid", "rome", "tokyo", ""]


@pytest.fixture(scope="module")
def model():
    if not DEMO.is_dir():
        pytest.fail(f"demo fixture missing: {DEMO}; run tests/parity/make_fixtures.py --only "
                    "demo_lr_pipeline with PySpark 4.x", pytrace=False)
    return servelib.load(str(DEMO))


def rows(n: int) -> list[dict]:
    return [{"amount": 5.0 + (i * 37 % 1013) * 0.97, "age": float(18 + i * 13 % 53),
             "city": CITIES[i * 7 % len(CITIES)]} for i in range(n)]


def test_load(benchmark):
    if not DEMO.is_dir():
        pytest.fail(f"demo fixture missing: {DEMO}", pytrace=False)
    benchmark(servelib.load, str(DEMO))


def test_tree_pipeline_score_instance(benchmark):
    if not TREES.is_dir():
        pytest.fail(f"tree benchmark fixture missing: {TREES}", pytrace=False)
    model = servelib.load(str(TREES))
    out = benchmark(model.score_instance, {"x0": 0.371, "x1": 6.02, "x2": 3.0, "color": "blue"})
    assert out["prediction"] in (0.0, 1.0)


def test_score_instance(benchmark, model):
    row = rows(1)[0]
    out = benchmark(model.score_instance, row)
    assert out["prediction"] in (0.0, 1.0)


@pytest.mark.parametrize("n", [10, 100])
def test_score_instances(benchmark, model, n):
    batch = rows(n)
    assert len(benchmark(model.score_instances, batch)) == n


@pytest.mark.parametrize("n", [10_000, 100_000])
def test_transform(benchmark, model, n):
    i = np.arange(n)
    table = pa.table({"amount": 5.0 + (i * 37 % 1013) * 0.97, "age": (18 + i * 13 % 53) * 1.0,
                      "city": [CITIES[k] for k in i * 7 % len(CITIES)]})
    out = benchmark.pedantic(model.transform, args=(table,), rounds=5, warmup_rounds=1)
    assert out.num_rows == n
