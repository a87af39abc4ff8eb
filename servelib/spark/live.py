"""PySpark's own answer for a model directory and some rows (`servelib parity` without
``--expected``): a local JVM (loopback only), the model loaded by its own PySpark class, and
``transform`` collected back as row dicts with servelib vectors."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any


def session() -> Any:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[2]").appName("servelib-parity")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )


def load_with_pyspark(model_dir: str) -> Any:
    """The model by the PySpark class its metadata names (org.apache.spark.ml.X -> pyspark.ml.X)."""
    from servelib.loaders.fs import ModelFS
    from servelib.loaders.metadata import read_metadata

    fs, root = ModelFS.open(model_dir)
    spark_class = read_metadata(fs, root).spark_class
    module, _, name = spark_class.replace("org.apache.spark.ml", "pyspark.ml").rpartition(".")
    if module == "pyspark.ml":
        module = "pyspark.ml.pipeline" if name == "PipelineModel" else module
    return getattr(importlib.import_module(module), name).load(model_dir)


def spark_transform(model_dir: str, table: Any) -> list[dict[str, Any]]:
    """PySpark's transform of ``table`` (Arrow, vectors in VectorUDT layout) as row dicts."""
    from servelib.spark import _spark_schema

    spark = session()
    schema = _spark_schema(table.schema)
    vectors = [f.name for f in schema.fields if type(f.dataType).__name__ == "VectorUDT"]
    rows = [tuple(_to_pyspark(v) if k in vectors else v for k, v in row.items())
            for row in table.to_pylist()]
    df = spark.createDataFrame(rows, schema)
    return [{k: _from_pyspark(v) for k, v in r.asDict().items()}
            for r in load_with_pyspark(model_dir).transform(df).collect()]


def _to_pyspark(struct: dict | None) -> Any:
    from pyspark.ml.linalg import Vectors

    if struct is None:
        return None
    if struct["type"] == 0:
        return Vectors.sparse(struct["size"], struct["indices"], struct["values"])
    return Vectors.dense(struct["values"])


def _from_pyspark(value: Any) -> Any:
    from pyspark.ml.linalg import DenseVector as SparkDense
    from pyspark.ml.linalg import SparseVector as SparkSparse

    from servelib.vectors import DenseVector, SparseVector

    if isinstance(value, SparkDense):
        return DenseVector(value.toArray().tolist())
    if isinstance(value, SparkSparse):
        return SparseVector(value.size, value.indices.tolist(), value.values.tolist())
    if isinstance(value, list):
        return [_from_pyspark(v) for v in value]
    return value
