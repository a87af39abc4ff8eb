"""servelib against the committed PySpark outputs (no JVM needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from servelib.testing.parity import check_fixture

FIXTURES = Path(__file__).parent / "fixtures"
CASE_DIRS = sorted(p.parent for p in FIXTURES.glob("spark-*/*/model"))


def test_fixtures_exist():
    assert CASE_DIRS, f"no golden fixtures under {FIXTURES}; run tests/parity/make_fixtures.py"


@pytest.mark.parametrize("fixture", CASE_DIRS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_matches_pyspark(fixture):
    problems = check_fixture(fixture)
    assert not problems, "\n".join(problems[:20])
