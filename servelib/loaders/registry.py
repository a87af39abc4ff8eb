"""The one table from an exact Spark class name to the function that loads it.

Entries are "module:function" so optional dependencies load only when a model needs them.
A class missing here raises UnsupportedStage naming it, the stage path and this list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from servelib.errors import UnsupportedStage

_FEATURE = "org.apache.spark.ml.feature."

LOADERS: dict[str, str] = {
    "org.apache.spark.ml.PipelineModel": "servelib.loaders.pipeline:load_pipeline",
    "pyspark.ml.pipeline.PipelineModel": "servelib.loaders.pipeline:load_pipeline",
    # categorical encoding (loaders/feature.py) and vector assembly/slicing (loaders/vector.py)
    _FEATURE + "StringIndexerModel": "servelib.loaders.feature:load_string_indexer",
    _FEATURE + "IndexToString": "servelib.loaders.feature:load_index_to_string",
    _FEATURE + "OneHotEncoderModel": "servelib.loaders.feature:load_one_hot_encoder",
    _FEATURE + "VectorAssembler": "servelib.loaders.vector:load_vector_assembler",
    _FEATURE + "VectorSlicer": "servelib.loaders.vector:load_vector_slicer",
    _FEATURE + "VectorIndexerModel": "servelib.loaders.feature:load_vector_indexer",
    _FEATURE + "VectorSizeHint": "servelib.loaders.vector:load_vector_size_hint",
    _FEATURE + "Interaction": "servelib.loaders.vector:load_interaction",
    # scalers and imputer (loaders/scalers.py); other numeric transformers (loaders/numeric.py)
    _FEATURE + "StandardScalerModel": "servelib.loaders.scalers:load_standard_scaler",
    _FEATURE + "MinMaxScalerModel": "servelib.loaders.scalers:load_min_max_scaler",
    _FEATURE + "MaxAbsScalerModel": "servelib.loaders.scalers:load_max_abs_scaler",
    _FEATURE + "RobustScalerModel": "servelib.loaders.scalers:load_robust_scaler",
    _FEATURE + "ImputerModel": "servelib.loaders.scalers:load_imputer",
    _FEATURE + "Bucketizer": "servelib.loaders.numeric:load_bucketizer",
    _FEATURE + "Binarizer": "servelib.loaders.numeric:load_binarizer",
    _FEATURE + "Normalizer": "servelib.loaders.numeric:load_normalizer",
    _FEATURE + "ElementwiseProduct": "servelib.loaders.numeric:load_elementwise_product",
    _FEATURE + "PolynomialExpansion": "servelib.loaders.numeric:load_polynomial_expansion",
    _FEATURE + "DCT": "servelib.loaders.numeric:load_dct",
    # text (loaders/text.py)
    _FEATURE + "Tokenizer": "servelib.loaders.text:load_tokenizer",
    _FEATURE + "RegexTokenizer": "servelib.loaders.text:load_regex_tokenizer",
    _FEATURE + "StopWordsRemover": "servelib.loaders.text:load_stop_words_remover",
    _FEATURE + "NGram": "servelib.loaders.text:load_ngram",
    _FEATURE + "HashingTF": "servelib.loaders.text:load_hashing_tf",
    _FEATURE + "IDFModel": "servelib.loaders.text:load_idf",
    _FEATURE + "CountVectorizerModel": "servelib.loaders.text:load_count_vectorizer",
    _FEATURE + "FeatureHasher": "servelib.loaders.text:load_feature_hasher",
    _FEATURE + "Word2VecModel": "servelib.loaders.text:load_word2vec",
    # SQL (loaders/sql.py)
    _FEATURE + "SQLTransformer": "servelib.loaders.sql:load_sql_transformer",
    # RFormula and the private stages of its internal pipeline (loaders/rformula.py)
    _FEATURE + "RFormulaModel": "servelib.loaders.rformula:load_rformula",
    _FEATURE + "ColumnPruner": "servelib.loaders.rformula:load_column_pruner",
    _FEATURE + "VectorAttributeRewriter": "servelib.loaders.rformula:load_vector_attribute_rewriter",
    # linear and probabilistic models
    "org.apache.spark.ml.classification.LogisticRegressionModel": (
        "servelib.loaders.classification:load_logistic_regression"
    ),
    "org.apache.spark.ml.classification.LinearSVCModel": "servelib.loaders.classification:load_linear_svc",
    "org.apache.spark.ml.classification.NaiveBayesModel": "servelib.loaders.classification:load_naive_bayes",
    "org.apache.spark.ml.regression.LinearRegressionModel": (
        "servelib.loaders.regression:load_linear_regression"
    ),
    "org.apache.spark.ml.regression.GeneralizedLinearRegressionModel": (
        "servelib.loaders.regression:load_glr"
    ),
    # decision trees and ensembles (loaders/tree.py)
    "org.apache.spark.ml.classification.DecisionTreeClassificationModel": (
        "servelib.loaders.tree:load_decision_tree_classifier"
    ),
    "org.apache.spark.ml.regression.DecisionTreeRegressionModel": (
        "servelib.loaders.tree:load_decision_tree_regressor"
    ),
    "org.apache.spark.ml.classification.RandomForestClassificationModel": (
        "servelib.loaders.tree:load_random_forest_classifier"
    ),
    "org.apache.spark.ml.regression.RandomForestRegressionModel": (
        "servelib.loaders.tree:load_random_forest_regressor"
    ),
    "org.apache.spark.ml.classification.GBTClassificationModel": (
        "servelib.loaders.tree:load_gbt_classifier"
    ),
    "org.apache.spark.ml.regression.GBTRegressionModel": "servelib.loaders.tree:load_gbt_regressor",
    # XGBoost: xgboost.spark's Python models (loaders/xgboost.py); XGBoost4J-Spark: see REFUSED
    "xgboost.spark.estimator.SparkXGBClassifierModel": "servelib.loaders.xgboost:load_xgb_classifier",
    "xgboost.spark.estimator.SparkXGBRegressorModel": "servelib.loaders.xgboost:load_xgb_regressor",
    "xgboost.spark.estimator.SparkXGBRankerModel": "servelib.loaders.xgboost:load_xgb_ranker",
    # selection and projection (loaders/selection.py)
    _FEATURE + "ChiSqSelectorModel": "servelib.loaders.selection:load_chisq_selector",
    _FEATURE + "UnivariateFeatureSelectorModel": (
        "servelib.loaders.selection:load_univariate_selector"
    ),
    _FEATURE + "VarianceThresholdSelectorModel": (
        "servelib.loaders.selection:load_variance_threshold_selector"
    ),
    _FEATURE + "PCAModel": "servelib.loaders.selection:load_pca",
    _FEATURE + "TargetEncoderModel": "servelib.loaders.selection:load_target_encoder",  # 4.x
    _FEATURE + "MinHashLSHModel": "servelib.loaders.selection:load_minhash_lsh",
    _FEATURE + "BucketedRandomProjectionLSHModel": (
        "servelib.loaders.selection:load_bucketed_random_projection_lsh"
    ),
    # neural, factorization, isotonic and survival models (loaders/models.py)
    "org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel": (
        "servelib.loaders.models:load_mlp"
    ),
    "org.apache.spark.ml.classification.FMClassificationModel": (
        "servelib.loaders.models:load_fm_classifier"
    ),
    "org.apache.spark.ml.regression.FMRegressionModel": "servelib.loaders.models:load_fm_regressor",
    "org.apache.spark.ml.regression.IsotonicRegressionModel": (
        "servelib.loaders.models:load_isotonic"
    ),
    "org.apache.spark.ml.regression.AFTSurvivalRegressionModel": "servelib.loaders.models:load_aft",
    # clustering (loaders/clustering.py)
    "org.apache.spark.ml.clustering.KMeansModel": "servelib.loaders.clustering:load_kmeans",
    "org.apache.spark.ml.clustering.BisectingKMeansModel": (
        "servelib.loaders.clustering:load_bisecting_kmeans"
    ),
    "org.apache.spark.ml.clustering.GaussianMixtureModel": (
        "servelib.loaders.clustering:load_gaussian_mixture"
    ),
    # one-vs-rest and the model-selection wrappers (loaders/tuning.py)
    "org.apache.spark.ml.classification.OneVsRestModel": "servelib.loaders.tuning:load_one_vs_rest",
    "org.apache.spark.ml.tuning.CrossValidatorModel": "servelib.loaders.tuning:load_cross_validator",
    "org.apache.spark.ml.tuning.TrainValidationSplitModel": (
        "servelib.loaders.tuning:load_train_validation_split"
    ),
    # the same three as PySpark's Python writers save them (a child Spark's JVM does not know)
    "pyspark.ml.classification.OneVsRestModel": "servelib.loaders.tuning:load_one_vs_rest",
    "pyspark.ml.tuning.CrossValidatorModel": "servelib.loaders.tuning:load_cross_validator",
    "pyspark.ml.tuning.TrainValidationSplitModel": (
        "servelib.loaders.tuning:load_train_validation_split"
    ),
    # recommendation (loaders/recommendation.py)
    "org.apache.spark.ml.recommendation.ALSModel": "servelib.loaders.recommendation:load_als",
}


_XGBOOST4J = (
    "XGBoost4J-Spark models have no verified reader: the booster sits in data/model (UBJSON by "
    "default) and scoring differs from xgboost.spark (a SparseVector's implicit zeros are "
    "missing, probabilities come from the booster, thresholds apply), none of which could be "
    "checked against a real save; retrain with xgboost.spark (SparkXGBClassifier/Regressor) "
    "to serve with servelib (see servelib/loaders/xgboost.py)"
)

_LDA = (
    "LDA's topicDistribution is variational inference started from a random Gamma(100, 1/100) "
    "draw (Breeze's sampler over a Mersenne Twister seeded from the model's seed) and iterated "
    "with Breeze's digamma until a 1e-3 tolerance: matching Spark would mean reproducing that "
    "sampler and digamma bit for bit, or the iteration count can differ; servelib does not "
    "claim it (LocalLDAModel and DistributedLDAModel alike)"
)
_FPGROWTH = (
    "FPGrowthModel's prediction lists consequents in the order the association rules come back "
    "from a shuffle join over the frequent itemsets, which depends on the cluster's partition "
    "count and its hash maps, not only on the saved model; servelib cannot promise Spark's "
    "order, so it does not score FPGrowthModel"
)

# Classes servelib knowingly refuses (not in LOADERS, so nothing claims to score them): the
# reason joins the UnsupportedStage message.
REFUSED: dict[str, str] = {
    "ml.dmlc.xgboost4j.scala.spark.XGBoostClassificationModel": _XGBOOST4J,
    "ml.dmlc.xgboost4j.scala.spark.XGBoostRegressionModel": _XGBOOST4J,
    "ml.dmlc.xgboost4j.scala.spark.XGBoostRankerModel": _XGBOOST4J,
    "org.apache.spark.ml.clustering.LocalLDAModel": _LDA,
    "org.apache.spark.ml.clustering.DistributedLDAModel": _LDA,
    "org.apache.spark.ml.fpm.FPGrowthModel": _FPGROWTH,
}


def supported_classes() -> list[str]:
    return sorted(LOADERS)


def loader_for(spark_class: str, path: str) -> Callable[..., Any]:
    target = LOADERS.get(spark_class)
    if target is None:
        raise UnsupportedStage(spark_class, path, supported_classes(), REFUSED.get(spark_class))
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)
