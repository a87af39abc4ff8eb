"""The typed reader every loader uses (servelib/loaders/params.py) and LoadLimits."""

from __future__ import annotations

import math

import pytest

import servelib
from servelib.errors import ModelLoadError
from servelib.loaders.limits import LoadLimits
from servelib.loaders.params import (
    BadValue,
    as_bool,
    as_double,
    as_int,
    as_strings,
    floats,
    ints,
    mapping_fields,
    show,
)
from tests.loaders.corrupt import copy_model, set_param


def _fields(**values):
    return mapping_fields(values, lambda msg: ModelLoadError(f"Stage (uid_1): {msg}", "/m/x"),
                          "param", 3)


def test_doubles_in_spark_and_python_json_spellings():
    assert math.isnan(as_double("NaN")) and math.isnan(as_double(math.nan))
    assert as_double("Inf") == math.inf == as_double(math.inf)
    assert as_double("-Inf") == -math.inf
    assert as_double(2) == 2.0 and type(as_double(2)) is float


@pytest.mark.parametrize("value", ["abc", "1.5", None, True, [1.0], {"a": 1}])
def test_not_doubles(value):
    with pytest.raises(BadValue):
        as_double(value)


def test_double_ranges():
    with pytest.raises(BadValue, match="outside"):
        as_double(math.nan, lo=0.0)
    with pytest.raises(BadValue, match="finite"):
        as_double("Inf", finite=True)
    with pytest.raises(BadValue):
        as_double(10**400)  # a JSON integer no double holds


@pytest.mark.parametrize("value", [True, 1.0, "1", None])
def test_not_ints(value):
    with pytest.raises(BadValue):
        as_int(value)


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None])
def test_not_bools(value):
    with pytest.raises(BadValue, match="boolean"):
        as_bool(value)


def test_string_lists_are_bounded_and_typed():
    assert as_strings(["a", "b"], 2) == ("a", "b")
    with pytest.raises(BadValue, match="limit"):
        as_strings(["a", "b", "c"], 2)
    with pytest.raises(BadValue, match="entry 1"):
        as_strings(["a", 1], 2)


def test_fields_name_the_field_stage_and_file():
    fields = _fields(threshold="abc", cols=["a", None])
    with pytest.raises(ModelLoadError) as err:
        fields.double("threshold")
    assert str(err.value) == ("Stage (uid_1): param 'threshold': expected a number, got 'abc' "
                              "(path: /m/x)")
    with pytest.raises(ModelLoadError, match="param 'cols': entry 1 is not a string"):
        fields.strings("cols")
    with pytest.raises(ModelLoadError, match="param 'absent' is missing"):
        fields.string("absent")
    assert fields.string("absent", "dflt") == "dflt"
    with pytest.raises(ModelLoadError, match="not one of"):
        _fields(mode="bogus").string("mode", choices=("error", "keep"))


def test_messages_quote_a_bounded_part_of_a_bad_value():
    assert len(show("x" * 10_000)) < 120


def test_load_limits_are_positive_ints_and_exported():
    assert servelib.LoadLimits is LoadLimits and "LoadLimits" in servelib.__all__
    for bad in (0, -1, 1.5, True, None):
        with pytest.raises(ValueError, match="max_nodes"):
            LoadLimits(max_nodes=bad)
    with pytest.raises(TypeError, match="LoadLimits"):
        servelib.load("x", limits={"max_nodes": 5})


def test_file_size_and_label_limits(tmp_path):
    model = copy_model("string_indexer_multi_keep", tmp_path)
    servelib.load(model, limits=LoadLimits(max_labels=10))
    with pytest.raises(ModelLoadError, match="labelsArray"):
        servelib.load(model, limits=LoadLimits(max_labels=2))
    with pytest.raises(ModelLoadError, match="max_file_bytes"):
        servelib.load(model, limits=LoadLimits(max_file_bytes=100))


def test_json_depth_limit(tmp_path):
    model = copy_model("string_indexer_multi_keep", tmp_path)
    set_param(model, "nested", [[[["a"]]]])
    servelib.load(model)
    with pytest.raises(ModelLoadError, match="max_json_depth"):
        servelib.load(model, limits=LoadLimits(max_json_depth=4))


def test_vector_size_limit(tmp_path):
    model = copy_model("lr_binomial", tmp_path)
    with pytest.raises(ModelLoadError, match="coefficientMatrix"):
        servelib.load(model, limits=LoadLimits(max_vector_size=2))


@pytest.mark.parametrize("flag", [True, False])
def test_a_boolean_among_numbers_is_not_a_number(flag):
    assert floats([1.0, 0.0, 2.5], 10).tolist() == [1.0, 0.0, 2.5]  # 1.0 == True: still numbers
    for read in (lambda v: floats(v, 10), lambda v: ints(v, 10, 0)):
        with pytest.raises(BadValue, match="entry 1"):
            read([1, flag, 2])
