"""Spark's SQLTransformer: a SELECT statement over ``__THIS__``, parsed once at load
(compile.py), evaluated with Spark SQL's semantics (nodes.py, values.py) on rows and batches
(transformer.py)."""
