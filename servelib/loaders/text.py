"""Loaders for the text stages (servelib/transformers/text/): params and saved data checked and
translated once. Spark-version differences in the saved data live here."""

from __future__ import annotations

import re

import numpy as np

from servelib.loaders.context import StageContext
from servelib.loaders.params import BadValue, as_list, floats, show
from servelib.loaders.parquet import vector_parts
from servelib.transformers.text.count_vectorizer import CountVectorizerModel
from servelib.transformers.text.feature_hasher import FeatureHasher
from servelib.transformers.text.hashing_tf import HashingTF
from servelib.transformers.text.idf import IDFModel
from servelib.transformers.text.java_regex import UnsupportedPattern
from servelib.transformers.text.ngram import NGram
from servelib.transformers.text.stop_words import StopWordsRemover
from servelib.transformers.text.tokenizer import RegexTokenizer, Tokenizer
from servelib.transformers.text.word2vec import Word2VecModel

# Languages whose Java lowercasing differs from Python's str.lower (Java's
# ConditionalSpecialCasing: dotless i in Turkish/Azerbaijani, dot above in Lithuanian).
_LOCALE_LOWER = frozenset({"tr", "az", "lt"})


def _io(ctx: StageContext) -> dict[str, str]:
    return {"input_col": ctx.params.string("inputCol"),
            "output_col": ctx.params.string("outputCol")}


def load_tokenizer(ctx: StageContext) -> Tokenizer:
    return Tokenizer(ctx.uid, **_io(ctx), info=ctx.info())


def load_regex_tokenizer(ctx: StageContext) -> RegexTokenizer:
    pattern = ctx.params.string("pattern", "\\s+")
    min_len = ctx.params.integer("minTokenLength", 1, lo=0)
    try:
        return RegexTokenizer(
            ctx.uid, **_io(ctx), pattern=pattern, gaps=ctx.params.boolean("gaps", True),
            min_token_length=min_len, to_lowercase=ctx.params.boolean("toLowercase", True),
            info=ctx.info(),
        )
    except UnsupportedPattern as exc:
        raise ctx.error(f"pattern {pattern!r} is outside the Java regex subset servelib runs "
                        f"exactly (servelib/transformers/text/java_regex.py): {exc}") from None


def load_stop_words_remover(ctx: StageContext) -> StopWordsRemover:
    inputs, outputs = ctx.in_out_cols()
    words = ctx.params.read("stopWords", _stop_words)
    case_sensitive = ctx.params.boolean("caseSensitive", False)
    if not case_sensitive:
        locale = ctx.params.string("locale", "en")
        language = re.split("[_-]", locale)[0].lower()
        if language in _LOCALE_LOWER:
            raise ctx.error(f"locale {locale!r}: Java's {language} lowercasing differs from "
                            "Python's; not supported")
        words = [w if w is None else w.lower() for w in words]
    return StopWordsRemover(
        ctx.uid, input_cols=inputs, output_cols=outputs, stop_words=frozenset(words),
        case_sensitive=case_sensitive, info=ctx.info(num_stop_words=len(words)),
    )


def _stop_words(value: object) -> list[str | None]:
    words = as_list(value, 1 << 20)
    if not all(w is None or isinstance(w, str) for w in words):
        raise BadValue(f"expected a list of strings, got {show(value)}")
    return words


def load_ngram(ctx: StageContext) -> NGram:
    n = ctx.params.integer("n", 2, lo=1)
    return NGram(ctx.uid, **_io(ctx), n=n, info=ctx.info())


# ---- term frequencies and embeddings ----------------------------------------------------------
def load_hashing_tf(ctx: StageContext) -> HashingTF:
    if ctx.meta.version < (3, 0):
        raise ctx.error("saved by Spark 2.x, whose HashingTF used mllib's older murmur3 "
                        "(hashFuncVersion 1); re-save it with Spark 3+")
    size = ctx.params.integer("numFeatures", 1 << 18, lo=1, hi=ctx.limits.max_vector_size)
    return HashingTF(ctx.uid, **_io(ctx), num_features=size,
                     binary=ctx.params.boolean("binary", False), info=ctx.info())


def load_idf(ctx: StageContext) -> IDFModel:
    data = ctx.data_fields()
    idf = data.read("idf", lambda v: vector_parts(v, ctx.limits.max_vector_size)[0])
    if not np.isfinite(idf).all():
        raise ctx.error("idf holds a non-finite value", ctx.mfs.join(ctx.path, "data"))
    doc_freq = data.get("docFreq", None)  # 3.0+ also saves docFreq and numDocs (facts only)
    if doc_freq is not None and len(as_list(doc_freq, ctx.limits.max_vector_size)) != len(idf):
        raise ctx.error(f"docFreq has {len(doc_freq)} entries for {len(idf)} idf values",
                        ctx.mfs.join(ctx.path, "data"))
    facts = {"numDocs": data.integer("numDocs", 0, lo=0)} if data.has("numDocs") else {}
    return IDFModel(ctx.uid, **_io(ctx), idf=tuple(idf.tolist()),
                    info=ctx.info(size=len(idf), **facts))


def load_count_vectorizer(ctx: StageContext) -> CountVectorizerModel:
    vocabulary = ctx.data_fields().strings("vocabulary", limit=ctx.limits.max_labels)
    if len(set(vocabulary)) != len(vocabulary):
        raise ctx.error("vocabulary holds a term twice", ctx.mfs.join(ctx.path, "data"))
    min_tf = ctx.params.double("minTF", 1.0, finite=True, lo=0.0)
    return CountVectorizerModel(ctx.uid, **_io(ctx), vocabulary=tuple(vocabulary), min_tf=min_tf,
                                binary=ctx.params.boolean("binary", False),
                                info=ctx.info(vocabulary_size=len(vocabulary)))


def load_feature_hasher(ctx: StageContext) -> FeatureHasher:
    size = ctx.params.integer("numFeatures", 1 << 18, lo=1, hi=ctx.limits.max_vector_size)
    inputs = ctx.params.strings("inputCols")
    # Spark reads categoricalCols only when set explicitly (isSet)
    cats = (frozenset(ctx.params.strings("categoricalCols")) if ctx.meta.is_set("categoricalCols")
            else frozenset())
    return FeatureHasher(ctx.uid, input_cols=inputs, output_col=ctx.params.string("outputCol"),
                         num_features=size, categorical_cols=cats, info=ctx.info())


def load_word2vec(ctx: StageContext) -> Word2VecModel:
    """Spark 3.0+ saves one (word, vector: array<float>) row per word; 2.x one row holding
    wordIndex and wordVectors (refused: no fixture to check it against)."""
    table = ctx.data()
    if "word" not in table.column_names or "vector" not in table.column_names:
        raise ctx.error(f"data has columns {table.column_names}, not (word, vector) as Spark 3+ "
                        "writes; models saved by Spark 2.x are not supported")
    size = ctx.params.integer("vectorSize", 100, lo=1, hi=ctx.limits.max_vector_size)
    if table.num_rows > ctx.limits.max_labels:
        raise ctx.error(f"{table.num_rows} words exceed the limit of {ctx.limits.max_labels}")
    words = table.column("word").to_pylist()
    vectors = table.column("vector").to_pylist()
    if len(set(words)) != len(words) or not all(isinstance(w, str) for w in words):
        raise ctx.error("words are not distinct non-null strings")
    if any(v is None or len(v) != size for v in vectors):
        raise ctx.error(f"a word vector is not of vectorSize {size}")
    try:
        vectors = [floats(v, size).tolist() for v in vectors]
    except BadValue as exc:
        raise ctx.error(f"a word vector: {exc}") from None
    # float32 on disk: as_py() gives the exact doubles Spark's toDouble widening gives
    return Word2VecModel(ctx.uid, **_io(ctx), vectors=dict(zip(words, map(tuple, vectors))),
                         vector_size=size, info=ctx.info(vocabulary_size=len(words)))
