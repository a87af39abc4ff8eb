"""The shared conformance checks, run against every parity fixture (so every registered stage)."""

from __future__ import annotations

import json

import pytest

import servelib
from servelib.testing.conformance import CHECKS
from servelib.testing.parity import input_types, read_rows
from tests.parity.test_golden import CASE_DIRS


@pytest.fixture(scope="module", params=CASE_DIRS, ids=lambda p: f"{p.parent.name}/{p.name}")
def fixture(request):
    path = request.param
    rows = read_rows(path / "input.jsonl")
    schema = json.loads((path / "schema.json").read_text())
    model = servelib.load(str(path / "model")).with_input_types(input_types(schema))
    return model, rows, schema


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_conformance(fixture, check):
    model, rows, schema = fixture
    problems = check(model, rows, schema)
    assert not problems, "\n".join(problems)
