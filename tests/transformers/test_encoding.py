"""Categorical encoders: column attributes against the metadata Spark wrote (recorded in the parity
fixtures' output_schema.json), loader branches, and behaviour the parity fixtures cannot show."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import servelib
from servelib.errors import InvalidInput, ModelLoadError, RowSkipped
from servelib.transformers.attributes import Attribute, AttributeGroup
from servelib.transformers.base import HandleInvalid
from servelib.transformers.feature.index_to_string import IndexToString
from servelib.transformers.feature.one_hot import OneHotEncoderModel
from servelib.transformers.feature.string_indexer import (
    StringIndexerModel,
    java_double_str,
    java_float_str,
)
from servelib.transformers.feature.vector_indexer import CategoryMap, VectorIndexerModel
from servelib.transformers.pipeline import PipelineModel
from tests.parity.test_golden import FIXTURES

PREFIXES = ("string_indexer", "index_to_string", "one_hot", "vector_indexer")
ENCODING_FIXTURES = sorted(
    p for p in FIXTURES.glob("spark-*/*")
    if p.name.startswith(PREFIXES) and (p / "output_schema.json").exists()
)


# ---- attributes vs Spark's column metadata --------------------------------------------------
def _spark_attribute(meta: dict) -> Attribute | AttributeGroup | None:
    """Spark's ml_attr metadata (org.apache.spark.ml.attribute) as servelib attributes."""
    ml = meta.get("ml_attr")
    if ml is None:
        return None
    if "attrs" in ml or "num_attrs" in ml:
        size = ml.get("num_attrs")
        slots: dict[int, Attribute] = {}
        for kind, entries in ml.get("attrs", {}).items():
            for e in entries:
                slots[e["idx"]] = Attribute(
                    kind=kind, name=e.get("name"), values=tuple(e["vals"]) if "vals" in e else None,
                    num_values=e.get("num_vals"),
                )
        if not slots and "attrs" not in ml:
            return AttributeGroup(size=size)
        # default numeric attributes are left out of Spark's metadata
        attrs = tuple(slots.get(i, Attribute(kind="numeric")) for i in range(size))
        return AttributeGroup(size=size, attrs=attrs)
    return Attribute(
        kind=ml.get("type", "numeric"), name=ml.get("name"),
        values=tuple(ml["vals"]) if "vals" in ml else None, num_values=ml.get("num_vals"),
    )


@pytest.mark.parametrize("fixture", ENCODING_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_output_attributes_match_spark_metadata(fixture: Path):
    model = servelib.load(str(fixture / "model"))
    ours = model.output_attributes({})
    schema = json.loads((fixture / "output_schema.json").read_text())
    produced = set(model.output_columns())
    checked = 0
    for f in schema["fields"]:
        if f["name"] not in produced:
            continue
        spark = _spark_attribute(f.get("metadata", {}))
        if spark is None:
            assert f["name"] not in ours, f"{f['name']}: Spark writes no attribute"
            continue
        assert ours.get(f["name"]) == spark, f["name"]
        checked += 1
    assert checked or not ours


# ---- Java number formatting (Spark's cast to string and its messages) -------------------------
@pytest.mark.parametrize(
    "value, text",
    [(1.0, "1.0"), (0.001, "0.001"), (9.99e-4, "9.99E-4"), (1e7, "1.0E7"), (9999999.0, "9999999.0"),
     (-2.5e-7, "-2.5E-7"), (123456789.0, "1.23456789E8"), (-0.0, "-0.0"), (float("nan"), "NaN"),
     (float("-inf"), "-Infinity"), (100.0, "100.0"), (12345.678, "12345.678")],
)
def test_java_double_str(value, text):
    assert java_double_str(value) == text


def test_java_float_str_uses_float32_digits():
    assert java_float_str(0.1) == "0.1"
    assert java_float_str(1e-5) == "1.0E-5"


# ---- StringIndexerModel ----------------------------------------------------------------------
def _indexer(handle: HandleInvalid, cols=("c",)) -> PipelineModel:
    labels = tuple(("a", "b", "1.0", "2") for _ in cols)
    stage = StringIndexerModel("si", input_cols=cols, output_cols=tuple(c + "_i" for c in cols),
                               labels=labels, handle_invalid=handle)
    return PipelineModel.build("p", [stage])


def test_numbers_are_cast_like_spark():
    model = _indexer(HandleInvalid.KEEP)
    got = [model.score_instance({"c": v})["c_i"] for v in ("a", 1.0, 2, 2.0, 1, None)]
    assert got == [0.0, 2.0, 3.0, 4.0, 4.0, 4.0]
    table = model.transform(pa.table({"c": pa.array([1.0, 3.0], pa.float32())}))
    assert table.column("c_i").to_pylist() == [2.0, 4.0]


def test_boolean_input_is_rejected():
    model = _indexer(HandleInvalid.KEEP)
    with pytest.raises(InvalidInput) as err:
        model.score_instance({"c": True})
    assert err.value.column == "c"
    with pytest.raises(InvalidInput):
        model.transform(pa.table({"c": [True, False]}))


def test_error_messages_name_label_and_column():
    model = _indexer(HandleInvalid.ERROR)
    with pytest.raises(InvalidInput, match=r"Unseen label: 3\.0E-4\. To handle unseen") as err:
        model.score_instance({"c": 3e-4})
    assert err.value.column == "c" and "StringIndexerModel(si)" in str(err.value)
    with pytest.raises(InvalidInput, match="StringIndexer encountered NULL value"):
        model.score_instances([{"c": "a"}, {"c": None}])


def test_first_invalid_row_wins_across_columns():
    model = _indexer(HandleInvalid.ERROR, cols=("x", "y"))
    with pytest.raises(InvalidInput) as err:
        model.score_instances([{"x": "a", "y": "a"}, {"x": "a", "y": "zz"}, {"x": "zz", "y": "a"}])
    assert (err.value.row, err.value.column) == (1, "y")


def test_missing_input_column_is_skipped_like_spark():
    keep = _indexer(HandleInvalid.KEEP, cols=("x", "y"))
    out = keep.score_instance({"x": "b"})  # Spark skips a column absent from the data
    assert out == {"x": "b", "x_i": 1.0}
    with pytest.raises(InvalidInput) as err:  # skip mode's row filter needs every column
        _indexer(HandleInvalid.SKIP, cols=("x", "y")).score_instance({"x": "b"})
    assert err.value.column == "y"


def test_skip_drops_rows_with_any_invalid_column():
    model = _indexer(HandleInvalid.SKIP, cols=("x", "y"))
    rows = [{"x": "a", "y": "b"}, {"x": "a", "y": None}, {"x": float("nan"), "y": "a"},
            {"x": "q", "y": "a"}]
    assert [r["y_i"] for r in model.score_instances(rows)] == [1.0]
    with pytest.raises(RowSkipped):
        model.score_instance(rows[3])


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("mode", list(HandleInvalid))
def test_arrow_string_columns_index_as_the_row_path(mode, compiled, monkeypatch):
    """An Arrow string column is matched on its Arrow buffers (Arrow's index_in, or the
    compiled lookup these few rows take only when told to): nulls and unseen labels kept,
    skipped or raised as the row path decides them, row by row."""
    from servelib import vectors

    monkeypatch.setattr(vectors, "COMPILED_ROWS", 0 if compiled else 10**9)
    model = _indexer(mode, cols=("x", "y"))
    xs = ["a", None, "zz", "b", "2", "", None, "1.0"]
    ys = ["b", "a", "a", None, "q", "a", "2", "b"]
    table = pa.table({"x": pa.array(xs, pa.string()), "y": pa.array(ys, pa.string())})

    def outcome(call):
        try:
            return call()
        except (InvalidInput, RowSkipped) as exc:
            return type(exc).__name__, str(exc).split(" [")[0]  # the message, not where
    rows = [outcome(lambda r=r: model.score_instance(r)) for r in table.to_pylist()]
    got = outcome(lambda: model.transform(table).to_pylist())
    if mode is HandleInvalid.ERROR:  # the first bad row's error (a null, not an unseen label)
        assert got == rows[1] and "NULL" in got[1]
        with pytest.raises(InvalidInput) as err:
            model.transform(table)
        assert (err.value.row, err.value.column) == (1, "x")
        later = table.slice(2)  # its first bad value is an unseen label
        assert outcome(lambda: model.transform(later).to_pylist()) == rows[2]
        assert "Unseen label: zz" in rows[2][1]
    else:
        assert got == [r for r in rows if isinstance(r, dict)]


# ---- IndexToString ---------------------------------------------------------------------------
def test_index_to_string_without_labels_needs_a_nominal_input():
    stage = IndexToString("its", input_col="i", output_col="s")
    with pytest.raises(ModelLoadError, match="no labels param"):
        PipelineModel.build("p", [stage])
    bound = PipelineModel.build("p", [stage], {"i": Attribute(kind="nominal", values=("u", "v"))})
    assert bound.score_instance({"i": 1.0})["s"] == "v"


def test_index_to_string_messages():
    old = PipelineModel.build("p", [IndexToString("its", input_col="i", output_col="s",
                                                  labels=("a",))])
    with pytest.raises(InvalidInput, match=r"Unseen index: 2\.0 \?\?"):
        old.score_instance({"i": 2.0})
    new = PipelineModel.build("p", [IndexToString("its", input_col="i", output_col="s",
                                                  labels=("a",), sql_expression=True)])
    with pytest.raises(InvalidInput, match=r"Unseen index: 2 \?\?"):
        new.score_instance({"i": 2.5})
    with pytest.raises(InvalidInput, match="CAST_OVERFLOW"):
        new.score_instance({"i": float("nan")})
    with pytest.raises(InvalidInput, match=r"Unseen index: null \?\?"):
        new.score_instance({"i": None})


# ---- OneHotEncoderModel ----------------------------------------------------------------------
def test_one_hot_names_from_nominal_input():
    stage = OneHotEncoderModel("ohe", input_cols=("i",), output_cols=("v",), category_sizes=(3,),
                               drop_last=False, keep_invalid=True)
    attrs = stage.output_attributes({"i": Attribute(kind="nominal", values=("x", "y", "z"))})
    assert attrs["v"].slot_names() == ("x", "y", "z", "invalidValues")
    with pytest.raises(ModelLoadError, match="expected 4 categorical values"):
        stage.bind({"i": Attribute(kind="nominal", values=("x", "y"))})
    with pytest.raises(ModelLoadError, match="cannot be continuous-value"):
        stage.bind({"i": Attribute(kind="numeric")})


def test_one_hot_rejects_skip(tmp_path):
    src = FIXTURES / "spark-3.5" / "one_hot_no_drop_keep" / "model"
    model = shutil.copytree(src, tmp_path / "m")
    (part,) = [p for p in (model / "metadata").iterdir() if p.name.startswith("part-")]
    raw = json.loads(part.read_text())
    raw["paramMap"]["handleInvalid"] = "skip"
    part.write_text(json.dumps(raw))
    with pytest.raises(ModelLoadError, match="not 'skip'"):
        servelib.load(str(model))


# ---- VectorIndexerModel ----------------------------------------------------------------------
def test_vector_indexer_checks_input_size_metadata():
    stage = VectorIndexerModel("vi", input_col="f", output_col="o", num_features=2,
                               category_maps=(CategoryMap.of(0, {0.0: 0, 3.0: 1}),))
    with pytest.raises(ModelLoadError, match="expected 2 features"):
        stage.bind({"f": AttributeGroup(size=3)})
    named = AttributeGroup(size=2, attrs=(Attribute(kind="numeric", name="a"),
                                          Attribute(kind="numeric", name="b")))
    group = stage.output_attributes({"f": named})["o"]
    assert group.attrs[0] == Attribute(kind="binary", name="a", values=("0.0", "3.0"))
    assert group.attrs[1] == Attribute(kind="numeric", name="b")


# ---- loader branches -------------------------------------------------------------------------
def test_spark2_labels_branch(tmp_path):
    src = FIXTURES / "spark-3.5" / "string_indexer_freq_asc_keep" / "model"
    model = shutil.copytree(src, tmp_path / "m")
    (part,) = [p for p in (model / "metadata").iterdir() if p.name.startswith("part-")]
    raw = json.loads(part.read_text())
    raw["sparkVersion"] = "2.4.8"
    part.write_text(json.dumps(raw))
    (data,) = (model / "data").glob("*.parquet")
    labels = pq.read_table(data).column("labelsArray")[0].as_py()[0]
    data.unlink()
    pq.write_table(pa.table({"labels": [labels]}), model / "data" / "part-00000.parquet")
    loaded = servelib.load(str(model))
    assert loaded.stages[0].labels == (tuple(labels),)
    assert loaded.score_instance({"color": labels[1]})["color_idx"] == 1.0


def test_vector_indexer_batch_lookup_matches_the_row_kernel():
    import numpy as np

    stage = VectorIndexerModel(
        "vi", input_col="f", output_col="o", num_features=3, handle_invalid=HandleInvalid.KEEP,
        category_maps=(CategoryMap.of(0, {0.0: 2, 2.0: 1, 5.0: 0}),
                       CategoryMap.of(2, {-1.0: 0, 4.0: 1, 1e300: 2})),
    )
    rng = np.random.default_rng(0)
    # 6.0: the direct table's last entry (no key); 3.0: inside it, no key; -0.5, 0.5 round to 0
    pool = [0.0, -0.0, 2.0, 2.5, -1.0, 4.0, 7.0, 6.0, 3.0, -0.5, 0.5, 1e300, -np.inf, np.inf,
            np.nan]
    rows = [{"f": [float(rng.choice(pool)), float(rng.normal()), float(rng.choice(pool))]}
            for _ in range(200)]
    batch = stage.score_rows_as_batch(rows)
    assert [r["o"] for r in batch] == [stage.score_instance(r)["o"] for r in rows]
    assert batch[0]["o"].toArray()[1] == rows[0]["f"][1]  # continuous slot untouched
    assert [r["o"].toArray().tolist() for r in stage.score_rows_as_batch(
        [{"f": [-0.0, 0.0, 4.0]}, {"f": [np.nan, 0.0, np.nan]}])] == [[2.0, 0.0, 1.0],
                                                                        [3.0, 0.0, 3.0]]


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("mode", list(HandleInvalid))
def test_vector_indexer_sparse_rows_in_every_mode(mode, compiled, monkeypatch):
    """A sparse row's implicit 0 is not looked up (0.0 is no key here), its stored values are;
    the batch path (its NumPy lookups, or the compiled pass these few rows take only when
    told to) keeps, skips and raises as the row path, on the same rows."""
    from servelib import vectors
    from servelib.vectors import DenseVector, SparseVector

    monkeypatch.setattr(vectors, "COMPILED_ROWS", 0 if compiled else 10**9)

    stage = VectorIndexerModel(
        "vi", input_col="f", output_col="o", num_features=3, handle_invalid=mode,
        category_maps=(CategoryMap.of(0, {1.0: 0, 2.0: 1}), CategoryMap.of(2, {3.0: 0})),
    )
    good = [{"f": SparseVector(3, [1], [5.0])}, {"f": SparseVector(3, [0, 2], [2.0, 3.0])},
            {"f": DenseVector([1.0, 0.0, 3.0])}]
    bad = [{"f": SparseVector(3, [2], [7.0])}, {"f": DenseVector([0.0, 1.0, 3.0])}]
    rows = good + bad + good

    def outcome(score, row):
        try:
            return score(row)["o"].toArray().tolist()
        except (InvalidInput, RowSkipped) as exc:
            return type(exc).__name__, str(exc)

    single = [outcome(stage.score_instance, r) for r in rows]
    assert single[0] == [0.0, 5.0, 0.0] and single[1] == [1.0, 0.0, 0.0]
    if mode is HandleInvalid.ERROR:
        with pytest.raises(InvalidInput) as exc:
            stage.score_rows_as_batch(rows)
        assert single[3][0] == "InvalidInput" and "invalid value 7.0" in single[3][1]
        assert "invalid value 7.0" in str(exc.value) and exc.value.row == 3
    else:
        batch = [r["o"].toArray().tolist() for r in stage.score_rows_as_batch(rows)]
        assert batch == [s for s in single if isinstance(s, list)]


def test_vector_indexer_with_an_infinite_category_loads_and_maps_it():
    """Spark keeps Infinity as a category value; testing keys for a direct table must not
    convert it to an integer."""
    import numpy as np

    stage = VectorIndexerModel(
        "vi", input_col="f", output_col="o", num_features=1, handle_invalid=HandleInvalid.KEEP,
        category_maps=(CategoryMap.of(0, {1.0: 0, np.inf: 1}),))
    rows = [{"f": [v]} for v in (np.inf, 1.0, 2.0, -np.inf)] * 20  # 80 rows: compiled pass too
    want = [[1.0], [0.0], [2.0], [2.0]] * 20
    assert [r["o"].toArray().tolist() for r in stage.score_rows_as_batch(rows)] == want
    assert [stage.score_instance(r)["o"].toArray().tolist() for r in rows[:4]] == want[:4]


def test_vector_indexer_without_categorical_slots():
    stage = VectorIndexerModel("vi", input_col="f", output_col="o", num_features=2)
    assert stage.score_instance({"f": [1.5, -2.0]})["o"].toArray().tolist() == [1.5, -2.0]
