"""List every class the installed PySpark can save as a stage that transforms, under the class
name its save() writes into metadata/, so servelib's loader table can be checked against it.

    python scripts/spark_inventory.py          # write tests/parity/inventory/spark-<line>.json
    python scripts/spark_inventory.py --check  # exit 1 when the committed file differs

Run it with each Spark line's interpreter (/work/venv for 4.x, /work/venv35 for 3.5). It walks
every submodule of pyspark.ml and keeps the public classes that are both a
``pyspark.ml.Transformer`` (every Model is one) and ``MLWritable``. The class name on disk:

- a JVM-backed stage (JavaMLWritable, or a Python wrapper with ``_to_java`` that uses the JVM
  writer when all its children are JVM stages) is saved under the JVM class, which PySpark's
  reader derives by the rule in ``JavaMLReader._java_loader_class`` (pyspark -> org.apache.spark,
  PipelineModel without the ``pipeline`` module);
- a stage with a Python writer (PipelineModel, OneVsRestModel, CrossValidatorModel,
  TrainValidationSplitModel when a child is Python-only, e.g. xgboost.spark's models) is saved
  under its Python class, as ``DefaultParamsWriter.saveMetadata`` writes it.

Spark source: https://github.com/apache/spark/blob/v3.5.0/python/pyspark/ml/util.py
(JavaMLReader._java_loader_class, DefaultParamsWriter) and the Python writers in
python/pyspark/ml/pipeline.py, classification.py (OneVsRestModelWriter) and tuning.py.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INVENTORY = ROOT / "tests" / "parity" / "inventory"

# Packages of pyspark.ml the walk does not import, each with why none of their classes can be a
# stage of a saved Spark ML model.
SKIPPED = {
    "pyspark.ml.connect": (
        "the Spark Connect ML API (3.5+): its models derive from pyspark.ml.connect.base, not "
        "pyspark.ml.Transformer, so no pyspark.ml Pipeline can hold them; they save a "
        "metadata.json of type spark_connect beside their core model file (Arrow/Parquet or "
        "torch), not a Spark ML stage directory (python/pyspark/ml/connect/io_utils.py); "
        "servelib.load names such a directory"
    ),
    "pyspark.ml.torch": "TorchDistributor: launches distributed training, saves no model",
    "pyspark.ml.deepspeed": "DeepspeedTorchDistributor: launches training, saves no model",
}


def spark_line() -> str:
    import pyspark

    return "spark-" + ".".join(pyspark.__version__.split(".")[:2])


def _modules() -> list[object]:
    import pyspark.ml

    found = [pyspark.ml]
    for info in pkgutil.walk_packages(pyspark.ml.__path__, "pyspark.ml."):
        if any(info.name == p or info.name.startswith(p + ".") for p in SKIPPED):
            continue
        found.append(importlib.import_module(info.name))  # an import error fails the walk
    return found


def _saved_as(cls: type) -> list[str]:
    from pyspark.ml.util import JavaMLReader, JavaMLWritable

    names = []
    if issubclass(cls, JavaMLWritable) or hasattr(cls, "_to_java"):
        names.append(JavaMLReader._java_loader_class(cls))
    if not issubclass(cls, JavaMLWritable):
        names.append(f"{cls.__module__}.{cls.__name__}")
    return names


def inventory() -> dict[str, object]:
    """{"spark": line, "skipped": SKIPPED, "classes": {python class: [names saved under]}}."""
    from pyspark.ml import Transformer
    from pyspark.ml.util import MLWritable

    classes: dict[str, list[str]] = {}
    for module in _modules():
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and not name.startswith("_")
                    and obj.__module__.startswith("pyspark.ml")
                    and issubclass(obj, Transformer) and issubclass(obj, MLWritable)
                    and not inspect.isabstract(obj)):
                classes[f"{obj.__module__}.{obj.__name__}"] = _saved_as(obj)
    return {"spark": spark_line(), "skipped": SKIPPED, "classes": dict(sorted(classes.items()))}


def render(data: dict[str, object]) -> str:
    return json.dumps(data, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    data = inventory()
    path = INVENTORY / f"{data['spark']}.json"
    if args.check:
        if not path.exists() or path.read_text() != render(data):
            print(f"{path} is missing or stale for the installed PySpark", file=sys.stderr)
            return 1
        return 0
    INVENTORY.mkdir(parents=True, exist_ok=True)
    path.write_text(render(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
