"""Parity cases: small Spark pipelines trained and saved by real PySpark.

Each module in this package defines functions decorated with :func:`case`. A case function takes
a SparkSession and returns a :class:`Case`. ``tests/parity/make_fixtures.py`` fits and saves the
model, and records PySpark's own ``transform()`` output; servelib is compared against that.
Expected numbers always come from Spark, never from this file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CASES: dict[str, Callable[[Any], Case]] = {}

# The live parity run's default set (SERVELIB_PARITY_SET=quick; "all" regenerates every case):
# every registered Spark class at least once (tests/test_coverage.py checks it), plus the
# behaviours that differ between Spark lines (null/NaN handling, compressed vectors, attributes,
# BLAS summation order, xgboost's missing value). The heavy cases (100-tree GBT, 200-tree forest,
# large xgboost) are left to the full run; their committed golden fixtures are checked always.
QUICK = frozenset({
    "demo_lr_pipeline", "vector_sizes_pipeline", "scaler_chain", "interaction_vector",
    "nested_pipeline", "tree_rf_regressor", "regression_pipeline", "linear_svc", "nb_gaussian",
    "bucketizer_keep", "imputer_single_int", "tree_gbt_regressor", "xgb_binary_pipeline",
    "xgb_ranker_pipeline", "index_to_string_labels", "xgb_regressor_pipeline",
    "tree_dt_regressor_paths", "tree_dt_classifier_paths", "tree_gbt_classifier_paths",
    "tree_rf_classifier_multiclass",
    # Spark-line differences and dirty-input paths
    "binarizer_multi_column", "index_to_string_from_indexer", "vector_indexer_keep",
    "vector_assembler_skip", "string_indexer_multi_skip", "one_hot_drop_last_keep",
    "lr_multinomial_pipeline", "glr_poisson_log", "xgb_zero_missing_regressor",
    # text stages (cases/text.py)
    "tokenizer_basic", "regex_tokenizer_punct", "stop_words_multi_case_sensitive",
    "ngram_unigram_pipeline", "hashing_tf_counts", "idf_dense_vectors",
    "count_vectorizer_fraction_binary", "feature_hasher_mixed", "word2vec_average",
    "text_lr_pipeline",
    "sql_subset", "rformula_dot_keep",
    # selection, projection, the remaining models, clustering, one-vs-rest and tuning
    "chisq_selector", "univariate_selector", "variance_threshold_selector", "pca",
    "mlp_classifier", "fm_classifier", "fm_regressor", "isotonic_vector_feature_index",
    "aft_survival_quantiles", "kmeans_euclidean", "bisecting_kmeans", "gaussian_mixture",
    "one_vs_rest_lr", "cross_validator_pipeline", "train_validation_split_in_pipeline",
    "als_nan", "minhash_lsh", "bucketed_random_projection_lsh", "target_encoder_binary_keep",
    # what PySpark's Python writers save (cases/python_writers.py)
    "one_vs_rest_xgb_pipeline", "cross_validator_xgb_pipeline",
    "train_validation_split_xgb_in_pipeline",
})


@dataclass
class Case:
    estimator: Any  # a Pipeline / Estimator (fitted on train) or a Transformer (saved as is)
    train: Any  # DataFrame to fit on (may be None for a plain Transformer)
    test: Any  # DataFrame Spark transforms successfully (rows may be skipped by Spark)
    bad: Any = None  # DataFrame whose every row must make Spark's transform fail
    #  (handleInvalid="error" and friends); each row is checked alone


# Cases whose estimator older Spark lines lack: name -> first (major, minor) that has it.
# make_fixtures.py skips them on older lines and tests/test_coverage.py expects no fixture there.
SINCE: dict[str, tuple[int, int]] = {}


def case(name: str, since: tuple[int, int] | None = None
         ) -> Callable[[Callable[[Any], Case]], Callable[[Any], Case]]:
    def register(func: Callable[[Any], Case]) -> Callable[[Any], Case]:
        if name in CASES:
            raise ValueError(f"duplicate parity case {name}")
        CASES[name] = func
        if since is not None:
            SINCE[name] = since
        return func

    return register


def available(name: str, version: tuple[int, int]) -> bool:
    """Whether Spark ``version`` (major, minor) has what case ``name`` trains."""
    return version >= SINCE.get(name, (0, 0))


def line_version(name: str) -> tuple[int, int]:
    """(major, minor) of a fixture directory name such as ``spark-3.5``."""
    major, minor = name.removeprefix("spark-").split(".")[:2]
    return int(major), int(minor)


def load_all() -> dict[str, Callable[[Any], Case]]:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return CASES
