"""RFormulaModel's label rules and the private stages of its internal pipeline (the formula
pipeline itself is checked against PySpark by the rformula_* parity cases)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from servelib.errors import InvalidInput
from servelib.transformers.attributes import Attribute, AttributeGroup
from servelib.transformers.base import HandleInvalid
from servelib.transformers.feature.rformula import RFormulaModel
from servelib.transformers.feature.rformula_internal import ColumnPruner, VectorAttributeRewriter
from servelib.transformers.feature.string_indexer import StringIndexerModel
from servelib.transformers.feature.vector_assembler import VectorAssembler
from servelib.transformers.pipeline import PipelineModel
from servelib.vectors import DenseVector


def formula(label_indexer: bool = False) -> RFormulaModel:
    stages = [
        StringIndexerModel("si", input_cols=("c",), output_cols=("tmp",), labels=(("a", "b"),),
                           handle_invalid=HandleInvalid.KEEP),
        VectorAssembler("va", input_cols=("x", "tmp"), output_col="features"),
        ColumnPruner("cp", columns=("tmp",)),
    ]
    indexer = StringIndexerModel("li", input_cols=("y",), output_cols=("label",),
                                 labels=(("no", "yes"),)) if label_indexer else None
    return RFormulaModel("rf", features=PipelineModel.build("rf", stages),
                         label_indexer=indexer, label="y").bind({})


def test_pruned_columns_leave_every_entry_point():
    model = formula()
    row = {"x": 1.0, "c": "b"}
    expected = {"x": 1.0, "c": "b", "features": DenseVector([1.0, 1.0])}
    assert model.score_instance(row) == expected
    assert model.score_instance_as_batch(row) == expected
    assert model.score_rows_as_batch([row]) == [expected]
    assert model.transform(pa.Table.from_pylist([row])).column_names == ["x", "c", "features"]


def test_numeric_label_cast_to_double_and_absent_label_skipped():
    model = formula()
    assert model.score_instance({"x": 1.0, "c": "a", "y": 3})["label"] == 3.0
    assert model.score_instance({"x": 1.0, "c": "a", "y": None})["label"] is None
    assert "label" not in model.score_instance({"x": 1.0, "c": "a"})
    assert model.score_rows_as_batch([{"x": 1.0, "c": "a", "y": True}])[0]["label"] == 1.0


def test_string_label_goes_through_the_label_indexer():
    model = formula(label_indexer=True)
    assert model.score_instance({"x": 1.0, "c": "a", "y": "yes"})["label"] == 1.0
    assert "label" not in model.score_instance({"x": 1.0, "c": "a"})


def test_spark_checks_before_transforming():
    model = formula()
    with pytest.raises(InvalidInput, match="Features column already exists"):
        model.score_instance({"x": 1.0, "c": "a", "features": 1.0})
    with pytest.raises(InvalidInput, match="Unsupported type for label"):
        model.score_instance({"x": 1.0, "c": "a", "y": "text"})
    with pytest.raises(InvalidInput, match="Unsupported type for label"):
        model.score_rows_as_batch([{"x": 1.0, "c": "a", "y": "text"}])


def test_attribute_rewriter_renames_slots_only():
    stage = VectorAttributeRewriter("r", vector_col="f", prefixes=(("onehot_1_", "city_"),))
    group = AttributeGroup(2, (Attribute("numeric", "onehot_1_paris"), Attribute("numeric")))
    out = stage.output_attributes({"f": group})["f"]
    assert out.slot_names() == ("city_paris", None)
    assert stage.score_instance({"f": DenseVector([1.0, 2.0])}) == {"f": DenseVector([1.0, 2.0])}
