"""Loader for SQLTransformer: the ``statement`` param, parsed and compiled once here.

A statement outside the supported subset (servelib/transformers/sql/compile.py) fails to load
with ModelLoadError naming the construct. ANSI mode is a session setting Spark does not save
with the model; servelib follows the default of the Spark line that saved it
(spark.sql.ansi.enabled: false in 3.x, true in 4.x).
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/SQLTransformer.scala
"""

from __future__ import annotations

from servelib.loaders.context import StageContext
from servelib.transformers.sql.compile import Refused, parse
from servelib.transformers.sql.transformer import SQLTransformer


def load_sql_transformer(ctx: StageContext) -> SQLTransformer:
    statement = ctx.params.string("statement")
    try:
        plan = parse(statement)
    except Refused as e:
        raise ctx.error(f"statement {statement[:200]!r}: {e}") from None
    return SQLTransformer(ctx.uid, statement=plan, ansi=ctx.meta.version >= (4, 0),
                          info=ctx.info(ansi=ctx.meta.version >= (4, 0)))
