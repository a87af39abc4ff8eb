"""Score a Spark DataFrame with servelib inside Spark: the exact online code on a cluster.

    from servelib.spark import transform
    scored = transform(df, "hdfs:///models/fraud/7")   # a PipelineModel.save() directory

Each executor's Python worker loads the model once (``servelib.load``, no JVM work) and scores
Arrow record batches with ``transform`` through ``DataFrame.mapInArrow`` (Spark 3.3+), so a batch
job runs the very code the prediction service runs. Vector columns cross the Arrow boundary in
Spark's VectorUDT struct layout, which both sides share. Rows Spark would skip
(handleInvalid="skip") are dropped, as Spark's own ``transform`` drops them; a row Spark would
fail on fails the task with servelib's InvalidInput message.

The output schema is servelib's output for an empty batch of the input schema, so it is known
before any row is scored. Needs PySpark (the ``spark`` extra) on the driver and the executors,
and servelib importable on the executors.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

_MODELS: dict[str, Any] = {}  # per Python worker: path -> loaded model


def _model(path: str) -> Any:
    model = _MODELS.get(path)
    if model is None:
        import servelib

        model = _MODELS[path] = servelib.load(path)
    return model


def transform(df: Any, model_path: str, outputs: Sequence[str] | None = None) -> Any:
    """``df`` scored by the servelib model at ``model_path``: its columns plus the model's
    output columns (only ``outputs`` of them, in that order, when given)."""
    import pyarrow as pa

    model = _model(model_path)
    keep = _output_selection(model, outputs)
    empty = _empty_table(df.schema)
    schema = _spark_schema(_select(model.transform(empty), empty.column_names, keep).schema)

    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        scorer = _model(model_path)
        for batch in batches:
            table = scorer.transform(pa.Table.from_batches([batch]))
            yield from _select(table, batch.schema.names, keep).to_batches()

    return df.mapInArrow(score, schema)


def _output_selection(model: Any, outputs: Sequence[str] | None) -> list[str] | None:
    if outputs is None:
        return None
    produced = list(model.output_columns())
    unknown = [o for o in outputs if o not in produced]
    if unknown:
        from servelib.errors import InvalidInput

        raise InvalidInput(f"the model has no output column(s) {unknown}; it writes {produced}")
    return list(outputs)


def _select(table: Any, inputs: Sequence[str], keep: list[str] | None) -> Any:
    if keep is None:
        return table
    return table.select([*[c for c in inputs if c not in keep], *keep])


def _empty_table(spark_schema: Any) -> Any:
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_type

    from servelib.vectors import VECTOR_ARROW_TYPE

    fields = []
    for f in spark_schema.fields:
        arrow = VECTOR_ARROW_TYPE if _is_vector(f.dataType) else to_arrow_type(f.dataType)
        fields.append(pa.field(f.name, arrow))
    schema = pa.schema(fields)
    return schema.empty_table()


def _is_vector(data_type: Any) -> bool:
    from pyspark.ml.linalg import VectorUDT

    return isinstance(data_type, VectorUDT)


def _spark_schema(arrow_schema: Any) -> Any:
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql.pandas.types import from_arrow_type
    from pyspark.sql.types import StructField, StructType

    from servelib.vectors import is_vector_struct

    fields = []
    for f in arrow_schema:
        spark_type = VectorUDT() if is_vector_struct(f.type) else from_arrow_type(f.type)
        fields.append(StructField(f.name, spark_type, nullable=True))
    return StructType(fields)
