"""Load-time resolution and servelib-side guards of the vector stages (Spark numbers are checked
by the parity fixtures, not here)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import servelib
from servelib.errors import InvalidInput, ModelLoadError, RowSkipped, UnsupportedStage
from servelib.transformers.attributes import Attribute, AttributeGroup
from servelib.transformers.base import HandleInvalid
from servelib.transformers.feature.interaction import Interaction
from servelib.transformers.feature.vector_assembler import VectorAssembler
from servelib.transformers.feature.vector_size_hint import VectorSizeHint
from servelib.transformers.feature.vector_slicer import VectorSlicer
from servelib.transformers.pipeline import PipelineModel
from servelib.vectors import VECTOR_ARROW_TYPE, DenseVector
from tests.parity.test_golden import FIXTURES

KEEP, ERROR = HandleInvalid.KEEP, HandleInvalid.ERROR
VECTOR_FIXTURES = sorted(
    p for p in FIXTURES.glob("spark-*/*")
    if p.name.startswith(("vector_assembler", "vector_slicer", "vector_size_hint", "interaction"))
    and (p / "output_schema.json").exists()
)


def _spark_attr(ml: dict, name: str | None = None) -> Attribute:
    kind = ml.get("type", "numeric")
    vals = ml.get("vals")
    return Attribute(kind, ml.get("name", name), None if vals is None else tuple(vals),
                     ml.get("num_vals"))


def _spark_attributes(ml: dict) -> Attribute | AttributeGroup:
    """Spark's ml_attr column metadata (AttributeGroup.fromMetadata) as servelib attributes."""
    if "num_attrs" not in ml:
        return _spark_attr(ml)
    if "attrs" not in ml:
        return AttributeGroup(ml["num_attrs"])
    slots = [Attribute("numeric")] * ml["num_attrs"]  # slots left out are default numeric ones
    for kind, entries in ml["attrs"].items():
        for entry in entries:
            slots[entry["idx"]] = _spark_attr({**entry, "type": kind})
    return AttributeGroup(ml["num_attrs"], tuple(slots))


# An assembler over a request vector column with no size metadata: Spark names its slots after
# the data's first row ("s_0".."s_19"); at load time servelib takes such a column for a number.
UNSIZED_REQUEST_VECTOR = ("vector_assembler_error", "vector_assembler_skip",
                          "vector_assembler_sparse_dense")


def _attr_case(path: Path):
    if path.name in UNSIZED_REQUEST_VECTOR:
        return pytest.param(path, marks=pytest.mark.xfail(
            strict=True, reason="slot names Spark takes from the first row of the data"))
    return path


@pytest.mark.parametrize("fixture", [_attr_case(p) for p in VECTOR_FIXTURES],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_output_attributes_match_spark_metadata(fixture: Path):
    model = servelib.load(str(fixture / "model"))
    ours = model.output_attributes({})
    fields = json.loads((fixture / "output_schema.json").read_text())["fields"]
    spark = {f["name"]: _spark_attributes(f["metadata"]["ml_attr"])
             for f in fields if "ml_attr" in f.get("metadata", {})}
    assert ours == spark


def _assembler(*cols, mode=ERROR, out="f"):
    return VectorAssembler("va", input_cols=cols, output_col=out, handle_invalid=mode)


def test_keep_with_unsized_vector_fails_at_load():
    with pytest.raises(ModelLoadError, match='handleInvalid = "keep"'):
        PipelineModel.build("p", [_assembler("x", "v", mode=KEEP)], {"v": AttributeGroup()})


def test_keep_with_request_vector_fails_per_request():
    model = PipelineModel.build("p", [_assembler("x", "v", mode=KEEP)])
    assert model.score_instance({"x": None, "v": 2.0})["f"] == DenseVector([np.nan, 2.0])
    with pytest.raises(InvalidInput, match="VectorSizeHint") as err:
        model.score_instance({"x": 1.0, "v": DenseVector([1.0, 2.0])})
    assert err.value.column == "v"


def test_error_mode_names_the_null_or_nan_column():
    model = PipelineModel.build("p", [_assembler("x", "y")])
    with pytest.raises(InvalidInput, match="Encountered NaN") as err:
        model.score_instance({"x": 1.0, "y": float("nan")})
    assert err.value.column == "y"
    with pytest.raises(InvalidInput, match="Encountered null") as err:
        model.score_instances([{"x": 1.0, "y": 2.0}, {"x": None, "y": 2.0}])
    assert (err.value.column, err.value.row) == ("x", 1)


def test_request_vector_taken_as_number_at_load_is_assembled_from_data():
    model = PipelineModel.build("p", [_assembler("x", "v")])
    out = model.score_instance({"x": 1.0, "v": [2.0, 3.0]})
    assert out["f"] == DenseVector([1.0, 2.0, 3.0])


def test_slicer_names_guard_against_a_request_vector_assumed_to_be_a_number():
    stages = [_assembler("x", "v", "y"), VectorSlicer("vs", input_col="f", output_col="s",
                                                      names=("y",))]
    model = PipelineModel.build("p", stages)  # "y" resolves to slot 2 of (x, v, y)
    assert model.score_instance({"x": 1.0, "v": 5.0, "y": 7.0})["s"] == DenseVector([7.0])
    with pytest.raises(InvalidInput, match="resolved against 3 slots"):
        model.score_instance({"x": 1.0, "v": [5.0, 6.0], "y": 7.0})


def test_slicer_name_errors_at_load():
    group = AttributeGroup(2, (Attribute("numeric", "a"), Attribute("numeric", "b")))
    slicer = VectorSlicer("vs", input_col="v", output_col="s", names=("c",))
    with pytest.raises(ModelLoadError, match="no feature with name c"):
        slicer.bind({"v": group})
    with pytest.raises(UnsupportedStage, match="not known at load time"):
        slicer.bind({})
    overlap = VectorSlicer("vs", input_col="v", output_col="s", indices=(1,), names=("b",))
    with pytest.raises(ModelLoadError, match="overlap"):
        overlap.bind({"v": group})
    sized = VectorSlicer("vs", input_col="v", output_col="s", indices=(3,))
    with pytest.raises(ModelLoadError, match="invalid for only 2"):
        sized.bind({"v": AttributeGroup(2)})


def test_slicer_index_past_the_end():
    slicer = PipelineModel.build("p", [VectorSlicer("vs", input_col="v", output_col="s",
                                                    indices=(3,))])
    with pytest.raises(InvalidInput, match="out of bounds"):
        slicer.score_instance({"v": DenseVector([1.0, 2.0])})


def test_size_hint_metadata():
    hint = VectorSizeHint("h", input_col="v", size=3)
    named = AttributeGroup(3, tuple(Attribute("numeric", n) for n in "abc"))
    assert hint.output_attributes({"v": named}) == {}  # kept, slot names and all
    assert hint.output_attributes({}) == {"v": AttributeGroup(3)}
    with pytest.raises(ModelLoadError, match="already set to 2"):
        hint.bind({"v": AttributeGroup(2)})


def test_size_hint_skip_filters_an_arrow_batch_of_mixed_sizes():
    stages = [VectorSizeHint("h", input_col="v", size=2, handle_invalid="skip"),
              _assembler("v")]
    model = PipelineModel.build("p", stages)
    structs = [{"type": 1, "size": None, "indices": None, "values": v}
               for v in ([1.0, 2.0], [1.0], [3.0, 0.0])]
    table = pa.table({"v": pa.array(structs, VECTOR_ARROW_TYPE)})
    out = model.transform(table)
    assert out.num_rows == 2
    with pytest.raises(RowSkipped):
        model.score_instance({"v": [1.0, 2.0, 3.0]})


def test_interaction_needs_vector_attributes():
    inter = Interaction("i", input_cols=("x", "v"), output_col="o")
    with pytest.raises(UnsupportedStage, match="no slot attributes"):
        inter.bind({"v": AttributeGroup(3)})
    model = PipelineModel.build("p", [inter])
    with pytest.raises(InvalidInput, match="Vector attributes must be defined") as err:
        model.score_instance({"x": 1.0, "v": DenseVector([1.0, 2.0])})
    assert err.value.column == "v"
    with pytest.raises(InvalidInput, match="boolean"):
        model.score_instance({"x": True, "v": 1.0})
    with pytest.raises(InvalidInput, match="cannot be null"):
        model.score_instance({"x": None, "v": 1.0})


def test_interaction_nominal_needs_values():
    inter = Interaction("i", input_cols=("c",), output_col="o")
    with pytest.raises(UnsupportedStage, match="without values"):
        inter.bind({"c": Attribute("nominal", "c")})
