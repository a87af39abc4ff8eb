"""Scalers and Imputer: input validation, error naming and the Imputer's type resolution.

Numbers Spark computes are checked by the parity fixtures; these tests cover servelib's own
logic (errors, declared vs inferred input types) with values that do not depend on Spark's math.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from servelib.errors import InvalidInput
from servelib.transformers.feature.imputer import ImputerModel
from servelib.transformers.feature.scalers import MinMaxScalerModel, StandardScalerModel
from servelib.vectors import DenseVector


def _imputer(**kw) -> ImputerModel:
    args = dict(input_cols=("x",), output_cols=("y",), surrogates=(2.75,), missing_value=math.nan)
    args.update(kw)
    return ImputerModel("imp", **args)


def test_undeclared_row_columns_are_double_alone_and_in_lists():
    """Issue 9 finding 9: a row dict has no Spark type, so an undeclared column is a double
    column for one row and for a list alike (it was long alone and double beside a float)."""
    model = _imputer()
    for value in (3, np.int32(3), np.float32(3.0), 3.0):
        alone = model.score_instance({"x": value})["y"]
        listed = model.score_instances([{"x": value}, {"x": 3.5}])[0]["y"]
        batch = model.score_rows_as_batch([{"x": value}])[0]["y"]
        assert type(alone) is type(listed) is type(batch) is float and alone == listed == 3.0
    assert model.score_instance({"x": None})["y"] == 2.75
    assert [r["y"] for r in model.score_instances([{"x": 1}, {"x": None}])] == [1.0, 2.75]
    # an int beyond int64 is a number like any other; beyond the doubles it is refused
    assert model.score_instance({"x": 2**63})["y"] == float(2**63)
    assert model.score_rows_as_batch([{"x": 2**63}, {"x": 1.5}])[0]["y"] == float(2**63)
    for entry in (lambda r: model.score_instance(r), lambda r: model.score_rows_as_batch([r])):
        with pytest.raises(InvalidInput, match="too large for a double"):
            entry({"x": 10**400})


def test_float32_nan_imputes_the_same_alone_and_in_a_list():
    model = _imputer()
    row = {"x": np.float32("nan")}
    assert model.score_instance(row)["y"] == model.score_rows_as_batch([row, {"x": 1.0}])[0]["y"]
    declared = _imputer().with_input_types({"x": "float"})
    assert declared.score_instance(row)["y"] == float(np.float32(2.75))
    assert declared.score_rows_as_batch([row])[0]["y"] == float(np.float32(2.75))


def test_imputer_declared_types_win_for_rows():
    model = _imputer().with_input_types({"x": "integer", "other": "string"})
    assert model.score_instance({"x": None})["y"] == 2
    assert type(model.score_instance({"x": None})["y"]) is int
    as_float = _imputer().with_input_types({"x": "float"}).score_instance({"x": None})["y"]
    assert as_float == float(np.float32(2.75))


def test_imputer_arrow_type_beats_declared_type():
    model = _imputer().with_input_types({"x": "double"})
    table = pa.table({"x": pa.array([None, 4], pa.int32())})
    out = model.transform(table)
    assert out.schema.field("y").type == pa.int32()
    assert out.column("y").to_pylist() == [2, 4]


def test_imputer_rejects_unknown_declared_type():
    with pytest.raises(ValueError, match="string"):
        _imputer().with_input_types({"x": "string"})


@pytest.mark.parametrize("value", ["3", True, [1.0], DenseVector([1.0])])
def test_imputer_wrong_type_names_column_and_stage(value):
    with pytest.raises(InvalidInput) as err:
        _imputer().score_instance({"x": value})
    assert err.value.column == "x" and "imp" in err.value.stage


def test_imputer_nan_in_declared_integer_column_is_invalid():
    model = _imputer(missing_value=-1.0).with_input_types({"x": "integer"})
    with pytest.raises(InvalidInput, match="does not fit"):
        model.score_instance({"x": math.nan})


def test_imputer_boolean_arrow_column_is_invalid():
    with pytest.raises(InvalidInput) as err:
        _imputer().transform(pa.table({"x": pa.array([True, None])}))
    assert err.value.column == "x"


def _standard(**kw) -> StandardScalerModel:
    args = dict(input_col="v", output_col="out", num_features=2, shift=np.zeros(2),
                scale=np.ones(2))
    args.update(kw)
    return StandardScalerModel("std", **args)


def test_scaler_null_vector_names_column_and_stage():
    with pytest.raises(InvalidInput) as err:
        _standard().score_instances([{"v": DenseVector([1.0, 2.0])}, {"v": None}])
    assert err.value.column == "v" and err.value.row == 1
    assert "StandardScalerModel" in err.value.stage


def test_identity_scaler_passes_null_through():
    assert _standard(shift=None, scale=None).score_instance({"v": None})["out"] is None


def test_scaler_too_long_dense_vector_is_invalid():
    with pytest.raises(InvalidInput, match="size 3"):
        _standard().score_instance({"v": [1.0, 2.0, 3.0]})


def test_min_max_wrong_size_is_invalid():
    model = MinMaxScalerModel("mm", input_col="v", output_col="o", num_features=2,
                              original_min=np.zeros(2), scale=np.ones(2),
                              constant=np.zeros(0, np.intp))
    with pytest.raises(InvalidInput, match="size 1"):
        model.score_instance({"v": [1.0]})
    with pytest.raises(InvalidInput):
        model.score_instance({"v": "not a vector"})
