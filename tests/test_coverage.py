"""Meta-tests: every Spark class servelib claims to support has a loader, a parity case saved by
each Spark version, and (through those fixtures) the conformance checks; and every class PySpark
can save as a transforming stage (the inventories scripts/spark_inventory.py walked out of
pyspark.ml, one per Spark line) is either loaded or refused with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import servelib
from servelib.loaders.registry import LOADERS, REFUSED, loader_for
from tests.parity.cases import QUICK, available, line_version, load_all
from tests.parity.test_golden import FIXTURES

INVENTORIES = sorted(Path(__file__).parent.joinpath("parity", "inventory").glob("spark-*.json"))
# Registered Spark classes no pyspark.ml class saves: RFormulaModel's private pipeline stages
# (Scala only). xgboost.spark's models live outside pyspark.ml and are not checked here.
NOT_IN_PYSPARK = {"org.apache.spark.ml.feature.ColumnPruner",
                  "org.apache.spark.ml.feature.VectorAttributeRewriter"}

VERSIONS = sorted(p.name for p in FIXTURES.glob("spark-*"))
# Registered classes an older Spark line cannot save (their cases declare ``since``): no
# fixture of that line is expected to exercise them.
LINE_ONLY = {"org.apache.spark.ml.feature.TargetEncoderModel": (4, 0)}


def _expected_classes(version: str) -> set[str]:
    line = line_version(version)
    return set(LOADERS) - {c for c, since in LINE_ONLY.items() if line < since}


def _classes(stage) -> set[str]:
    """The stage's class and those of the stages nested in it (pipelines, OneVsRest's binary
    models, a validator's best model)."""
    found = {stage.spark_class}
    for child in getattr(stage, "stages", ()):  # pipelines, RFormula, OneVsRest, validators
        found |= _classes(child)
    return found


def _fixture_classes(version_dir: Path, cases: frozenset[str] | None = None) -> set[str]:
    found: set[str] = set()
    for model in version_dir.glob("*/model"):
        if cases is None or model.parent.name in cases:
            found |= _classes(servelib.load(str(model)))
    return found


def test_both_spark_lines_have_fixtures():
    assert any(v.startswith("spark-3.") for v in VERSIONS), VERSIONS
    assert any(v.startswith("spark-4.") for v in VERSIONS), VERSIONS


@pytest.mark.parametrize("spark_class", sorted(LOADERS))
def test_every_registered_class_has_a_loader(spark_class):
    assert callable(loader_for(spark_class, "<meta-test>"))


@pytest.mark.parametrize("version", VERSIONS)
def test_every_registered_class_has_parity_fixtures(version):
    missing = _expected_classes(version) - _fixture_classes(FIXTURES / version)
    assert not missing, f"{version}: no parity fixture exercises {sorted(missing)}"


@pytest.mark.parametrize("version", VERSIONS)
def test_fixtures_match_cases(version):
    committed = {p.name for p in (FIXTURES / version).iterdir() if p.is_dir()}
    cases = {c for c in load_all() if available(c, line_version(version))}
    assert committed == cases, (
        f"{version}: stale fixtures {sorted(committed - cases)}, "
        f"missing fixtures {sorted(cases - committed)}; run tests/parity/make_fixtures.py"
    )


def _saved_names(inventory: Path) -> set[str]:
    return {n for names in json.loads(inventory.read_text())["classes"].values() for n in names}


def test_an_inventory_per_fixture_line():
    assert [p.stem for p in INVENTORIES] == VERSIONS


@pytest.mark.parametrize("inventory", INVENTORIES, ids=lambda p: p.stem)
def test_every_saveable_pyspark_class_is_loaded_or_refused(inventory):
    unknown = _saved_names(inventory) - set(LOADERS) - set(REFUSED)
    assert not unknown, f"{inventory.stem}: PySpark saves {sorted(unknown)}: load or refuse them"


def test_refusals_say_why_and_claim_nothing():
    assert not set(REFUSED) & set(LOADERS)
    assert all(isinstance(why, str) and len(why) > 40 for why in REFUSED.values())


def test_every_registered_spark_class_is_one_pyspark_saves():
    """Catches a misspelt table key: it would load nothing PySpark writes."""
    saved = set().union(*(_saved_names(p) for p in INVENTORIES))
    spark = {c for c in LOADERS if c.startswith(("org.apache.spark.", "pyspark."))}
    assert not spark - saved - NOT_IN_PYSPARK, sorted(spark - saved - NOT_IN_PYSPARK)


@pytest.mark.parametrize("version", VERSIONS)
def test_quick_live_set_covers_every_registered_class(version):
    assert QUICK <= set(load_all()), sorted(QUICK - set(load_all()))
    missing = _expected_classes(version) - _fixture_classes(FIXTURES / version, QUICK)
    assert not missing, f"{version}: the quick live parity set misses {sorted(missing)}"
