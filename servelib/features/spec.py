"""The ``features`` section of a serving spec: which stores, which feature groups, how fetched
values become pipeline input columns. Parsed and checked when the model loads; every error is a
ModelLoadError naming the key.

::

    "features": {
      "stores": {"online": {"type": "redis", "url": "redis://127.0.0.1:6379/0", "timeout_ms": 20},
                 "wide":   {"type": "cassandra", "hosts": ["127.0.0.1"], "port": 9042,
                            "keyspace": "features", "consistency": "LOCAL_ONE", "timeout_ms": 50},
                 "local":  {"type": "embedded", "path": "features/"}},
      "groups": [
        {"name": "rider", "store": "online", "table": "rider",
         "key": ["rider_id"],                       # request fields; several make a composite key
         "features": {"trips_7d": {"type": "double", "default": 0.0},
                      "rating":   {"type": "double", "required": true},
                      "segment":  {"type": "string"}},   # neither: a missing value is null
         "max_age_s": 86400,                         # older values count as missing
         "columns": {"trips_7d": "trips"}}           # fetched name -> pipeline input column
      ],
      "on_store_error": "fail"                        # or "defaults": serve with the defaults
    }

Values the request itself carries win over fetched ones (a client may override a feature).
Feature types are Spark SQL names: double, float, long, integer, boolean, string, vector.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servelib.errors import ModelLoadError

TYPES = ("double", "float", "long", "integer", "boolean", "string", "vector")
STORE_TYPES = ("redis", "cassandra", "embedded")


@dataclass(frozen=True)
class Feature:
    name: str
    type: str
    column: str  # the pipeline input column it fills
    default: Any = None
    required: bool = False


@dataclass(frozen=True)
class FeatureGroup:
    name: str
    store: str
    table: str
    key: tuple[str, ...]
    features: tuple[Feature, ...]
    max_age_s: float | None = None


@dataclass(frozen=True)
class FeatureSpec:
    stores: Mapping[str, Mapping[str, Any]]
    groups: tuple[FeatureGroup, ...]
    on_store_error: str = "fail"


def _fail(path: str, key: str, message: str) -> ModelLoadError:
    return ModelLoadError(f"features: key {key!r}: {message}", path)


def _keys(data: Mapping[str, Any], allowed: Sequence[str], path: str, where: str) -> None:
    for key in data:
        if key not in allowed:
            raise _fail(path, f"{where}{key}", f"unknown key (expected one of {list(allowed)})")


def _mapping(value: Any, path: str, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, key, f"expected a mapping, got {type(value).__name__}")
    return value


def _name(value: Any, path: str, key: str) -> str:
    if not isinstance(value, str) or not value or any(c in value for c in "\x00\n"):
        raise _fail(path, key, f"expected a non-empty name, got {value!r}")
    return value


def parse_features(data: Any, path: str) -> FeatureSpec:
    data = _mapping(data, path, "features")
    _keys(data, ("stores", "groups", "on_store_error"), path, "")
    stores = _mapping(data.get("stores", {}), path, "stores")
    for name, conf in stores.items():
        conf = _mapping(conf, path, f"stores.{name}")
        if conf.get("type") not in STORE_TYPES:
            raise _fail(path, f"stores.{name}.type", f"expected one of {list(STORE_TYPES)}, got {conf.get('type')!r}")
        timeout = conf.get("timeout_ms", 50)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 60_000:
            raise _fail(path, f"stores.{name}.timeout_ms", f"expected milliseconds in (0, 60000], got {timeout!r}")
    mode = data.get("on_store_error", "fail")
    if mode not in ("fail", "defaults"):
        raise _fail(path, "on_store_error", f"expected 'fail' or 'defaults', got {mode!r}")
    groups_raw = data.get("groups", [])
    if not isinstance(groups_raw, list) or not groups_raw:
        raise _fail(path, "groups", "expected a non-empty list of feature groups")
    groups = tuple(_group(g, i, stores, path) for i, g in enumerate(groups_raw))
    names = [g.name for g in groups]
    if len(set(names)) != len(names):
        raise _fail(path, "groups", f"duplicate group names in {names}")
    columns = [f.column for g in groups for f in g.features]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise _fail(path, "groups", f"several features fill the input column(s) {dupes}")
    return FeatureSpec(dict(stores), groups, mode)


def _group(raw: Any, i: int, stores: Mapping[str, Any], path: str) -> FeatureGroup:
    where = f"groups[{i}]."
    raw = _mapping(raw, path, f"groups[{i}]")
    _keys(raw, ("name", "store", "table", "key", "features", "max_age_s", "columns"), path, where)
    name = _name(raw.get("name"), path, where + "name")
    store = _name(raw.get("store"), path, where + "store")
    if store not in stores:
        raise _fail(path, where + "store", f"unknown store {store!r} (stores: {sorted(stores)})")
    table = _name(raw.get("table", name), path, where + "table")
    key = raw.get("key")
    key = [key] if isinstance(key, str) else key
    if not isinstance(key, list) or not key or not all(isinstance(k, str) and k for k in key):
        raise _fail(path, where + "key", f"expected a request field name or a list of them, got {key!r}")
    max_age = raw.get("max_age_s")
    if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, (int, float))
                                or not max_age > 0):
        raise _fail(path, where + "max_age_s", f"expected a positive number of seconds, got {max_age!r}")
    columns = _mapping(raw.get("columns", {}), path, where + "columns")
    feats_raw = _mapping(raw.get("features"), path, where + "features")
    if not feats_raw:
        raise _fail(path, where + "features", "expected at least one feature")
    unknown = sorted(set(columns) - set(feats_raw))
    if unknown:
        raise _fail(path, where + "columns", f"maps features the group does not have: {unknown}")
    features = tuple(_feature(n, f, columns.get(n, n), path, f"{where}features.{n}")
                     for n, f in feats_raw.items())
    return FeatureGroup(name, store, table, tuple(key), features, max_age)


def _feature(name: str, raw: Any, column: Any, path: str, where: str) -> Feature:
    raw = _mapping(raw, path, where)
    _keys(raw, ("type", "default", "required"), path, where + ".")
    kind = raw.get("type")
    if kind not in TYPES:
        raise _fail(path, where + ".type", f"expected one of {list(TYPES)}, got {kind!r}")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise _fail(path, where + ".required", f"expected true or false, got {required!r}")
    if required and "default" in raw:
        raise _fail(path, where, "a required feature has no default")
    default = raw.get("default")
    if default is not None and not _fits(default, kind):
        raise _fail(path, where + ".default", f"{default!r} is not a {kind}")
    return Feature(_name(name, path, where), kind, _name(column, path, where + " column"),
                   default, required)


def _fits(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("long", "integer"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "vector":
        return isinstance(value, list) and all(isinstance(v, (int, float)) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_against_pipeline(spec: FeatureSpec, inputs: Mapping[str, str], path: str) -> None:
    """Every feature fills an input column the pipeline reads, with a type it accepts.
    ``inputs``: column -> what the reading stage accepts (``servelib inspect``'s words)."""
    for g in spec.groups:
        for f in g.features:
            accepted = inputs.get(f.column)
            where = f"groups.{g.name}.features.{f.name}"
            if accepted is None:
                raise _fail(path, where, f"fills input column {f.column!r}, which the pipeline "
                                         f"does not read (it reads {sorted(inputs)})")
            if accepted == "unknown":
                continue
            wants = {"string": "string", "vector": "vector", "boolean": "boolean"}.get(f.type, "number")
            if wants not in accepted and not (wants == "boolean" and "number" in accepted):
                raise _fail(path, where, f"is a {f.type} but input column {f.column!r} takes "
                                         f"{accepted}")
