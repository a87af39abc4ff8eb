"""Parity cases for the text stages: Tokenizer, RegexTokenizer, StopWordsRemover, NGram,
HashingTF, IDF, CountVectorizer, FeatureHasher, Word2Vec, and a text classification pipeline.

Test text mixes case, non-ASCII letters (sharp s, dotted capital I, Greek final sigma), an
emoji (two UTF-16 units in Java), punctuation-only and empty strings, runs of whitespace, Java
non-whitespace spaces (NBSP, U+2028); null strings and arrays make Spark's UDFs fail (bad rows).
"""

from __future__ import annotations

from tests.parity.cases import Case, case

TEXTS = [
    "Hello World",
    "  leading and  double  spaces ",
    "",
    "tabs\tand\nnew\r\nlines\fform\x0bvt",
    "ÜBER Straße İstanbul ΟΔΟΣ σοφός",
    "!!! ... ???",
    "emoji 😀 ok 😀😀",
    "nbsp\u00a0here and\u2028line sep",
    "Spark, spark; SPARK! spark-ml 3.5 v4.0",
    "a1b22c333 x9",
    "   ",
]


def _texts(spark, extra=()):
    return spark.createDataFrame([(t,) for t in TEXTS + list(extra)], "text string")


def _null_text(spark):
    return spark.createDataFrame([(None,)], "text string")


@case("tokenizer_basic")
def tokenizer_basic(spark):
    from pyspark.ml.feature import Tokenizer

    stage = Tokenizer(inputCol="text", outputCol="tokens")
    return Case(stage, None, _texts(spark), bad=_null_text(spark))


def _regex(**params):
    from pyspark.ml.feature import RegexTokenizer

    return RegexTokenizer(inputCol="text", outputCol="tokens", **params)


@case("regex_tokenizer_default")
def regex_tokenizer_default(spark):
    return Case(_regex(), None, _texts(spark), bad=_null_text(spark))


@case("regex_tokenizer_words")
def regex_tokenizer_words(spark):
    """Matches (gaps=False), case kept, tokens of at least 2 UTF-16 units."""
    stage = _regex(pattern="\\w+", gaps=False, toLowercase=False, minTokenLength=2)
    return Case(stage, None, _texts(spark))


@case("regex_tokenizer_punct")
def regex_tokenizer_punct(spark):
    """A POSIX class in a character class; the emoji counts 2 toward minTokenLength."""
    stage = _regex(pattern="[\\s\\p{Punct}]+", minTokenLength=2)
    return Case(stage, None, _texts(spark, ["😀 é ab"]))


@case("regex_tokenizer_empty_pattern")
def regex_tokenizer_empty_pattern(spark):
    """Zero-width splits: Java's Pattern.split drops the leading empty string. (Text beyond
    U+FFFF is left out: Java splits it between its UTF-16 halves, which servelib refuses.)"""
    stage = _regex(pattern="", minTokenLength=0, toLowercase=False)
    texts = [t for t in TEXTS if all(ord(c) <= 0xFFFF for c in t)]
    return Case(stage, None, spark.createDataFrame([(t,) for t in texts], "text string"))


@case("regex_tokenizer_quantifiers")
def regex_tokenizer_quantifiers(spark):
    """Lazy and possessive quantifiers, a lookahead, an alternation, a dot, \\W."""
    stage = _regex(pattern="[a-z]+?(?=\\d)|\\d++|.(?=\\W)", gaps=False, minTokenLength=1)
    return Case(stage, None, _texts(spark))


def _terms(spark):
    rows = [
        (["i", "the", "The", "THE", "dog", None],),
        ([],),
        (["ÜBER", "über", "Über"],),
        (["a", "b", "c", "d"],),
        (["", "", "only"],),
        (["İ", "i̇", "σοφός", "ΣΟΦΟΣ"],),
        (["!!!", "...", "??"],),
        ([None, None],),
        (["single"],),
    ]
    return spark.createDataFrame(rows, "terms array<string>")


def _null_terms(spark):
    return spark.createDataFrame([(None,)], "terms array<string>")


@case("stop_words_english")
def stop_words_english(spark):
    from pyspark.ml.feature import StopWordsRemover

    stage = StopWordsRemover(inputCol="terms", outputCol="kept")
    return Case(stage, None, _terms(spark), bad=_null_terms(spark))


@case("stop_words_multi_case_sensitive")
def stop_words_multi_case_sensitive(spark):
    from pyspark.ml.feature import StopWordsRemover

    stage = StopWordsRemover(inputCols=["terms", "more"], outputCols=["kept", "kept_more"],
                             stopWords=["a", "B", "Über", "", "σοφός"], caseSensitive=True)
    rows = [(r[0], list(reversed(r[0])) if r[0] is not None else None)
            for r in _terms(spark).collect()]
    df = spark.createDataFrame(rows, "terms array<string>, more array<string>")
    return Case(stage, None, df)


@case("stop_words_german_insensitive")
def stop_words_german_insensitive(spark):
    from pyspark.ml.feature import StopWordsRemover

    words = StopWordsRemover.loadDefaultStopWords("german") + ["ÜBER", "İ"]
    stage = StopWordsRemover(inputCol="terms", outputCol="kept", stopWords=words, locale="de")
    return Case(stage, None, _terms(spark))


@case("ngram_bigram")
def ngram_bigram(spark):
    from pyspark.ml.feature import NGram

    stage = NGram(inputCol="terms", outputCol="grams")
    return Case(stage, None, _terms(spark), bad=_null_terms(spark))


@case("ngram_trigram")
def ngram_trigram(spark):
    from pyspark.ml.feature import NGram

    return Case(NGram(n=3, inputCol="terms", outputCol="grams"), None, _terms(spark))


@case("ngram_unigram_pipeline")
def ngram_unigram_pipeline(spark):
    """Tokenizer -> StopWordsRemover -> NGram(n=1) on raw text."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import NGram, StopWordsRemover, Tokenizer

    stages = [Tokenizer(inputCol="text", outputCol="tokens"),
              StopWordsRemover(inputCol="tokens", outputCol="kept"),
              NGram(n=1, inputCol="kept", outputCol="grams")]
    df = _texts(spark)
    return Case(Pipeline(stages=stages), df, df)


# ---- term frequencies, IDF, feature hashing, embeddings ------------------------------------------
def _hashing_tf(**params):
    from pyspark.ml.feature import HashingTF

    return HashingTF(inputCol="terms", outputCol="tf", **params)


@case("hashing_tf_counts")
def hashing_tf_counts(spark):
    """Repeated, empty, non-ASCII and null terms; 64 slots, so collisions add up."""
    return Case(_hashing_tf(numFeatures=64), None, _terms(spark), bad=_null_terms(spark))


@case("hashing_tf_binary_default_size")
def hashing_tf_binary_default_size(spark):
    """Spark's default 2^18 slots, binary counts."""
    return Case(_hashing_tf(binary=True), None, _terms(spark))


@case("hashing_tf_odd_size_pipeline")
def hashing_tf_odd_size_pipeline(spark):
    """A size that is not a power of two (nonNegativeMod of negative hashes), after Tokenizer."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import HashingTF, Tokenizer

    stages = [Tokenizer(inputCol="text", outputCol="tokens"),
              HashingTF(inputCol="tokens", outputCol="tf", numFeatures=1000)]
    df = _texts(spark)
    return Case(Pipeline(stages=stages), df, df)


_DOCS = [
    "the quick brown fox jumps over the lazy dog",
    "never jump over the lazy dog quickly",
    "brown dogs and brown foxes",
    "Über straße: ÜBER alles!",
    "spark spark spark ml",
    "a fox, a dog, a cat",
]


def _docs(spark, extra=()):
    return spark.createDataFrame([(d,) for d in _DOCS + list(extra)], "text string")


@case("idf_hashed_pipeline")
def idf_hashed_pipeline(spark):
    """Tokenizer -> HashingTF -> IDF(minDocFreq=2): rare terms get idf 0."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import IDF, HashingTF, Tokenizer

    stages = [Tokenizer(inputCol="text", outputCol="tokens"),
              HashingTF(inputCol="tokens", outputCol="tf", numFeatures=32),
              IDF(inputCol="tf", outputCol="tfidf", minDocFreq=2)]
    return Case(Pipeline(stages=stages), _docs(spark), _texts(spark, _DOCS))


@case("idf_dense_vectors")
def idf_dense_vectors(spark):
    """Dense and sparse inputs (the output keeps each row's type), a null vector fails."""
    from pyspark.ml.feature import IDF
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.sql.types import StructField, StructType

    schema = StructType([StructField("v", VectorUDT())])
    train = spark.createDataFrame(
        [(Vectors.dense([1.0, 0.0, 2.0, 0.0]),), (Vectors.dense([0.0, 0.0, 1.0, 3.0]),),
         (Vectors.sparse(4, [2], [5.0]),)], schema)
    test = spark.createDataFrame(
        [(Vectors.dense([1.0, 2.0, 3.0, 4.0]),), (Vectors.sparse(4, [0, 3], [2.0, -1.0]),),
         (Vectors.dense([0.0, 0.0, 0.0, 0.0]),), (Vectors.sparse(4, [], []),),
         (Vectors.dense([float("nan"), 1.0, float("inf"), 0.5]),)], schema)
    bad = spark.createDataFrame([(None,)], schema)
    return Case(IDF(inputCol="v", outputCol="w"), train, test, bad=bad)


def _count_vectorizer(**params):
    from pyspark.ml.feature import CountVectorizer

    return CountVectorizer(inputCol="terms", outputCol="counts", **params)


def _term_docs(spark):
    rows = [(d.lower().replace(",", "").replace("!", "").replace(":", "").split(" "),)
            for d in _DOCS]
    return spark.createDataFrame(rows, "terms array<string>")


def _term_test(spark):
    rows = [r[0] for r in _term_docs(spark).collect()] + [
        r[0] for r in _terms(spark).collect()] + [["fox", "fox", "unseen", "dog", "fox"]]
    return spark.createDataFrame([(r,) for r in rows], "terms array<string>")


@case("count_vectorizer_counts")
def count_vectorizer_counts(spark):
    stage = _count_vectorizer()
    return Case(stage, _term_docs(spark), _term_test(spark), bad=_null_terms(spark))


@case("count_vectorizer_fraction_binary")
def count_vectorizer_fraction_binary(spark):
    """minTF below 1: a fraction of each document's token count (unseen tokens count)."""
    stage = _count_vectorizer(minTF=0.25, binary=True, vocabSize=8)
    return Case(stage, _term_docs(spark), _term_test(spark))


@case("count_vectorizer_min_tf_count")
def count_vectorizer_min_tf_count(spark):
    stage = _count_vectorizer(minTF=2.0, minDF=2.0)
    return Case(stage, _term_docs(spark), _term_test(spark))


_HASHER_SCHEMA = ("real double, count int, flag boolean, color string, code int, ratio double, "
                  "big long")


def _hasher_rows(spark):
    nan = float("nan")
    rows = [
        (1.5, 3, True, "red", 7, 1.0, 10),
        (0.0, 0, False, "", 0, 1e-4, 3000000000),
        (None, None, None, None, None, None, None),
        (nan, -2, True, "Rot ÜBER", -1, 1.5e7, -5),
        (-0.0, 2147483647, False, "red", 7, nan, 0),
        (2.5, 1, None, "😀", 3, -0.0, None),
    ]
    return spark.createDataFrame(rows, _HASHER_SCHEMA)


@case("feature_hasher_mixed")
def feature_hasher_mixed(spark):
    """Real, integral, boolean, string and categorical numeric columns; nulls and NaN."""
    from pyspark.ml.feature import FeatureHasher

    stage = FeatureHasher(inputCols=["real", "count", "flag", "color", "code", "ratio", "big"],
                          outputCol="hashed", numFeatures=100,
                          categoricalCols=["code", "ratio"])
    return Case(stage, None, _hasher_rows(spark))


@case("feature_hasher_default_size")
def feature_hasher_default_size(spark):
    from pyspark.ml.feature import FeatureHasher

    stage = FeatureHasher(inputCols=["real", "count", "flag", "color"], outputCol="hashed")
    return Case(stage, None, _hasher_rows(spark))


@case("word2vec_average")
def word2vec_average(spark):
    """Known and unknown words, an empty sentence (an empty SparseVector), null elements."""
    from pyspark.ml.feature import Word2Vec

    stage = Word2Vec(inputCol="terms", outputCol="embedding", vectorSize=5, minCount=1,
                     seed=7, maxIter=2, numPartitions=1)
    return Case(stage, _term_docs(spark), _term_test(spark), bad=_null_terms(spark))


_LABELLED = [
    ("Great product, works perfectly and fast!", 1.0),
    ("terrible, broke after a day. awful", 0.0),
    ("I love it; the best purchase this year", 1.0),
    ("waste of money, do not buy", 0.0),
    ("Excellent quality and great support", 1.0),
    ("awful support and terrible quality", 0.0),
    ("works great, love the speed", 1.0),
    ("it broke, money wasted, never again", 0.0),
]


def text_lr_stages(num_features: int = 512):
    """RegexTokenizer + StopWordsRemover + HashingTF + IDF + LogisticRegression (also the
    stages benchmarks/bench_text.py times)."""
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import IDF, HashingTF, RegexTokenizer, StopWordsRemover

    return [
        RegexTokenizer(inputCol="text", outputCol="tokens", pattern="\\W+"),
        StopWordsRemover(inputCol="tokens", outputCol="words"),
        HashingTF(inputCol="words", outputCol="tf", numFeatures=num_features),
        IDF(inputCol="tf", outputCol="features"),
        LogisticRegression(maxIter=20, regParam=0.01),
    ]


@case("text_lr_pipeline")
def text_lr_pipeline(spark):
    from pyspark.ml import Pipeline

    train = spark.createDataFrame(_LABELLED * 3, "text string, label double")
    test = spark.createDataFrame([(t, 0.0) for t in TEXTS + [d for d, _ in _LABELLED]],
                                 "text string, label double")
    return Case(Pipeline(stages=text_lr_stages()), train, test)


@case("text_lr_default_size_pipeline")
def text_lr_default_size_pipeline(spark):
    """Spark's default HashingTF size (2^18 slots): the row path stays sparse end to end."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import IDF, HashingTF, Tokenizer

    stages = [Tokenizer(inputCol="text", outputCol="tokens"),
              HashingTF(inputCol="tokens", outputCol="tf"),
              IDF(inputCol="tf", outputCol="features"),
              LogisticRegression(maxIter=10, regParam=0.01)]
    train = spark.createDataFrame(_LABELLED * 3, "text string, label double")
    test = spark.createDataFrame([(t, 0.0) for t in TEXTS + [d for d, _ in _LABELLED]],
                                 "text string, label double")
    return Case(Pipeline(stages=stages), train, test)


@case("text_lr_multinomial_sparse")
def text_lr_multinomial_sparse(spark):
    """Three classes over 1024 hashed slots (3072 coefficients, past the compiled row path),
    elastic net so that many coefficients are exactly zero."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import HashingTF, RegexTokenizer

    stages = [RegexTokenizer(inputCol="text", outputCol="tokens", pattern="\\W+"),
              HashingTF(inputCol="tokens", outputCol="features", numFeatures=1024),
              LogisticRegression(maxIter=30, regParam=0.05, elasticNetParam=0.5,
                                 family="multinomial")]
    rows = [(t, 2.0 if "support" in t or "quality" in t else label) for t, label in _LABELLED]
    train = spark.createDataFrame(rows * 3, "text string, label double")
    test = spark.createDataFrame([(t, 0.0) for t in TEXTS + [d for d, _ in _LABELLED]],
                                 "text string, label double")
    return Case(Pipeline(stages=stages), train, test)
