"""servelib.describe: every committed fixture's inputs get a type; the type table and the loader
registry name the same classes."""

from __future__ import annotations

import pytest

from servelib.describe import INPUT_TYPES, describe
from servelib.loaders.registry import supported_classes
from tests.parity.test_golden import CASE_DIRS


@pytest.mark.parametrize("fixture", CASE_DIRS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_inspect_knows_every_input_type(fixture):
    import servelib

    d = describe(servelib.load(str(fixture / "model")), str(fixture))
    unknown = [c for c in d["inputs"] if c["type"] == "unknown"]
    assert not unknown, f"add the param to servelib/describe.py INPUT_TYPES: {unknown}"


def test_input_types_cover_the_registry():
    # containers: the stages nested in them read the input columns (flatten)
    containers = {"PipelineModel", "CrossValidatorModel", "TrainValidationSplitModel"}
    names = {c.rsplit(".", 1)[-1] for c in supported_classes()} - containers
    assert set(INPUT_TYPES) <= names, "INPUT_TYPES names a class the registry lacks"
    assert names <= set(INPUT_TYPES), (
        f"servelib/describe.py INPUT_TYPES lacks {sorted(names - set(INPUT_TYPES))}"
    )
