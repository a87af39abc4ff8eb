"""Parity cases for vector assembly: VectorAssembler, VectorSlicer, VectorSizeHint, Interaction."""

from __future__ import annotations

from tests.parity.cases import Case, case

NAN = float("nan")


def _vec(values):
    from pyspark.ml.linalg import Vectors

    return Vectors.dense(values)


def _sp(size, pairs):
    from pyspark.ml.linalg import Vectors

    return Vectors.sparse(size, pairs)


MIXED = "x double, i int, b boolean, v vector"


def _mixed_rows():
    return [
        (1.5, 2, True, _vec([0.5, 0.0, -1.0])),
        (0.0, 0, False, _sp(3, {})),
        (-2.25, -7, True, _sp(3, {1: 4.0})),
        (3.0, 1, False, _vec([NAN, 0.0, 2.0])),  # NaN inside a vector is never invalid
        (0.0, 0, False, _vec([0.0, 0.0, 0.0])),
    ]


def _df(spark, rows, schema):
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql.types import StructType

    # "vector" in a DDL string is not a Spark type: build the schema by hand
    fields = []
    for part in schema.split(","):
        name, typ = part.split()
        fields.append((name, VectorUDT() if typ == "vector" else {"int": "integer"}.get(typ, typ)))
    struct = StructType()
    for name, typ in fields:
        struct = struct.add(name, typ, True)
    return spark.createDataFrame(rows, struct)


@case("vector_assembler_error")
def vector_assembler_error(spark):
    from pyspark.ml.feature import VectorAssembler

    test = _df(spark, _mixed_rows(), MIXED)
    bad = _df(spark, [
        (None, 1, True, _vec([1.0, 2.0, 3.0])),
        (NAN, 1, True, _vec([1.0, 2.0, 3.0])),
        (1.0, None, True, _vec([1.0, 2.0, 3.0])),
        (1.0, 1, None, _vec([1.0, 2.0, 3.0])),
        (1.0, 1, True, None),
    ], MIXED)
    stage = VectorAssembler(inputCols=["x", "i", "b", "v"], outputCol="features")
    return Case(stage, None, test, bad=bad)


@case("vector_assembler_skip")
def vector_assembler_skip(spark):
    from pyspark.ml.feature import VectorAssembler

    schema = "x double, f float, l long, b boolean, v vector"
    rows = [
        (1.5, 0.25, 3, True, _vec([0.5, 0.0, -1.0])),
        (None, 1.0, 1, False, _vec([1.0, 1.0, 1.0])),
        (NAN, 1.0, 1, False, _vec([1.0, 1.0, 1.0])),
        (2.0, NAN, 1, False, _vec([1.0, 1.0, 1.0])),
        (2.0, None, 1, False, _vec([1.0, 1.0, 1.0])),
        (2.0, 1.0, None, False, _sp(3, {2: 5.0})),
        (2.0, 1.0, 4, None, _sp(3, {2: 5.0})),
        (2.0, 1.0, 4, True, None),
        (0.0, 0.0, 0, False, _vec([NAN, NAN, 0.0])),  # kept: NaN inside a vector
        (0.0, 0.0, 0, False, _sp(3, {})),
    ]
    stage = VectorAssembler(inputCols=["x", "f", "l", "b", "v"], outputCol="features",
                            handleInvalid="skip")
    return Case(stage, None, _df(spark, rows, schema))


@case("vector_assembler_keep_scalars")
def vector_assembler_keep_scalars(spark):
    from pyspark.ml.feature import VectorAssembler

    rows = [
        (1.0, 2, True), (None, 3, False), (NAN, None, None), (0.0, 0, False), (None, None, None),
    ]
    test = spark.createDataFrame(rows, "x double, i int, b boolean")
    stage = VectorAssembler(inputCols=["x", "i", "b"], outputCol="features", handleInvalid="keep")
    return Case(stage, None, test)


@case("vector_assembler_keep_size_hint")
def vector_assembler_keep_size_hint(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import VectorAssembler, VectorSizeHint

    schema = "x double, v vector, w vector"
    rows = [
        (1.0, _vec([1.0, 2.0, 3.0]), _sp(12, {3: 1.0})),
        (None, _vec([1.0, 0.0, 3.0]), _sp(12, {})),
        (NAN, None, _sp(12, {0: 2.0, 11: -1.0})),
        (0.0, _sp(3, {}), None),
        (2.0, _vec([NAN, 0.0, 0.0]), _vec([1.0] * 12)),
        (None, None, None),
    ]
    df = _df(spark, rows, schema)
    stages = [
        VectorSizeHint(inputCol="v", size=3, handleInvalid="optimistic"),
        VectorSizeHint(inputCol="w", size=12, handleInvalid="optimistic"),
        VectorAssembler(inputCols=["x", "v", "w"], outputCol="features", handleInvalid="keep"),
    ]
    return Case(Pipeline(stages=stages), df, df)


@case("vector_assembler_sparse_dense")
def vector_assembler_sparse_dense(spark):
    from pyspark.ml.feature import VectorAssembler

    schema = "a double, s vector, c int"
    rows = [
        (0.0, _sp(20, {4: 1.0}), 0),  # sparse output
        (1.0, _sp(20, {0: 1.0, 19: -3.5}), 2),  # sparse output
        (1.0, _vec([float(k) for k in range(20)]), 1),  # dense output
        (0.0, _sp(20, {k: 1.0 for k in range(12)}), 0),  # dense output from a sparse input
        (0.0, _vec([0.0] * 20), 0),  # all zeros: sparse
        (-1.0, _sp(20, {k: 0.5 for k in range(7)}), 3),  # nnz 9 of 22: sparse
        (-1.0, _sp(20, {k: 0.5 for k in range(13)}), 3),  # nnz 15 of 22: dense
    ]
    stage = VectorAssembler(inputCols=["a", "s", "c"], outputCol="features")
    return Case(stage, None, _df(spark, rows, schema))


@case("vector_assembler_nested_names")
def vector_assembler_nested_names(spark):
    """Assembler over an assembler (slot names '<col>_<name>'), sliced by those names."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import VectorAssembler, VectorSizeHint, VectorSlicer

    schema = "x double, y double, v vector"
    rows = [
        (1.0, 2.0, _vec([3.0, 4.0])),
        (0.0, -1.0, _sp(2, {1: 7.0})),
        (5.0, 0.0, _sp(2, {})),
    ]
    df = _df(spark, rows, schema)
    stages = [
        VectorSizeHint(inputCol="v", size=2),
        VectorAssembler(inputCols=["x", "v"], outputCol="inner"),
        VectorAssembler(inputCols=["inner", "y", "v"], outputCol="outer"),
        VectorSlicer(inputCol="outer", outputCol="picked",
                     names=["inner_v_1", "y", "v_0", "inner_x"]),
    ]
    return Case(Pipeline(stages=stages), df, df)


@case("vector_slicer_indices")
def vector_slicer_indices(spark):
    from pyspark.ml.feature import VectorSlicer

    rows = [
        (_vec([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),),
        (_sp(6, {0: 1.5, 4: -2.0}),),
        (_sp(6, {1: 9.0}),),  # slice is an empty sparse vector
        (_vec([0.0, 0.0, NAN, 0.0, 0.0, 0.0]),),
    ]
    test = _df(spark, rows, "v vector")
    bad = _df(spark, [(None,)], "v vector")
    stage = VectorSlicer(inputCol="v", outputCol="sliced", indices=[4, 0, 2])
    return Case(stage, None, test, bad=bad)


@case("vector_slicer_names")
def vector_slicer_names(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import VectorAssembler, VectorSizeHint, VectorSlicer

    schema = "x double, v vector, y int"
    rows = [
        (1.0, _vec([0.5, 1.5, 2.5]), 3),
        (0.0, _sp(3, {2: 4.0}), 0),
        (-1.0, _sp(3, {}), 7),
        (2.0, _vec([0.0, 0.0, 0.0]), 0),
    ]
    df = _df(spark, rows, schema)
    stages = [
        VectorSizeHint(inputCol="v", size=3),
        VectorAssembler(inputCols=["x", "v", "y"], outputCol="features"),
        VectorSlicer(inputCol="features", outputCol="by_name", indices=[0],
                     names=["y", "v_1"]),
        VectorSlicer(inputCol="by_name", outputCol="again", names=["v_1", "x"]),
        VectorSlicer(inputCol="v", outputCol="v_sliced", indices=[2, 0]),  # size-only metadata
    ]
    return Case(Pipeline(stages=stages), df, df)


@case("vector_size_hint_error")
def vector_size_hint_error(spark):
    from pyspark.ml.feature import VectorSizeHint

    rows = [(_vec([1.0, 2.0, 3.0]), 1.0), (_sp(3, {1: 2.0}), 2.0), (_sp(3, {}), 3.0)]
    test = _df(spark, rows, "v vector, x double")
    bad = _df(spark, [(None, 1.0), (_vec([1.0, 2.0]), 1.0), (_sp(4, {0: 1.0}), 1.0)],
              "v vector, x double")
    return Case(VectorSizeHint(inputCol="v", size=3), None, test, bad=bad)


def _hint_rows():
    return [
        (_vec([1.0, 2.0, 3.0]), 1.0),
        (None, 2.0),
        (_vec([1.0, 2.0]), 3.0),
        (_sp(3, {2: 1.0}), 4.0),
        (_sp(5, {0: 1.0}), 5.0),
        (_vec([NAN, 0.0, 0.0]), 6.0),
    ]


@case("vector_size_hint_skip")
def vector_size_hint_skip(spark):
    from pyspark.ml.feature import VectorSizeHint

    test = _df(spark, _hint_rows(), "v vector, x double")
    return Case(VectorSizeHint(inputCol="v", size=3, handleInvalid="skip"), None, test)


@case("vector_size_hint_optimistic")
def vector_size_hint_optimistic(spark):
    from pyspark.ml.feature import VectorSizeHint

    test = _df(spark, _hint_rows(), "v vector, x double")
    return Case(VectorSizeHint(inputCol="v", size=3, handleInvalid="optimistic"), None, test)


@case("vector_size_hint_skip_assemble")
def vector_size_hint_skip_assemble(spark):
    """Rows of mixed sizes are filtered by the hint before the assembler sees them."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import VectorAssembler, VectorSizeHint

    df = _df(spark, _hint_rows(), "v vector, x double")
    stages = [
        VectorSizeHint(inputCol="v", size=3, handleInvalid="skip"),
        VectorAssembler(inputCols=["x", "v"], outputCol="features", handleInvalid="keep"),
    ]
    return Case(Pipeline(stages=stages), df, df)


@case("interaction_numeric")
def interaction_numeric(spark):
    from pyspark.ml.feature import Interaction

    rows = [(2.0, 3, 0.5), (0.0, 1, 4.0), (NAN, 0, 1.0), (-1.5, -2, -0.0), (1e300, 10, 1e10)]
    test = spark.createDataFrame(rows, "x double, i int, y double")
    bad = spark.createDataFrame([(None, 1, 1.0), (1.0, None, 1.0)], "x double, i int, y double")
    return Case(Interaction(inputCols=["x", "i", "y"], outputCol="inter"), None, test, bad=bad)


@case("interaction_vector")
def interaction_vector(spark):
    """Vector input with slot attributes from an assembler; names checked by a slicer."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import Interaction, VectorAssembler, VectorSizeHint, VectorSlicer

    schema = "x double, a double, v vector, y long"
    rows = [
        (2.0, 1.0, _vec([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]), 3),
        (NAN, 0.0, _sp(7, {6: 2.0}), 1),  # sparse assembled input: NaN only meets stored slots
        (1.5, 0.0, _sp(7, {}), 2),
        (0.0, -1.0, _vec([0.0, -2.0, 0.0, 0.0, 0.0, 0.0, 0.0]), 0),
        (-1.0, 2.0, _sp(7, {0: NAN, 3: 1.0}), -4),
    ]
    df = _df(spark, rows, schema)
    stages = [
        VectorSizeHint(inputCol="v", size=7),
        VectorAssembler(inputCols=["a", "v"], outputCol="av", handleInvalid="keep"),
        Interaction(inputCols=["x", "av", "y"], outputCol="inter"),
        Interaction(inputCols=["av"], outputCol="alone"),
        VectorSlicer(inputCol="inter", outputCol="picked",
                     names=["x:av_v_6:y", "x:av_a:y"], indices=[1]),
    ]
    return Case(Pipeline(stages=stages), df, df)
