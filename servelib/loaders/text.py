"""Loaders for the text stages (servelib/transformers/text/): params and saved data checked and
translated once. Spark-version differences in the saved data live here."""

from __future__ import annotations

import re

import numpy as np

from servelib.loaders.context import StageContext
from servelib.loaders.parquet import field, to_vector
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
    return {"input_col": ctx.param("inputCol"), "output_col": ctx.param("outputCol")}


def load_tokenizer(ctx: StageContext) -> Tokenizer:
    return Tokenizer(ctx.uid, **_io(ctx), info=ctx.info())


def load_regex_tokenizer(ctx: StageContext) -> RegexTokenizer:
    pattern = ctx.param("pattern", "\\s+")
    min_len = int(ctx.param("minTokenLength", 1))
    if min_len < 0:
        raise ctx.error(f"minTokenLength must be >= 0, got {min_len}")
    try:
        return RegexTokenizer(
            ctx.uid, **_io(ctx), pattern=pattern, gaps=bool(ctx.param("gaps", True)),
            min_token_length=min_len, to_lowercase=bool(ctx.param("toLowercase", True)),
            info=ctx.info(),
        )
    except UnsupportedPattern as exc:
        raise ctx.error(f"pattern {pattern!r} is outside the Java regex subset servelib runs "
                        f"exactly (servelib/transformers/text/java_regex.py): {exc}") from None


def load_stop_words_remover(ctx: StageContext) -> StopWordsRemover:
    inputs, outputs = ctx.in_out_cols()
    words = ctx.param("stopWords")
    if not isinstance(words, list) or not all(w is None or isinstance(w, str) for w in words):
        raise ctx.error("stopWords is not a list of strings")
    case_sensitive = bool(ctx.param("caseSensitive", False))
    if not case_sensitive:
        locale = str(ctx.param("locale", "en"))
        language = re.split("[_-]", locale)[0].lower()
        if language in _LOCALE_LOWER:
            raise ctx.error(f"locale {locale!r}: Java's {language} lowercasing differs from "
                            "Python's; not supported")
        words = [w if w is None else w.lower() for w in words]
    return StopWordsRemover(
        ctx.uid, input_cols=inputs, output_cols=outputs, stop_words=frozenset(words),
        case_sensitive=case_sensitive, info=ctx.info(num_stop_words=len(words)),
    )


def load_ngram(ctx: StageContext) -> NGram:
    n = int(ctx.param("n", 2))
    if n < 1:
        raise ctx.error(f"n must be >= 1, got {n}")
    return NGram(ctx.uid, **_io(ctx), n=n, info=ctx.info())


# ---- term frequencies and embeddings ----------------------------------------------------------
def load_hashing_tf(ctx: StageContext) -> HashingTF:
    if ctx.meta.version < (3, 0):
        raise ctx.error("saved by Spark 2.x, whose HashingTF used mllib's older murmur3 "
                        "(hashFuncVersion 1); re-save it with Spark 3+")
    size = int(ctx.param("numFeatures", 1 << 18))
    if size <= 0:
        raise ctx.error(f"numFeatures must be > 0, got {size}")
    return HashingTF(ctx.uid, **_io(ctx), num_features=size,
                     binary=bool(ctx.param("binary", False)), info=ctx.info())


def load_idf(ctx: StageContext) -> IDFModel:
    data = ctx.data_row()
    idf = to_vector(field(data, "idf", ctx.path), ctx.path)
    if not np.isfinite(idf).all():
        raise ctx.error("idf holds a non-finite value")
    doc_freq = data.get("docFreq")  # 3.0+ also saves docFreq and numDocs (facts only)
    if doc_freq is not None and len(doc_freq) != len(idf):
        raise ctx.error(f"docFreq has {len(doc_freq)} entries for {len(idf)} idf values")
    facts = {k: data[k] for k in ("numDocs",) if k in data}
    return IDFModel(ctx.uid, **_io(ctx), idf=tuple(idf.tolist()),
                    info=ctx.info(size=len(idf), **facts))


def load_count_vectorizer(ctx: StageContext) -> CountVectorizerModel:
    vocabulary = field(ctx.data_row(), "vocabulary", ctx.path)
    if not all(isinstance(t, str) for t in vocabulary) or len(set(vocabulary)) != len(vocabulary):
        raise ctx.error("vocabulary is not a list of distinct strings")
    min_tf = float(ctx.param("minTF", 1.0))
    if not min_tf >= 0:
        raise ctx.error(f"minTF must be >= 0, got {min_tf}")
    return CountVectorizerModel(ctx.uid, **_io(ctx), vocabulary=tuple(vocabulary), min_tf=min_tf,
                                binary=bool(ctx.param("binary", False)),
                                info=ctx.info(vocabulary_size=len(vocabulary)))


def load_feature_hasher(ctx: StageContext) -> FeatureHasher:
    size = int(ctx.param("numFeatures", 1 << 18))
    if size <= 0:
        raise ctx.error(f"numFeatures must be > 0, got {size}")
    inputs = tuple(ctx.param("inputCols"))
    # Spark reads categoricalCols only when set explicitly (isSet)
    cats = frozenset(ctx.param("categoricalCols")) if ctx.meta.is_set("categoricalCols") else frozenset()
    return FeatureHasher(ctx.uid, input_cols=inputs, output_col=ctx.param("outputCol"),
                         num_features=size, categorical_cols=cats, info=ctx.info())


def load_word2vec(ctx: StageContext) -> Word2VecModel:
    """Spark 3.0+ saves one (word, vector: array<float>) row per word; 2.x one row holding
    wordIndex and wordVectors (refused: no fixture to check it against)."""
    table = ctx.data()
    if "word" not in table.column_names or "vector" not in table.column_names:
        raise ctx.error(f"data has columns {table.column_names}, not (word, vector) as Spark 3+ "
                        "writes; models saved by Spark 2.x are not supported")
    size = int(ctx.param("vectorSize", 100))
    words = table.column("word").to_pylist()
    vectors = table.column("vector").to_pylist()
    if len(set(words)) != len(words) or any(w is None for w in words):
        raise ctx.error("words are not distinct non-null strings")
    if any(v is None or len(v) != size for v in vectors):
        raise ctx.error(f"a word vector is not of vectorSize {size}")
    # float32 on disk: as_py() gives the exact doubles Spark's toDouble widening gives
    return Word2VecModel(ctx.uid, **_io(ctx), vectors=dict(zip(words, map(tuple, vectors))),
                         vector_size=size, info=ctx.info(vocabulary_size=len(words)))
