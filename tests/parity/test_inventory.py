"""The committed pyspark.ml inventory of the installed Spark line is still what PySpark offers:
a Spark release that adds (or renames) a saveable transformer fails here, and
tests/test_coverage.py then asks for a loader or a refusal for it.

Runs in the parity environments (one per Spark line); it imports PySpark but starts no JVM.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.parity
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "spark_inventory.py"


def _script():
    spec = importlib.util.spec_from_file_location("spark_inventory", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_inventory_is_the_installed_pysparks():
    if os.environ.get("SERVELIB_PARITY_LIVE") != "1":
        pytest.importorskip("pyspark")  # in the parity envs a missing PySpark fails below
    script = _script()
    fresh = script.inventory()
    path = script.INVENTORY / f"{fresh['spark']}.json"
    assert path.exists(), f"no inventory for {fresh['spark']}: run {SCRIPT.name} and review it"
    committed = script.json.loads(path.read_text())
    added = sorted(set(fresh["classes"]) - set(committed["classes"]))
    gone = sorted(set(committed["classes"]) - set(fresh["classes"]))
    assert not added and not gone, f"{fresh['spark']}: new {added}, gone {gone}: rerun the script"
    assert script.render(fresh) == path.read_text(), f"{path.name} is stale: rerun {SCRIPT.name}"


def test_spark_connect_models_are_not_pyspark_ml_stages():
    """Why the walk skips pyspark.ml.connect (where it imports: 4.x needs the Connect client)."""
    import importlib
    import inspect
    import pkgutil

    try:
        connect = importlib.import_module("pyspark.ml.connect")
    except Exception as exc:  # noqa: BLE001 - PySparkImportError is not an ImportError
        pytest.skip(f"pyspark.ml.connect does not import here: {exc}")
    from pyspark.ml import Transformer

    for info in pkgutil.walk_packages(connect.__path__, "pyspark.ml.connect."):
        try:
            module = importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 - an optional dependency (torch), no saveable model
            continue
        stages = [name for name, obj in vars(module).items()
                  if inspect.isclass(obj) and issubclass(obj, Transformer)]
        assert not stages, f"{info.name}: {stages} are pyspark.ml stages; walk pyspark.ml.connect"
