"""Parity cases for RFormulaModel: its internal pipeline (StringIndexer, OneHotEncoder,
Interaction, VectorAssembler, VectorAttributeRewriter, ColumnPruner), string and numeric labels,
the label column absent at serving time, and unseen categories."""

from __future__ import annotations

from tests.parity.cases import Case, case

NAN = float("nan")
SCHEMA = "y string, x double, city string, n int"
TRAIN = [
    ("yes", 1.0, "paris", 1), ("no", 2.0, "berlin", 2), ("yes", 3.0, "paris", 3),
    ("maybe", -1.0, "tokyo", 1), ("no", 0.5, "berlin", 5), ("yes", 2.5, "rome", 2),
]


@case("rformula_dot_keep")
def rformula_dot_keep(spark):
    """y ~ . with a string label, handleInvalid="keep": unseen and null categories and labels."""
    from pyspark.ml.feature import RFormula

    train = spark.createDataFrame(TRAIN, SCHEMA)
    test = spark.createDataFrame([
        ("yes", 1.5, "paris", 4), ("zz", 0.0, "berlin", 0), ("no", NAN, "lima", 2),
        (None, 2.0, None, 1), ("maybe", -3.0, "tokyo", None),
    ], SCHEMA)
    formula = RFormula(formula="y ~ .", handleInvalid="keep")
    return Case(formula, train, test)


@case("rformula_interactions")
def rformula_interactions(spark):
    """Interactions and no intercept; the label column absent at serving time; unseen
    categories fail as in Spark (handleInvalid="error")."""
    from pyspark.ml.feature import RFormula

    train = spark.createDataFrame([(float(n), x, c, n) for _, x, c, n in TRAIN],
                                  "y double, x double, city string, n int")
    schema = "x double, city string, n int"
    test = spark.createDataFrame([(1.5, "paris", 4), (0.0, "berlin", 0), (2.5, "rome", 2),
                                  (-2.0, "tokyo", 7)], schema)
    bad = spark.createDataFrame([(1.0, "lima", 1), (1.0, None, 1), (NAN, "rome", 2)], schema)
    formula = RFormula(formula="y ~ x + city + city:x + n:x - 1")
    return Case(formula, train, test, bad=bad)


@case("rformula_numeric_label")
def rformula_numeric_label(spark):
    """A numeric label cast to double, a term removed with '-', intercept kept."""
    from pyspark.ml.feature import RFormula

    train = spark.createDataFrame([(n, x, c, n) for _, x, c, n in TRAIN],
                                  "y int, x double, city string, n int")
    test = spark.createDataFrame([(3, 1.5, "paris", 4), (None, 0.0, "berlin", 0),
                                  (7, -1.0, "tokyo", 2)], "y int, x double, city string, n int")
    formula = RFormula(formula="y ~ . - n", featuresCol="f", labelCol="lab")
    return Case(formula, train, test)


@case("rformula_vector_force_label")
def rformula_vector_force_label(spark):
    """A vector term (VectorSizeHint inside), '+ 0', forceIndexLabel on a numeric label and
    alphabetical category order; the label at serving time is present, absent or null."""
    from pyspark.ml.feature import RFormula
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.sql.types import BooleanType, DoubleType, StringType, StructType

    schema = (StructType().add("y", DoubleType()).add("v", VectorUDT())
              .add("city", StringType()).add("b", BooleanType()))
    dense, sparse = Vectors.dense, Vectors.sparse
    train = spark.createDataFrame([
        (1.0, dense([1.0, 2.0]), "paris", True), (0.0, sparse(2, {1: 3.0}), "berlin", False),
        (2.0, dense([0.0, -1.0]), "paris", True), (1.0, dense([4.0, 0.5]), "rome", False),
    ], schema)
    test = spark.createDataFrame([
        (1.0, dense([1.5, 0.0]), "rome", True), (2.0, sparse(2, {0: 7.0}), "berlin", None),
        (0.0, dense([0.0, 0.0]), "paris", False), (None, dense([1.0, 1.0]), "paris", True),
    ], schema)
    formula = RFormula(formula="y ~ v + city + b + 0", forceIndexLabel=True,
                       stringIndexerOrderType="alphabetAsc", handleInvalid="keep")
    return Case(formula, train, test)
