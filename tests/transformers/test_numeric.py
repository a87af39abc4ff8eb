"""Numeric transformers (Bucketizer, Normalizer, ElementwiseProduct, PolynomialExpansion, DCT):
attributes against the metadata Spark wrote, error reporting, loader checks, and properties the
parity fixtures cannot show (batch-size independence, the expansion plan's structure)."""

from __future__ import annotations

import json
import shutil
from math import comb
from pathlib import Path

import numpy as np
import pytest

import servelib
from servelib.errors import InvalidInput, ModelLoadError
from servelib.transformers.attributes import Attribute, AttributeGroup
from servelib.transformers.base import HandleInvalid
from servelib.transformers.feature.bucketizer import Bucketizer, _order_keys
from servelib.transformers.feature.dct import DCT, dct_matrix
from servelib.transformers.feature.elementwise_product import ElementwiseProduct
from servelib.transformers.feature.normalizer import Normalizer
from servelib.transformers.feature.polynomial_expansion import PolynomialExpansion, expansion_plan
from servelib.vectors import DenseVector, SparseVector
from tests.parity.test_golden import FIXTURES

PREFIXES = (
    "bucketizer", "normalizer", "elementwise_product", "poly_expansion", "dct", "vector_sizes",
)
NUMERIC_FIXTURES = sorted(
    p for p in FIXTURES.glob("spark-*/*")
    if p.name.startswith(PREFIXES) and (p / "output_schema.json").exists()
)


# ---- attributes vs Spark's column metadata --------------------------------------------------
def _spark_attribute(ml: dict) -> Attribute | AttributeGroup:
    """The ml_attr metadata these stages write, as servelib attributes."""
    if "num_attrs" in ml or "attrs" in ml:
        assert "attrs" not in ml  # these stages only ever record a vector's size
        return AttributeGroup(size=ml["num_attrs"])
    assert ml.get("ord") is True  # Bucketizer's buckets are ordinal
    return Attribute(kind=ml["type"], name=ml.get("name"), values=tuple(ml["vals"]))


@pytest.mark.parametrize("fixture", NUMERIC_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_output_attributes_match_spark_metadata(fixture: Path):
    model = servelib.load(str(fixture / "model"))
    ours = model.output_attributes({})
    schema = json.loads((fixture / "output_schema.json").read_text())
    produced = set(model.output_columns())
    for f in schema["fields"]:
        if f["name"] not in produced:
            continue
        ml = f.get("metadata", {}).get("ml_attr")
        if ml is None:
            assert f["name"] not in ours, f"{f['name']}: Spark writes no attribute"
        else:
            assert ours.get(f["name"]) == _spark_attribute(ml), f["name"]


# ---- Bucketizer ------------------------------------------------------------------------------
def _bucketizer(handle: HandleInvalid) -> Bucketizer:
    return Bucketizer("b", input_cols=("x",), output_cols=("y",), splits=((0.0, 1.0, 2.0),),
                      handle_invalid=handle)


def test_order_keys_follow_java_double_compare():
    xs = [float("-inf"), -2.0, -1e-300, -0.0, 0.0, 5e-324, 1.0, float("inf")]
    keys = _order_keys(np.array(xs))
    assert list(np.argsort(keys, kind="stable")) == list(range(len(xs)))
    assert len(set(keys.tolist())) == len(xs)  # -0.0 and 0.0 are distinct, as in Java


def test_nan_in_error_mode_names_column_and_stage():
    stage = _bucketizer(HandleInvalid.ERROR)
    with pytest.raises(InvalidInput, match="encountered NaN") as err:
        stage.score_instances([{"x": 0.5}, {"x": float("nan")}])
    assert (err.value.column, err.value.row) == ("x", 1)
    assert "Bucketizer(b)" in str(err.value.stage)


@pytest.mark.parametrize("handle", list(HandleInvalid))
def test_outside_the_splits_fails_in_every_mode(handle):
    with pytest.raises(InvalidInput, match=r"out of Bucketizer bounds \[0.0, 2.0\]"):
        _bucketizer(handle).score_instance({"x": 2.5})


def test_skip_drops_null_and_nan_rows_but_still_checks_bounds():
    stage = _bucketizer(HandleInvalid.SKIP)
    kept = stage.score_instances([{"x": None}, {"x": float("nan")}, {"x": 1.0}])
    assert [r["x"] for r in kept] == [1.0]


# ---- vector stages: errors, empty batches ----------------------------------------------------
VECTOR_STAGES = [
    Normalizer("n", input_col="v", output_col="o", p=3.0),
    ElementwiseProduct("e", input_col="v", output_col="o", scaling=(1.0, 2.0, 3.0)),
    PolynomialExpansion("p", input_col="v", output_col="o", degree=3),
    DCT("d", input_col="v", output_col="o"),
    DCT("i", input_col="v", output_col="o", inverse=True),
]


@pytest.mark.parametrize("stage", VECTOR_STAGES, ids=lambda s: s.name)
def test_null_vector_is_invalid(stage):
    with pytest.raises(InvalidInput) as err:
        stage.score_instance({"v": None})
    assert err.value.column == "v"


def test_elementwise_product_rejects_another_size():
    stage = VECTOR_STAGES[1]
    with pytest.raises(InvalidInput, match="Expected 3 but found 2"):
        stage.score_instance({"v": DenseVector([1.0, 2.0])})


def test_dct_rejects_an_empty_vector():
    with pytest.raises(InvalidInput, match="greater than 0"):
        VECTOR_STAGES[3].score_instance({"v": DenseVector([])})


@pytest.mark.parametrize("stage", VECTOR_STAGES, ids=lambda s: s.name)
@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 17, 64])
def test_one_row_equals_the_same_row_in_a_batch_bit_for_bit(stage, size):
    """Reductions and products must not depend on how many rows are scored together."""
    if isinstance(stage, ElementwiseProduct):
        stage = ElementwiseProduct("e", input_col="v", output_col="o",
                                   scaling=tuple(np.linspace(-2.0, 3.0, size)))
    if isinstance(stage, PolynomialExpansion) and size > 17:
        pytest.skip("C(67, 3) outputs: too slow for a unit test")
    rng = np.random.default_rng(size)
    rows = [{"v": DenseVector(rng.normal(size=size) * 10.0 ** rng.integers(-3, 4))}
            for _ in range(9)]
    rows.append({"v": SparseVector(size, [size - 1], [2.5])})
    batch = stage.score_instances(rows)
    for row, got in zip(rows, batch):
        one = stage.score_instance(row)["o"]
        assert type(one) is type(got["o"])
        assert one.toArray().tobytes() == got["o"].toArray().tobytes()


# ---- PolynomialExpansion's plan ---------------------------------------------------------------
@pytest.mark.parametrize("n, degree", [(1, 1), (1, 4), (3, 2), (3, 3), (5, 4), (0, 2)])
def test_plan_lists_every_monomial_once(n, degree):
    plan = expansion_plan(n, degree)
    assert plan.shape == (comb(n + degree, degree) - 1, degree)
    monomials = {tuple(sorted(row[row < n].tolist())) for row in plan}
    assert len(monomials) == plan.shape[0]
    assert all(1 <= len(m) <= degree for m in monomials)
    for row in plan:  # factors run from the last feature down, padding (n) at the end
        real = row[row < n]
        assert list(real) == sorted(real, reverse=True)
        assert all(row[len(real):] == n)


def test_plan_is_built_once_per_size():
    stage = PolynomialExpansion("p", input_col="v", output_col="o", degree=2)
    assert stage.plan(4) is stage.plan(4)


# ---- DCT ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 5, 8, 13])
def test_dct_matrix_is_orthonormal(n):
    m = dct_matrix(n)
    assert np.allclose(m @ m.T, np.eye(n), atol=1e-14)


# ---- loaders ----------------------------------------------------------------------------------
def _stage_meta(model_dir: Path) -> Path:
    (part,) = [p for p in (model_dir / "metadata").iterdir() if p.name.startswith("part-")]
    return part


@pytest.mark.parametrize(
    "case, param, value, message",
    [
        ("bucketizer_inf_splits", "splits", [0.0, 0.0, 1.0], "strictly increasing"),
        ("bucketizer_inf_splits", "splits", [0.0, 1.0], "strictly increasing"),
        ("normalizer_default", "p", 0.5, "p must be >= 1"),
        ("poly_expansion_degree2", "degree", 0, "degree must be >= 1"),
    ],
)
def test_loader_rejects_params_spark_would_not_accept(tmp_path, case, param, value, message):
    model = shutil.copytree(FIXTURES / "spark-3.5" / case / "model", tmp_path / "m")
    meta = _stage_meta(model)
    raw = json.loads(meta.read_text())
    raw["paramMap"][param] = value
    meta.write_text(json.dumps(raw))
    with pytest.raises(ModelLoadError, match=message):
        servelib.load(str(model))
