"""Record what PySpark reports about the tree models in the parity fixtures.

    /work/venvs/spark4/bin/python  tests/parity/tree_facts.py   # after make_fixtures.py
    /work/venvs/spark35/bin/python tests/parity/tree_facts.py

Loads every ``tree_*`` fixture's saved model with PySpark and writes, per tree stage (by uid),
featureImportances, the node count, depth, number of trees and tree weights into
tests/parity/tree_facts.json under ``spark-<major.minor>``. tests/transformers/test_tree.py
compares servelib's ``info`` (what ``servelib inspect`` shows) with these numbers, so the facts
come from Spark and never from hand-written values.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "tree_facts.json"
TREE_CLASSES = ("DecisionTree", "RandomForest", "GBT")


def _load(path: Path):
    meta = next((path / "metadata").glob("part-*"))
    cls = json.loads(meta.read_text().splitlines()[0])["class"]
    module, name = cls.rsplit(".", 1)
    pymodule = module.replace("org.apache.spark.ml", "pyspark.ml")
    return getattr(importlib.import_module(pymodule), name).load(str(path))


def _facts(stage) -> dict:
    trees = getattr(stage, "trees", None)
    if trees is None:  # a single decision tree
        return {"feature_importances": stage.featureImportances.toArray().tolist(),
                "num_nodes": stage.numNodes, "max_depth": stage.depth, "num_trees": 1}
    return {"feature_importances": stage.featureImportances.toArray().tolist(),
            "num_nodes": stage.totalNumNodes, "max_depth": max(t.depth for t in trees),
            "num_trees": len(trees), "tree_weights": list(stage.treeWeights)}


def main() -> int:
    sys.path.insert(0, str(HERE.parents[1]))
    from tests.parity.make_fixtures import spark_session

    import pyspark

    version = "spark-" + ".".join(pyspark.__version__.split(".")[:2])
    spark = spark_session()
    facts: dict = {}
    for fixture in sorted((HERE / "fixtures" / version).glob("tree_*/model")):
        model = _load(fixture)
        for stage in getattr(model, "stages", [model]):
            if type(stage).__name__.startswith(TREE_CLASSES):
                facts[f"{fixture.parent.name}/{stage.uid}"] = _facts(stage)
    spark.stop()
    everything = json.loads(OUT.read_text()) if OUT.exists() else {}
    everything[version] = facts
    OUT.write_text(json.dumps(everything, indent=1, sort_keys=True) + "\n")
    print(f"{version}: {len(facts)} tree stages -> {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
