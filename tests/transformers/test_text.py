"""Text stages: the Java regex subset (translated or refused at load), Java's split/find loops,
murmur3 against the slots Spark's HashingTF chose in the committed fixtures, and errors.

Expected Spark outputs come only from fixtures; the split examples are the ones the Java API
documents for ``String.split``/``Pattern.split``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import servelib
from servelib.errors import InvalidInput, ModelLoadError
from servelib.testing.parity import read_rows
from servelib.transformers.text import java_regex
from servelib.transformers.text.murmur3 import TermIndex, hash_string
from tests.parity.test_golden import FIXTURES


@pytest.mark.parametrize("pattern", [
    "$", "a$", "\\b", "\\Bx", "\\p{L}+", "\\pL", "\\p{IsAlphabetic}", "(?i)abc", "(?<name>a)",
    "\\1", "(a)\\1", "\\0101", "\\cA", "\\h", "\\v", "\\R", "\\X", "\\G", "\\Z", "[a-z&&[^e]]",
    "[[a]]", "[]a]", "[]", "a{,3}", "a{x}", "{", "*a", "a**", "(a", "a)", "\\uD83D", "\\x4",
    "\\k<a>", "(?<=a+)b", "\\y",
])
def test_patterns_python_reads_differently_are_refused(pattern):
    with pytest.raises(java_regex.UnsupportedPattern):
        java_regex.translate(pattern)


@pytest.mark.parametrize("pattern, text, expected", [
    # Pattern.split examples of the Java API docs ("boo:and:foo")
    (":", "boo:and:foo", ["boo", "and", "foo"]),
    ("o", "boo:and:foo", ["b", "", ":and:f"]),
    ("", "abc", ["a", "b", "c"]),  # no leading "" for a zero-width match at 0
    ("\\s", "", [""]),  # no match: the input itself
    ("\\s", "   ", []),  # trailing empty strings removed
    ("\\s+", " a b", ["", "a", "b"]),  # a non-empty match at 0 keeps the leading ""
])
def test_split_follows_java(pattern, text, expected):
    assert java_regex.split(java_regex.translate(pattern), text) == expected


def test_find_all_restarts_after_an_empty_match_one_char_later():
    rx = java_regex.translate("(?=a)|a")
    assert [m.group() for m in java_regex.find_all(rx, "a")] == [""]  # finditer also gives "a"


def test_translation_keeps_java_classes_ascii_and_dot_off_line_terminators():
    rx = java_regex.translate("\\w+|.")
    assert [m.group() for m in java_regex.find_all(rx, "é\u2028x")] == ["é", "x"]
    assert java_regex.translate("[\\p{Punct}]+").fullmatch("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    assert java_regex.translate("\\s").match("\u00a0") is None  # NBSP is not Java's \s
    assert java_regex.translate("\\Qa.b\\E+").fullmatch("a.ba.b")


def _fixture(name: str, version: str = "spark-4.3") -> Path:
    return FIXTURES / version / name


@pytest.mark.parametrize("version", ["spark-3.5", "spark-4.3"])
def test_murmur3_lands_terms_in_the_slots_spark_chose(version):
    """Rows of one distinct term: its one slot is the Spark-produced SparseVector's index."""
    fixture = _fixture("hashing_tf_counts", version)
    index = TermIndex(64)
    checked = 0
    for row in read_rows(fixture / "expected.jsonl"):
        distinct = set(row["terms"])
        if len(distinct) == 1:
            (term,) = distinct
            assert row["tf"].indices.tolist() == [index(term)], term
            checked += 1
    assert checked >= 2


def test_term_index_memo_is_bounded():
    index = TermIndex(1000, limit=4)
    slots = [index(str(i)) for i in range(10)]
    assert slots == [hash_string(str(i)) % 1000 for i in range(10)]
    assert len(index._memo) <= 4


def _copy_model(tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name
    shutil.copytree(_fixture(name) / "model", dst)
    return dst


def _set_param(model: Path, name: str, value) -> None:
    (meta,) = (model / "metadata").glob("part-*")
    raw = json.loads(meta.read_text().splitlines()[0])
    raw["paramMap"][name] = value
    meta.write_text(json.dumps(raw) + "\n")


def test_loader_refuses_an_unsupported_pattern_naming_it(tmp_path):
    model = _copy_model(tmp_path, "regex_tokenizer_default")
    _set_param(model, "pattern", "\\p{L}+")
    with pytest.raises(ModelLoadError, match=r"\\p"):
        servelib.load(str(model))


def test_loader_refuses_turkish_lowercasing(tmp_path):
    model = _copy_model(tmp_path, "stop_words_english")
    _set_param(model, "locale", "tr_TR")
    with pytest.raises(ModelLoadError, match="locale"):
        servelib.load(str(model))


@pytest.mark.parametrize("name, row", [
    ("tokenizer_basic", {"text": None}),
    ("tokenizer_basic", {"text": 3.0}),
    ("stop_words_english", {"terms": None}),
    ("stop_words_english", {"terms": ["a", 1]}),
    ("ngram_bigram", {"terms": "not a list"}),
    ("hashing_tf_counts", {"terms": None}),
    ("idf_dense_vectors", {"v": None}),
    ("word2vec_average", {"terms": None}),
])
def test_bad_values_name_the_column(name, row):
    model = servelib.load(str(_fixture(name) / "model"))
    (column,) = row
    for score in (model.score_instance, lambda r: model.score_instances([r])):
        with pytest.raises(InvalidInput) as err:
            score(row)
        assert err.value.column == column


def test_an_empty_match_before_a_character_beyond_the_bmp_is_refused():
    """Java would search next from inside its surrogate pair (Spark then prints '?')."""
    model = servelib.load(str(_fixture("regex_tokenizer_empty_pattern") / "model"))
    assert model.score_instance({"text": "ab"})["tokens"] == ["a", "b"]
    with pytest.raises(InvalidInput, match="surrogate"):
        model.score_instance({"text": "a😀"})


@pytest.mark.parametrize("pattern", ["\\s+", "\\W+", "[a-z]+?(?=\\d)|\\d++", ",", "a(b|c)+",
                                     "x*", "", "(?=a)|a", "a?"])
def test_the_c_paths_give_the_java_loops_results(pattern):
    rx = java_regex.translate(pattern)
    texts = ["", " ", "a b  c ", " lead", "abc1 22,x,,", "aab acb", "xx a", "a,b,,", ",,"]
    for text in texts:
        exact = java_regex.split(rx, text)
        found = [m.group() for m in java_regex.find_all(rx, text)]
        if java_regex.never_empty(rx):
            assert java_regex.split(rx, text, fast=True) == exact, text
            assert rx.findall(text) == found, text
        else:
            assert pattern in ("x*", "", "(?=a)|a", "a?")


def test_feature_hasher_prints_a_declared_float_column_as_java_floats():
    """A float column in categoricalCols hashes "name=" + Float.toString (0.1f prints "0.1"),
    the key a string column holding "0.1" hashes too."""
    from servelib.transformers.text.feature_hasher import FeatureHasher

    hasher = FeatureHasher("h", input_cols=("x",), output_col="v", num_features=1 << 18,
                           categorical_cols=frozenset({"x"}))
    as_float = hasher.with_input_types({"x": "float"})
    value = float(np.float32(0.1))
    want = hasher.score_instance({"x": "0.1"})["v"]
    assert as_float.score_instance({"x": value})["v"] == want
    assert as_float.score_rows_as_batch([{"x": value}])[0]["v"] == want
    assert hasher.score_instance({"x": value})["v"] != want  # a double prints 0.10000000149...
