"""Row kernels (base.py): the plain-Python one-row path gives the batch path's bits and is taken.

Bit-equality on real fixtures is the conformance suite's job (score_instance vs score_instances on
every fixture row; the tree engine's sums: tests/transformers/tree/test_engine.py); here: the
pipelines users deploy actually take the row path on every row they score.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import servelib
import servelib.vectors
from servelib.testing.parity import input_types, read_rows
from tests.parity.test_golden import CASE_DIRS

# Pipelines whose every scored row must take the row path (stages all have kernels covering
# their configuration); a kernel that silently stops engaging shows up here, not as a slow p50.
ROW_PATH_FIXTURES = (
    "tree_gbt_onehot_pipeline",
    "tree_gbt_regressor",
    "tree_dt_regressor_pipeline",
    "string_indexer_one_hot_pipeline",
    "imputer_single_double_mode_in_place",
    "demo_lr_pipeline",
    "tree_gbt_classifier_100",
    "tree_rf_classifier_200",
    "tree_dt_classifier_pipeline",
    "tree_rf_regressor",
    "xgb_binary_pipeline",
    "xgb_multiclass_pipeline",
    "tree_dt_classifier_weighted",  # thresholds
    "tree_rf_classifier_multiclass",
    "tree_gbt_classifier_paths",
    "text_lr_pipeline",  # the text stages (cases/text.py)
    "text_lr_default_size_pipeline",  # 2^18 slots: sparse entries through IDF and LR
    "text_lr_multinomial_sparse",
    "ngram_unigram_pipeline",
    "idf_hashed_pipeline",
    "idf_dense_vectors",
    "count_vectorizer_fraction_binary",
    "feature_hasher_mixed",
    "word2vec_average",
    "stop_words_multi_case_sensitive",
    "regex_tokenizer_quantifiers",
)


@pytest.mark.parametrize("fixture", [f for f in CASE_DIRS if f.name in ROW_PATH_FIXTURES],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_deployed_pipelines_take_the_row_path(fixture: Path):
    schema = json.loads((fixture / "schema.json").read_text())
    model = servelib.load(str(fixture / "model")).with_input_types(input_types(schema))
    kernel = model._kernel
    assert kernel is not None, "a stage of this pipeline has no row kernel"
    for row in read_rows(fixture / "input.jsonl"):
        try:
            scored = model.score_instances([row])
        except servelib.InvalidInput:
            continue
        if scored:
            assert kernel(dict(row)), f"row {row.get('_row')} left the row path"


@pytest.mark.parametrize("declared", [None, "integer", "long", "short", "double", "float"])
def test_imputer_kernel_agrees_with_the_batch_path_on_edge_values(declared):
    """Ints at and past each integer type's bounds, beyond 2**53 and int64, null, floats, bools:
    the row path gives the batch path's value, type and error (or leaves the row to it)."""
    from servelib.testing.conformance import _outcome

    path = Path(__file__).parents[1] / "parity/fixtures/spark-4.3/imputer_single_int/model"
    model = servelib.load(str(path))
    if declared:
        model = model.with_input_types({"i": declared})
    edges = [0, 1, -1, 2, 2**15 - 1, 2**15, -(2**15) - 1, 2**31 - 1, 2**31, -(2**31) - 1,
             2**53 + 1, 2**63 - 1, -(2**63), 2**63, None, 3.0, -0.0, float("nan"), True]
    for value in edges:
        row = {"i": value}
        single = _outcome(lambda row=row: [model.score_instance(row)])
        batch = _outcome(lambda row=row: model.score_rows_as_batch([row]))
        assert single == batch, (value, single, batch)
        if single[0] == "result":  # the same Python type too (int for integer columns)
            got = model.score_instance(row)["i_out"]
            want = model.score_rows_as_batch([row])[0]["i_out"]
            assert type(got) is type(want), (value, got, want)


# Fixtures whose rows, made dirty the way real traffic is (a null, an int, a bool or a NumPy
# scalar for a double, an unseen category, a list for a vector), must still be decided by the
# row kernels whenever Spark scores them (issue 8: a fallback for common input is a cliff).
DIRTY_ROW_PATH_FIXTURES = (
    "demo_lr_pipeline",
    "tree_gbt_onehot_pipeline",
    "string_indexer_one_hot_pipeline",
    "imputer_strategies_multi",
    "imputer_single_int",
    "imputer_single_float_median",
    "vector_assembler_keep_scalars",
    "vector_assembler_skip",
    "vector_assembler_error",
    "bucketizer_multi_keep",
    "bucketizer_skip",
    "string_indexer_multi_keep",
    "string_indexer_multi_skip",
    "string_indexer_multi_error",
    "one_hot_no_drop_keep",
    "one_hot_drop_last_error",
)


def _dirty_values(value):
    if isinstance(value, str):
        return [None, "unseen-category"]
    if hasattr(value, "toArray"):
        return [None, value.toArray().tolist()]
    if isinstance(value, float) and np.isfinite(value):
        return [None, float("nan"), int(value), np.float64(value), value != 0.0]
    return [None]


@pytest.mark.parametrize("fixture", [f for f in CASE_DIRS if f.name in DIRTY_ROW_PATH_FIXTURES],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_dirty_rows_spark_scores_stay_on_the_row_path(fixture: Path):
    schema = json.loads((fixture / "schema.json").read_text())
    model = servelib.load(str(fixture / "model")).with_input_types(input_types(schema))
    kernel = model._kernel
    for row in read_rows(fixture / "input.jsonl"):
        for column in model.input_columns():
            for value in _dirty_values(row.get(column)):
                dirty = {**row, column: value}
                try:
                    model.score_instance_as_batch(dirty)
                except servelib.InvalidInput:
                    decided = servelib.InvalidInput  # skips and errors: the kernel raises too
                else:
                    decided = True
                try:
                    taken = kernel(dict(dirty))
                except servelib.InvalidInput:
                    taken = servelib.InvalidInput
                if taken is False and decided is servelib.InvalidInput and type(value) is bool:
                    continue  # a type Spark refuses here (Imputer): rare, the batch path names it
                assert taken is decided, (column, value)


@pytest.mark.parametrize("name", ["lr_binomial", "lr_multinomial_two_classes",
                                  "lr_multinomial_pipeline", "linear_svc"])
def test_a_nan_feature_stays_on_the_linear_row_path(name):
    """LogisticRegression and LinearSVC keep a NaN margin on the kernel (compile_linear's
    keep_nan): the same outcome as the batch path (a NaN compares as NaN), no fallback."""
    from servelib.testing.conformance import _outcome

    fixture = Path(__file__).parents[1] / "parity/fixtures/spark-4.3" / name
    model = servelib.load(str(fixture / "model"))
    stage = model.stages[-1] if hasattr(model, "stages") else model
    if not hasattr(stage, "num_features") or stage.features_col not in ("features",):
        pytest.skip("the classifier does not read the input vector directly")
    rows = read_rows(fixture / "input.jsonl")
    base = [float(v) for v in servelib.vectors.as_vector(rows[0]["features"]).toArray()]
    for slot in (0, len(base) - 1):
        x = list(base)
        x[slot] = float("nan")
        row = {"features": x}
        assert stage._kernel(dict(row)), f"NaN in slot {slot} left the row path"
        single = _outcome(lambda row=row: [model.score_instance(row)])
        assert single == _outcome(lambda row=row: model.score_rows_as_batch([row]))


def test_production_rows_with_nulls_take_the_row_path_end_to_end():
    """The LR pipeline's serving rows, nulls in an unimputed column included: every row is
    scored by the kernels alone (the cliff issue 8 measured was those rows' fallback)."""
    from tests.parity.cases import production

    model = servelib.load(str(Path(__file__).parents[1]
                              / "parity/fixtures/spark-4.3/prod_lr_pipeline/model"))
    rows = [dict(r) for r in production.serving_rows(400)]
    assert any(r["discount"] is None for r in rows)
    assert all(model._kernel(dict(r)) for r in rows)
