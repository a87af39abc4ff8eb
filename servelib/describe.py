"""What a loaded pipeline is, as JSON-ready data: its stages (nested pipelines and tuning
models flattened), their params and facts, and the type each input column must have.

``servelib inspect`` prints it, the serving metadata (registry/schema.py) and the model record
(record.py) build on it; a library module, so none of them depends on the command line.
"""

from __future__ import annotations

from typing import Any

# What each stage accepts in the params that name its input columns, by Spark's simple class
# name. Descriptions only (for `servelib inspect` and model metadata); scoring checks types
# itself.
_NUMBER, _VECTOR = "number", "vector"
INPUT_TYPES: dict[str, dict[str, str]] = {
    "StringIndexerModel": dict.fromkeys(("inputCol", "inputCols"), "string or number"),
    "IndexToString": {"inputCol": "label index (number)"},
    "OneHotEncoderModel": dict.fromkeys(("inputCol", "inputCols"), "category index (number)"),
    "VectorAssembler": {"inputCols": "number, boolean or vector"},
    "VectorSlicer": {"inputCol": _VECTOR},
    "VectorIndexerModel": {"inputCol": _VECTOR},
    "VectorSizeHint": {"inputCol": _VECTOR},
    "Interaction": {"inputCols": "number or vector"},
    "StandardScalerModel": {"inputCol": _VECTOR},
    "MinMaxScalerModel": {"inputCol": _VECTOR},
    "MaxAbsScalerModel": {"inputCol": _VECTOR},
    "RobustScalerModel": {"inputCol": _VECTOR},
    "ImputerModel": dict.fromkeys(("inputCol", "inputCols"), _NUMBER),
    "Bucketizer": dict.fromkeys(("inputCol", "inputCols"), _NUMBER),
    "Binarizer": {"inputCol": "number or vector", "inputCols": _NUMBER},
    "Normalizer": {"inputCol": _VECTOR},
    "ElementwiseProduct": {"inputCol": _VECTOR},
    "PolynomialExpansion": {"inputCol": _VECTOR},
    "DCT": {"inputCol": _VECTOR},
    "Tokenizer": {"inputCol": "string"},
    "RegexTokenizer": {"inputCol": "string"},
    "StopWordsRemover": dict.fromkeys(("inputCol", "inputCols"), "array of strings"),
    "NGram": {"inputCol": "array of strings"},
    "HashingTF": {"inputCol": "array of strings"},
    "CountVectorizerModel": {"inputCol": "array of strings"},
    "Word2VecModel": {"inputCol": "array of strings"},
    "IDFModel": {"inputCol": _VECTOR},
    "FeatureHasher": {"inputCols": "number, string or boolean"},
    "RFormulaModel": {"formula": "number, boolean, string or vector (a formula term)"},
    "ColumnPruner": {},
    "VectorAttributeRewriter": {"vectorCol": _VECTOR},
    "SQLTransformer": {"statement": "double, integer, long, string or boolean (read by the "
                                    "statement; selected as is: any)"},
    "LogisticRegressionModel": {"featuresCol": _VECTOR},
    "LinearSVCModel": {"featuresCol": _VECTOR},
    "NaiveBayesModel": {"featuresCol": _VECTOR},
    "LinearRegressionModel": {"featuresCol": _VECTOR},
    "GeneralizedLinearRegressionModel": {"featuresCol": _VECTOR, "offsetCol": _NUMBER},
    **dict.fromkeys(
        (
            f"{kind}{task}Model"
            for kind in ("DecisionTree", "RandomForest", "GBT")
            for task in ("Classification", "Regression")
        ),
        {"featuresCol": _VECTOR},
    ),
    **dict.fromkeys(
        (f"SparkXGB{task}Model" for task in ("Classifier", "Regressor", "Ranker")),
        {"featuresCol": _VECTOR, "features_cols": _NUMBER, "base_margin_col": _NUMBER},
    ),
    **dict.fromkeys(
        ("ChiSqSelectorModel", "UnivariateFeatureSelectorModel", "VarianceThresholdSelectorModel",
         "MultilayerPerceptronClassificationModel", "FMClassificationModel", "FMRegressionModel",
         "AFTSurvivalRegressionModel", "KMeansModel", "BisectingKMeansModel",
         "GaussianMixtureModel", "OneVsRestModel"),
        {"featuresCol": _VECTOR},
    ),
    **dict.fromkeys(("PCAModel", "MinHashLSHModel", "BucketedRandomProjectionLSHModel"),
                    {"inputCol": _VECTOR}),
    "IsotonicRegressionModel": {"featuresCol": "number or vector"},
    "TargetEncoderModel": dict.fromkeys(("inputCol", "inputCols"), "category index (number)"),
    "ALSModel": dict.fromkeys(("userCol", "itemCol"), "integer id (number)"),
}


def flatten(model: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(index, stage) for every leaf stage; nested pipelines get dotted indices ("2.0")."""
    from servelib.transformers.pipeline import PipelineModel
    from servelib.transformers.tuning import ValidatorModel

    out: list[tuple[str, Any]] = []
    for i, stage in enumerate(model.stages):
        index = f"{prefix}{i}"
        if isinstance(stage, (PipelineModel, ValidatorModel)):  # a validator: its best model
            out += flatten(stage, index + ".")
        else:
            out.append((index, stage))
    return out


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def input_type(stage: Any, column: str) -> tuple[str | None, str]:
    """(param naming ``column``, expected type) for a stage that reads ``column``."""
    table = INPUT_TYPES.get(stage.spark_class.rsplit(".", 1)[-1], {})
    params = stage.info.get("params", {}) if stage.info else {}
    for param, description in table.items():
        # a SQL statement or an R formula names its columns inside: the stage lists them
        named = (stage.input_columns() if param in ("statement", "formula")
                 else _names(params.get(param)))
        if column in named:
            return param, description
    return None, "unknown"


_NOT_FACTS = {"params", "spark_version", "path"}


def describe(model: Any, path: str) -> dict[str, Any]:
    """Everything `inspect` shows, as JSON-ready data."""
    stages = flatten(model)
    single = len(model.stages) == 1 and model.uid == model.stages[0].uid
    info = model.info or {}
    version = info.get("spark_version") or next(
        (s.info.get("spark_version") for _, s in stages if s.info), None
    )
    inputs = []
    for column in model.input_columns():
        reader = next((s for _, s in stages if column in s.input_columns()), None)
        param, kind = input_type(reader, column) if reader is not None else (None, "unknown")
        inputs.append({"name": column, "type": kind, "stage": reader.uid if reader else None,
                       "param": param})
    return {
        "path": path,
        "uid": model.uid,
        "saved_as": "stage" if single else "PipelineModel",
        "spark_version": version,
        "stages": [
            {
                "index": index,
                "uid": stage.uid,
                "class": stage.spark_class,
                "params": dict((stage.info or {}).get("params", {})),
                "facts": {k: v for k, v in (stage.info or {}).items() if k not in _NOT_FACTS},
                "inputs": list(stage.input_columns()),
                "outputs": list(stage.output_columns()),
            }
            for index, stage in stages
        ],
        "inputs": inputs,
        "outputs": list(model.output_columns()),
    }
