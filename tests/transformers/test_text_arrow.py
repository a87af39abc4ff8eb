"""The Arrow batch path of the text stages (Tokenizer and RegexTokenizer on bytes;
StopWordsRemover, HashingTF and CountVectorizerModel on a TokenColumn) against their per-row
functions, the specification; and a 2^18-slot HashingTF pipeline scored without a rows x 2^18
matrix."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servelib
from servelib.sparse_column import CsrColumn
from servelib.transformers.batch import Batch
from servelib.transformers.text.ascii_split import separator_table
from servelib.transformers.text.count_vectorizer import CountVectorizerModel
from servelib.transformers.text.hashing_tf import HashingTF
from servelib.transformers.text.stop_words import StopWordsRemover
from servelib.transformers.text.token_column import TokenColumn, splice
from servelib.transformers.text.tokenizer import RegexTokenizer, Tokenizer
from tests.parity.test_golden import FIXTURES

BYTE_PATTERNS = ["\\W+", "\\s+", "\\s", "\\W", "\\S+", "\\d", "\\D+", "\\w", "[^a-z0-9]+",
                 "[ ,.]", "[a-c\\d]+", "[\\s\\-]+", "[^A-Z]", ",", " ", "x", "\\++", "\\t"]
TEXT = st.text(alphabet=st.sampled_from(list("aBz_9,.-+!xX\t\n\x0b\f\r   Üßİς😀")), max_size=24)


@pytest.mark.parametrize("pattern", BYTE_PATTERNS)
def test_one_class_patterns_split_on_bytes(pattern):
    assert separator_table(pattern) is not None


@pytest.mark.parametrize("pattern", ["\\W*", "a+b", "a|b", ".", "\\b", "[^\\W]", "[a-]", "\\W++",
                                     "\\W+?", "[a-z&&[^e]]", "[]a]", "(a)", "\\p{Punct}", "ab"])
def test_other_patterns_take_the_per_row_path(pattern):
    assert separator_table(pattern) is None


def _tokens(stage: RegexTokenizer | Tokenizer, texts: list[str]) -> TokenColumn:
    col = stage.score_columns(Batch.from_table(pa.table({"s": pa.array(texts, pa.string())})))
    return col.columns["o"]


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(TEXT, max_size=12), pattern=st.sampled_from(BYTE_PATTERNS),
       lower=st.booleans(), min_len=st.integers(1, 3))
def test_byte_split_equals_the_per_row_function(texts, pattern, lower, min_len):
    stage = RegexTokenizer(uid="tok", input_col="s", output_col="o", pattern=pattern,
                           to_lowercase=lower, min_token_length=min_len)
    col = _tokens(stage, texts)
    assert isinstance(col, TokenColumn)
    func = stage.per_row()
    assert col.objects().tolist() == [func(t) for t in texts]
    assert col.to_arrow().to_pylist() == [func(t) for t in texts]


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(TEXT, max_size=12))
def test_tokenizer_byte_split_equals_the_per_row_function(texts):
    stage = Tokenizer(uid="tok", input_col="s", output_col="o")
    col = _tokens(stage, texts)
    assert isinstance(col, TokenColumn)
    func = stage.per_row()
    assert col.objects().tolist() == [func(t) for t in texts]


@pytest.mark.parametrize("text, expected", [
    ("", [""]), (" ", []), ("  a", ["", "", "a"]), ("a  b ", ["a", "", "b"]), ("AB", ["ab"]),
    ("a\x0bb", ["a", "b"]),
])
def test_tokenizer_keeps_java_split_pieces(text, expected):
    stage = Tokenizer(uid="tok", input_col="s", output_col="o")
    assert _tokens(stage, [text, "x y"]).objects().tolist() == [expected, ["x", "y"]]


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(TEXT, max_size=12), case_sensitive=st.booleans())
def test_stop_words_on_tokens_equal_the_per_row_function(texts, case_sensitive):
    tokenizer = RegexTokenizer(uid="tok", input_col="s", output_col="t", pattern="\\s+",
                               to_lowercase=False)
    words = frozenset({"ab", "x", "ü", "i̇", "ς", "Σ"} if case_sensitive else {"x", "ü", "i̇", "σ"})
    remover = StopWordsRemover(uid="sw", input_cols=("t",), output_cols=("o",),
                               stop_words=words, case_sensitive=case_sensitive)
    batch = Batch.from_table(pa.table({"s": pa.array(texts, pa.string())}))
    tokenizer.run(batch)
    tokens = batch.column("t", "test")  # the canonical lists other readers see
    out = remover.score_columns(batch).columns["o"]
    assert isinstance(out, TokenColumn)
    func = remover.per_row()
    assert out.objects().tolist() == [func(t) for t in tokens]


def assert_tokens_column_equals_per_row(stage, texts):
    """The stage's CSR column over RegexTokenizer's Arrow token column, row by row against its
    per-row function."""
    batch = Batch.from_table(pa.table({"s": texts}))
    RegexTokenizer(uid="tok", input_col="s", output_col="t").run(batch)
    col = stage.score_columns(batch).columns["v"]
    assert isinstance(col, CsrColumn)
    func = stage.per_row()
    for i, tokens in enumerate(batch.column("t", "test")):
        assert col.row(i) == stage.to_row(func(tokens)).finish()


@pytest.mark.parametrize("binary", [False, True])
def test_hashing_tf_on_tokens_equals_the_per_row_function(binary):
    texts = ["a b a c", "", "zz", "b b b İstanbul a", "x"] * 3
    hashing = HashingTF(uid="tf", input_col="t", output_col="v", num_features=16, binary=binary)
    assert_tokens_column_equals_per_row(hashing, texts)


@pytest.mark.parametrize("lists", [
    [["a", "b", "a"], [], ["zz"]],
    [["a", None, "b"], [None]],  # null terms hash to the seed
    [["a\udc80", "b"], ["a"]],  # a lone surrogate: Arrow cannot hold it
])
def test_hashing_tf_on_python_lists_equals_the_per_row_function(lists):
    hashing = HashingTF(uid="tf", input_col="t", output_col="v", num_features=32)
    col = hashing.score_columns(Batch.from_rows([{"t": terms} for terms in lists])).columns["v"]
    func = hashing.per_row()
    for i, terms in enumerate(lists):
        assert col.row(i) == hashing.to_row(func(terms)).finish()


@pytest.mark.parametrize("min_tf, binary", [(1.0, False), (2.0, False), (0.3, True), (0.25, False)])
@pytest.mark.parametrize("vocabulary", [("a", "b", "zz", "x"), ("a", "b", "a", "c")])
def test_count_vectorizer_on_tokens_equals_the_per_row_function(min_tf, binary, vocabulary):
    texts = ["a b a c", "", "zz", "b b b İstanbul a", "x q q q", "a a a a"] * 3
    counter = CountVectorizerModel(uid="cv", input_col="t", output_col="v",
                                   vocabulary=vocabulary, min_tf=min_tf, binary=binary)
    assert_tokens_column_equals_per_row(counter, texts)


def test_token_column_take_and_splice():
    col = TokenColumn.of_flat(np.array([2, 0, 1]), pa.array(["a", "b", "c"]))
    assert col.take(np.array([2, 0])).objects().tolist() == [["c"], ["a", "b"]]
    spliced = splice(col, np.array([1, 2]), [["x", "y"], []])
    assert spliced.objects().tolist() == [["a", "b"], ["x", "y"], []]
    sliced = TokenColumn(col.array.slice(2))  # offsets not from 0
    assert sliced.offsets().tolist() == [0, 1] and sliced.flat().to_pylist() == ["c"]
    assert splice(sliced, np.array([0]), [["z"]]).objects().tolist() == [["z"]]
    assert sliced.kept_counts(np.array([False])).tolist() == [0]


def test_default_size_hashing_pipeline_batches_without_a_dense_matrix():
    """Tokenizer -> HashingTF(2^18) -> IDF -> LogisticRegression: 20,000 rows as a dense
    matrix would be 42 GB; the CSR column keeps the peak far below 200 MB."""
    model = servelib.load(str(FIXTURES / "spark-4.3" / "text_lr_default_size_pipeline" / "model"))
    words = "good bad fine awful great poor okay".split()
    texts = [" ".join(words[(i * k) % 7] for k in range(1, 9)) for i in range(20_000)]
    table = pa.table({name: texts for name in model.input_columns()})
    tracemalloc.start()
    try:
        out = model.transform(table)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.num_rows == 20_000
    assert peak < 200 << 20
    rows = model.score_instances([{name: texts[1] for name in model.input_columns()}])
    assert out.column("prediction")[1].as_py() == rows[0]["prediction"]
