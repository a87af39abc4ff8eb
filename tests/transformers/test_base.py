"""The entry points (base.py): what they accept, what their errors say, and wanted outputs.

Issue 9 findings 6-9: rows that are not mappings, unbounded values in messages, RowSkipped
without its column, and rows that scored differently alone and in a list.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

import servelib
from servelib.errors import InvalidInput, RowSkipped
from servelib.testing.parity import input_types, read_rows, to_table
from servelib.transformers.feature.vector_assembler import VectorAssembler

FIXTURES = Path(__file__).parents[1] / "parity/fixtures/spark-4.3"


def _load(name: str, declare: bool = True):
    schema = json.loads((FIXTURES / name / "schema.json").read_text())
    model = servelib.load(str(FIXTURES / name / "model"))
    if declare:
        model = model.with_input_types(input_types(schema))
    return model, read_rows(FIXTURES / name / "input.jsonl"), schema


@pytest.mark.parametrize("name", ["demo_lr_pipeline", "tree_rf_classifier_200",
                                  "string_indexer_freq_desc_error"])
@pytest.mark.parametrize("bad", [None, [1, 2], "abc", 5, (("a", 1),)])
def test_rows_that_are_not_mappings_raise_one_type_error(name, bad):
    model, rows, _ = _load(name)
    with pytest.raises(TypeError, match="score_instance takes a row as a mapping"):
        model.score_instance(bad)
    with pytest.raises(TypeError, match=r"score_instances takes a list of rows .* row 1 is a"):
        model.score_instances([rows[0], bad])
    with pytest.raises(TypeError, match=r"score_instances takes a list of rows .* row 39 is a"):
        model.score_instances([rows[0]] * 39 + [bad])
    with pytest.raises(TypeError, match="score_instances takes a list of rows"):
        model.score_rows_as_batch([bad])


@pytest.mark.parametrize("bad", [{"a": 1}, "abc", None, 5])
def test_lists_and_tables_of_the_wrong_type_raise_a_type_error(bad):
    model, _, _ = _load("demo_lr_pipeline")
    if not isinstance(bad, int):
        with pytest.raises(TypeError, match="score_instances takes a list of rows"):
            model.score_instances(bad)
    with pytest.raises(TypeError, match="transform takes a pyarrow.Table"):
        model.transform(bad)


def test_error_messages_do_not_repeat_a_huge_value():
    model, rows, _ = _load("string_indexer_freq_desc_error")
    huge = "x" * 10_000_000
    for entry in (model.score_instance, model.score_instance_as_batch,
                  lambda r: model.score_instances([r])):
        with pytest.raises(InvalidInput, match="Unseen label: xxx") as err:
            entry({**rows[0], "color": huge})
        assert len(str(err.value)) < 400
    demo, rows, _ = _load("demo_lr_pipeline")
    with pytest.raises(InvalidInput, match="expected a number") as err:
        demo.score_instance({**rows[0], "amount": huge})
    assert len(str(err.value)) < 400


@pytest.mark.parametrize("name, column, value", [
    ("bucketizer_skip", "x", float("nan")),
    ("vector_assembler_skip", "f", None),
    ("vector_assembler_skip", "v", None),
    ("string_indexer_multi_skip", "s2", "unseen"),
    ("string_indexer_multi_skip", "s1", None),
])
def test_row_skipped_names_the_column(name, column, value):
    model, rows, _ = _load(name)
    row = {**rows[0], column: value}
    for entry in (model.score_instance, model.score_instance_as_batch):
        with pytest.raises(RowSkipped) as err:
            entry(row)
        assert err.value.column == column


def test_a_list_in_a_number_column_is_refused_alone_and_in_a_list():
    model, rows, _ = _load("demo_lr_pipeline")
    row = {**rows[0], "amount": [1.0, 2.0]}
    for entry in (model.score_instance, lambda r: model.score_instances([r, rows[1]]),
                  lambda r: model.score_rows_as_batch([rows[1], r])):
        with pytest.raises(InvalidInput, match="expected a number") as err:
            entry(row)
        assert err.value.column == "amount"


def test_an_undeclared_column_takes_a_vector_alone_as_in_a_batch():
    stage = VectorAssembler("va", input_cols=("a", "b"), output_col="out")
    row = {"a": [1.0, 2.0], "b": 3}
    assert stage.score_instance(row)["out"] == stage.score_instance_as_batch(row)["out"]
    assert stage.score_instance(row)["out"].toArray().tolist() == [1.0, 2.0, 3.0]


def test_decimals_and_bools_are_numbers_in_a_vector_assembler():
    stage = VectorAssembler("va", input_cols=("a", "b"), output_col="out")
    row = {"a": Decimal("1.5"), "b": True}
    for entry in (stage.score_instance, stage.score_instance_as_batch):
        assert entry(row)["out"].toArray().tolist() == [1.5, 1.0]


def test_overflow_prints_no_warning(recwarn):
    model, rows, _ = _load("demo_lr_pipeline")
    for entry in (model.score_instance, model.score_instance_as_batch):
        entry({**rows[0], "amount": 1e308, "age": -1e308})
    assert not [w for w in recwarn.list if issubclass(w.category, RuntimeWarning)]


# ---- wanted output columns ----------------------------------------------------------------
def test_outputs_returns_exactly_the_named_columns_on_every_entry_point():
    model, rows, schema = _load("demo_lr_pipeline")
    full = model.score_instance(rows[0])
    wanted = ["prediction", "_row"]
    assert model.score_instance(rows[0], outputs=wanted) == {k: full[k] for k in wanted}
    listed = model.score_instances(rows[:3], outputs=wanted)
    assert listed == [{k: r[k] for k in wanted} for r in model.score_instances(rows[:3])]
    assert model.score_rows_as_batch(rows[:3], outputs=wanted) == listed
    table = model.transform(to_table(rows, schema), outputs=wanted)
    assert table.column_names == wanted
    assert table.column("prediction").to_pylist() == [
        r["prediction"] for r in model.score_instances(rows)]


def test_an_unknown_output_is_named():
    model, rows, schema = _load("demo_lr_pipeline")
    for entry in (lambda: model.score_instance(rows[0], outputs=["nope"]),
                  lambda: model.score_instances(rows, outputs=["prediction", "nope"]),
                  lambda: model.transform(to_table(rows, schema), outputs=["nope"])):
        with pytest.raises(InvalidInput, match="no such output column") as err:
            entry()
        assert err.value.column == "nope"
    with pytest.raises(TypeError, match="list of column names"):
        model.score_instance(rows[0], outputs="prediction")


def test_outputs_run_only_the_stages_they_need():
    model, rows, _ = _load("demo_lr_pipeline")
    pruned = model.for_outputs(("prediction",))
    assert pruned is model.for_outputs(("prediction",))  # built once per outputs tuple
    assert len(pruned.stages) == len(model.stages)  # the prediction needs every stage
    first = model.stages[0].output_columns()[0]
    only_first = model.for_outputs((first,))
    assert only_first.stages == model.stages[:1]
    # a pruned stage's error is not raised, as Spark's select prunes unused columns
    row = {**rows[0], "city": True}  # Spark's StringIndexer refuses booleans
    with pytest.raises(InvalidInput):
        model.score_instance(row)
    assert first in model.score_instance(row, outputs=[first])


def test_a_skipping_stage_still_drops_rows_when_its_outputs_are_not_wanted():
    model, rows, schema = _load("bucketizer_multi_skip_pipeline")
    kept = model.score_rows_as_batch(rows)
    some_input = model.input_columns()[0]
    assert len(model.score_rows_as_batch(rows, outputs=[some_input])) == len(kept)
    table = model.transform(to_table(rows, schema), outputs=[some_input])
    assert table.num_rows == len(kept)
    assert isinstance(table, pa.Table)


@pytest.mark.parametrize("fixture", sorted(p.parent for p in FIXTURES.glob("*/model")),
                         ids=lambda p: p.name)
def test_each_output_alone_equals_the_full_result(fixture):
    """Pruning keeps every stage a column depends on, at any pipeline depth."""
    from servelib.testing.conformance import identical

    model, rows, schema = _load(fixture.name)
    for row in rows:
        try:
            full = model.score_instance(row)
        except InvalidInput:
            continue
        for column in model.output_columns():
            if column in full:
                alone = model.score_instance(row, outputs=[column])
                assert identical(alone, {column: full[column]}), column
                table = model.transform(to_table([row], schema), outputs=[column])
                assert table.column_names == [column]
        break
