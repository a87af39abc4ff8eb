"""Typed, range-checked reads of a stage's params and data columns: the loaders' trust boundary.

Every loader reads what it needs through a ``Fields`` (``ctx.params`` for the metadata JSON,
``ctx.data_fields()`` for a one-row Parquet data file), so a value of the wrong type, shape or
range fails as ModelLoadError naming the stage, the file and the field, the way Spark's
``Param.jsonDecode`` and ``ParamValidators`` refuse it when ``DefaultParamsReader`` loads the
stage (https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/param/params.scala).
Spark's JSON spells a double NaN/Infinity as the strings "NaN", "Inf", "-Inf"
(``DoubleParam.jValueEncode``); Python's json writes bare ``NaN``/``Infinity``, which json.loads
reads as floats. A JSON boolean is never a number here, and a number never a boolean.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np

from servelib.errors import ModelLoadError

_REQUIRED: Any = object()
_SPECIAL = {"NaN": math.nan, "Inf": math.inf, "-Inf": -math.inf,
            "Infinity": math.inf, "-Infinity": -math.inf}
_SHOW = 80  # characters of a bad value quoted in a message


class BadValue(ValueError):
    """A value is not what a field holds; the reader adds the field, stage and file."""


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOW else text[:_SHOW] + f"... ({len(text)} chars)"


def as_string(value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue(f"expected a string, got {show(value)}")
    return value


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadValue(f"expected a boolean, got {show(value)}")
    return value


def as_int(value: Any, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadValue(f"expected an integer, got {show(value)}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise BadValue(f"{value} is outside [{lo if lo is not None else '-inf'}, "
                       f"{hi if hi is not None else 'inf'}]")
    return value


def as_double(value: Any, *, finite: bool = False, lo: float | None = None,
              hi: float | None = None) -> float:
    if isinstance(value, str) and value in _SPECIAL:
        out = _SPECIAL[value]
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            out = float(value)
        except OverflowError as exc:  # a JSON integer too big for a double
            raise BadValue(f"{show(value)} does not fit a double") from exc
    else:
        raise BadValue(f"expected a number, got {show(value)}")
    if finite and not math.isfinite(out):
        raise BadValue(f"expected a finite number, got {out}")
    if (lo is not None and not out >= lo) or (hi is not None and not out <= hi):
        raise BadValue(f"{out} is outside [{lo if lo is not None else '-inf'}, "
                       f"{hi if hi is not None else 'inf'}]")
    return out


def as_list(value: Any, limit: int) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise BadValue(f"expected a list, got {show(value)}")
    if len(value) > limit:
        raise BadValue(f"{len(value)} entries exceed the limit of {limit}")
    return list(value)


def as_strings(value: Any, limit: int) -> tuple[str, ...]:
    items = as_list(value, limit)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise BadValue(f"entry {i} is not a string: {show(item)}")
    return tuple(items)


def as_doubles(value: Any, limit: int, **checks: Any) -> tuple[float, ...]:
    out = []
    for i, item in enumerate(as_list(value, limit)):
        try:
            out.append(as_double(item, **checks))
        except BadValue as exc:
            raise BadValue(f"entry {i}: {exc}") from None
    return tuple(out)


def as_ints(value: Any, limit: int, lo: int | None = None, hi: int | None = None
            ) -> tuple[int, ...]:
    out = []
    for i, item in enumerate(as_list(value, limit)):
        try:
            out.append(as_int(item, lo, hi))
        except BadValue as exc:
            raise BadValue(f"entry {i}: {exc}") from None
    return tuple(out)


def floats(values: Any, limit: int) -> np.ndarray:
    """A list of numbers as float64 (NumPy's conversion for the common all-numbers case; the
    element-wise check, and its message, for anything else)."""
    arr = np.asarray(values if values is not None else [])
    if arr.ndim == 1 and arr.dtype.kind in "fiu" and arr.shape[0] <= limit and \
            not _has_bool(values):
        return arr.astype(np.float64)
    return np.array(as_doubles(values, limit), dtype=np.float64)


def _has_bool(values: Any) -> bool:
    """NumPy reads True as 1: a list of numbers holding a boolean is not a list of numbers.
    (Identity, not ``in``: 1.0 == True. ``map`` keeps the scan of a 2^18-entry vector in C.)"""
    return isinstance(values, list) and (any(map(operator.is_, values, repeat(True)))
                                         or any(map(operator.is_, values, repeat(False))))


def ints(values: Any, limit: int, lo: int, hi: int | None = None) -> np.ndarray:
    """A list of integers in [lo, hi] as int64 (fast path as in ``floats``)."""
    arr = np.asarray(values if values is not None else [])
    if arr.ndim == 1 and arr.dtype.kind in "iu" and arr.shape[0] <= limit and \
            not _has_bool(values):
        arr = arr.astype(np.int64)
        if arr.size == 0 or (arr.min() >= lo and (hi is None or arr.max() <= hi)):
            return arr
    return np.array(as_ints(values, limit, lo, hi), dtype=np.int64)


@dataclass(frozen=True)
class Fields:
    """Typed access to one mapping of named values (a stage's params, or one data row).

    ``lookup`` returns ``missing`` for an absent name; ``error`` turns a message into the
    ModelLoadError naming the stage and the file; ``kind`` names the fields in messages."""

    lookup: Callable[[str], Any]
    error: Callable[[str], ModelLoadError]
    kind: str
    limit: int  # default bound of a list's length
    missing: Any = None

    def has(self, name: str) -> bool:
        return self.lookup(name) is not self.missing

    def get(self, name: str, default: Any = _REQUIRED) -> Any:
        """The raw value; absent -> ``default`` (or an error when there is none)."""
        value = self.lookup(name)
        if value is self.missing:
            if default is _REQUIRED:
                raise self.error(f"{self.kind} {name!r} is missing")
            return default
        return value

    def read(self, name: str, convert: Callable[[Any], Any], default: Any = _REQUIRED) -> Any:
        """``convert`` the value; absent -> ``default`` as given (not converted)."""
        value = self.lookup(name)
        if value is self.missing:
            if default is _REQUIRED:
                raise self.error(f"{self.kind} {name!r} is missing")
            return default
        try:
            return convert(value)
        except BadValue as exc:
            raise self.error(f"{self.kind} {name!r}: {exc}") from None

    def string(self, name: str, default: Any = _REQUIRED, choices: tuple[str, ...] = ()) -> str:
        def convert(v: Any) -> str:
            text = as_string(v)
            if choices and text not in choices:
                raise BadValue(f"{show(text)} is not one of {list(choices)}")
            return text
        return self.read(name, convert, default)

    def boolean(self, name: str, default: Any = _REQUIRED) -> bool:
        return self.read(name, as_bool, default)

    def integer(self, name: str, default: Any = _REQUIRED, lo: int | None = None,
                hi: int | None = None) -> int:
        return self.read(name, lambda v: as_int(v, lo, hi), default)

    def double(self, name: str, default: Any = _REQUIRED, **checks: Any) -> float:
        return self.read(name, lambda v: as_double(v, **checks), default)

    def strings(self, name: str, default: Any = _REQUIRED, limit: int | None = None
                ) -> tuple[str, ...]:
        return self.read(name, lambda v: as_strings(v, limit or self.limit), default)

    def doubles(self, name: str, default: Any = _REQUIRED, limit: int | None = None,
                **checks: Any) -> tuple[float, ...]:
        return self.read(name, lambda v: as_doubles(v, limit or self.limit, **checks), default)

    def integers(self, name: str, default: Any = _REQUIRED, limit: int | None = None,
                 lo: int | None = None, hi: int | None = None) -> tuple[int, ...]:
        return self.read(name, lambda v: as_ints(v, limit or self.limit, lo, hi), default)


def mapping_fields(values: Mapping[str, Any], error: Callable[[str], ModelLoadError], kind: str,
                   limit: int) -> Fields:
    missing = object()
    return Fields(lambda name: values.get(name, missing), error, kind, limit, missing)
