"""The serving spec of one model version (``serving.json`` / ``serving.yaml`` beside the saved
Spark pipeline) and the model-level file (``model.json`` / ``model.yaml``): parsed and validated
once, with errors naming the file and the key.

serving.json (every key optional; no file at all means all outputs, input types inferred)::

    {"outputs": ["prediction", "probability"],          # columns returned by default
     "inputs": {"amount": "double", "city": "string"},  # Spark SQL types -> with_input_types
     "partitioning": {"field": "city", "models": {"berlin": "berlin"}, "fallback": "global"},
     "features": {...},   # online feature lookups (issue 11; kept opaque here)
     "logging": {...},    # prediction logging, e.g. {"sample_rate": 0.1} (issue 13)
     "record": {"owner": "...", "training_data": "...", "metrics": {"auc": 0.91}, "notes": "..."}}

``partitioning`` makes one logical model of several saved pipelines: sub-folders of the version
folder, picked per row by the value of ``field`` (``fallback`` for any other value).

model.json::

    {"default": "production",                        # version or alias used when none is asked
     "aliases": {"production": "3",                  # alias -> version
                 "canary": {"3": 90, "4": 10}}}      # alias -> weighted split between versions
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from servelib.errors import ModelLoadError
from servelib.registry.names import is_name

# Spark SQL type names (as in a schema's JSON) a spec may declare for an input column.
INPUT_TYPES = ("string", "double", "float", "long", "integer", "short", "byte", "boolean", "vector")


@dataclass(frozen=True)
class Partitioning:
    field: str
    models: Mapping[str, str]  # value of ``field`` -> sub-folder
    fallback: str | None = None


@dataclass(frozen=True)
class ServingSpec:
    outputs: tuple[str, ...] | None = None
    inputs: Mapping[str, str] = field(default_factory=dict)
    partitioning: Partitioning | None = None
    features: Mapping[str, Any] | None = None
    logging: Mapping[str, Any] | None = None
    record: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelConfig:
    default: str | None = None
    aliases: Mapping[str, str | Mapping[str, float]] = field(default_factory=dict)


def parse_document(text: str, path: str) -> Mapping[str, Any]:
    """A JSON or YAML (by extension) mapping."""
    if path.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError as exc:  # pragma: no cover - the [server] extra has it
            raise ModelLoadError("YAML files need PyYAML: pip install 'servelib[server]'",
                                 path) from exc
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ModelLoadError(f"not valid YAML: {exc}", path) from exc
    else:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ModelLoadError(f"not valid JSON: {exc}", path) from exc
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ModelLoadError("expected a mapping at the top level", path)
    return data


def _fail(path: str, key: str, message: str) -> ModelLoadError:
    return ModelLoadError(f"key {key!r}: {message}", path)


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...], path: str, prefix: str = ""
                ) -> None:
    for key in data:
        if key not in allowed:
            raise _fail(path, prefix + str(key), f"unknown key (expected one of {list(allowed)})")


def _mapping(data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any] | None:
    value = data.get(key)
    if value is not None and not isinstance(value, Mapping):
        raise _fail(path, key, f"expected a mapping, got {type(value).__name__}")
    return value


def parse_spec(data: Mapping[str, Any], path: str) -> ServingSpec:
    _check_keys(data, ("outputs", "inputs", "partitioning", "features", "logging", "record"), path)
    outputs = data.get("outputs")
    if outputs is not None:
        if not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs):
            raise _fail(path, "outputs", "expected a list of column names")
        outputs = tuple(outputs)
    inputs = dict(_mapping(data, "inputs", path) or {})
    for column, kind in inputs.items():
        if kind not in INPUT_TYPES:
            raise _fail(path, f"inputs.{column}", f"unknown type {kind!r} (one of {INPUT_TYPES})")
    record = dict(_mapping(data, "record", path) or {})
    _check_keys(record, ("owner", "training_data", "metrics", "notes", "created"), path, "record.")
    logging = _mapping(data, "logging", path)
    rate = (logging or {}).get("sample_rate")
    if rate is not None and not (isinstance(rate, (int, float)) and 0 <= rate <= 1):
        raise _fail(path, "logging.sample_rate", f"expected a number in [0, 1], got {rate!r}")
    return ServingSpec(outputs=outputs, inputs=inputs,
                       partitioning=_partitioning(data, path),
                       features=_mapping(data, "features", path), logging=logging, record=record)


def _partitioning(data: Mapping[str, Any], path: str) -> Partitioning | None:
    section = _mapping(data, "partitioning", path)
    if section is None:
        return None
    _check_keys(section, ("field", "models", "fallback"), path, "partitioning.")
    if not isinstance(section.get("field"), str):
        raise _fail(path, "partitioning.field", "expected the name of a request field")
    models = section.get("models")
    if not isinstance(models, Mapping) or not models:
        raise _fail(path, "partitioning.models", "expected a non-empty mapping value -> folder")
    fallback = section.get("fallback")
    for key, folder in [*((f"models.{k}", v) for k, v in models.items()), ("fallback", fallback)]:
        if folder is not None and not is_name(folder):
            raise _fail(path, f"partitioning.{key}", f"{folder!r} is not a sub-folder name")
    return Partitioning(section["field"], {str(k): v for k, v in models.items()}, fallback)


def parse_config(data: Mapping[str, Any], path: str) -> ModelConfig:
    _check_keys(data, ("default", "aliases"), path)
    default = data.get("default")
    if default is not None and not is_name(default):
        raise _fail(path, "default", f"{default!r} is not a version or alias name")
    aliases: dict[str, str | dict[str, float]] = {}
    for alias, target in (_mapping(data, "aliases", path) or {}).items():
        key = f"aliases.{alias}"
        if not is_name(alias):
            raise _fail(path, key, "not a valid alias name")
        if isinstance(target, (str, int)) and not isinstance(target, bool):
            if not is_name(str(target)):
                raise _fail(path, key, f"{target!r} is not a version name")
            aliases[alias] = str(target)
        elif isinstance(target, Mapping) and target:
            aliases[alias] = _split(target, path, key)
        else:
            raise _fail(path, key, "expected a version or a mapping version -> weight")
    return ModelConfig(default=default, aliases=aliases)


def _split(target: Mapping[Any, Any], path: str, key: str) -> dict[str, float]:
    split: dict[str, float] = {}
    for version, weight in target.items():
        if not is_name(str(version)):
            raise _fail(path, f"{key}.{version}", "not a version name")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) \
                or not math.isfinite(weight) or weight < 0:
            raise _fail(path, f"{key}.{version}", f"weight must be a number >= 0, got {weight!r}")
        split[str(version)] = float(weight)
    if sum(split.values()) <= 0:
        raise _fail(path, key, "weights must not all be 0")
    return split
