"""Spark SQL value semantics over plain Python values, for the SQLTransformer subset.

Types ("kinds") the subset handles: ``int`` (IntegerType, 32 bits), ``bigint`` (LongType),
``double``, ``string``, ``boolean``, ``null`` (NullType, a column of nulls) and ``decimal``
(only for decimal literals, see plan.py). Semantics follow Spark's Cast and arithmetic
expressions; ``ansi`` selects spark.sql.ansi.enabled (false in Spark 3.x, true by default in
4.x), under which division by zero, integer overflow and invalid casts raise instead of giving
null or wrapping:
https://github.com/apache/spark/blob/v3.5.0/sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/expressions/Cast.scala
https://github.com/apache/spark/blob/v3.5.0/sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/expressions/arithmetic.scala
https://github.com/apache/spark/blob/v4.0.0/sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/expressions/Cast.scala
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

NUMERIC = ("int", "bigint", "double")
_BITS = {"int": 32, "bigint": 64}


class SqlError(Exception):
    """A value Spark refuses (ANSI errors, operand types); the stage adds column and row."""


def kind_of(value: Any) -> str:
    """The Spark type of one plain Python value (Python ints are LongType, as Spark infers)."""
    cls = value.__class__
    if cls is float:
        return "double"
    if cls is int:
        return "bigint"
    if cls is str:
        return "string"
    if cls is bool:
        return "boolean"
    if value is None:
        return "null"
    raise SqlError("SQLTransformer reads numbers, strings and booleans, got "
                   f"{type(value).__name__}")


_KIND_CLASS = {"double": float, "string": str, "boolean": bool}


def conform(value: Any, kind: str) -> Any:
    """``value`` as a value of a column declared ``kind``: ints read as doubles in a double
    column; anything else that does not fit (NaN in an integer column, a number in a string
    column, an int beyond 32 bits in an int column) raises."""
    cls = value.__class__
    if cls is _KIND_CLASS.get(kind) or value is None:  # the common case first
        return value
    if isinstance(value, np.generic):
        value = value.item()
        cls = value.__class__
    if kind == "double" and cls in (float, int):
        return float(value)
    if kind in _BITS and cls is int and -(1 << (_BITS[kind] - 1)) <= value < 1 << (_BITS[kind] - 1):
        return value
    if (kind == "string" and cls is str) or (kind == "boolean" and cls is bool):
        return value
    raise SqlError(f"expected a {kind} value (the column's declared type), got "
                   f"{type(value).__name__}")


def widest(kinds: list[str], what: str) -> str:
    """The common type Spark coerces branches/arguments to (numeric widening only)."""
    found = [k for k in kinds if k != "null"]
    if not found:
        return "null"
    if all(k in NUMERIC for k in found):
        return max(found, key=NUMERIC.index)
    if all(k == found[0] for k in found):
        return found[0]
    raise SqlError(f"{what} mixes {sorted(set(found))}: only numeric types widen in this subset")


def fit(value: int, kind: str, ansi: bool) -> int:
    """An integer result in ``kind``'s range: wrapped like the JVM (non-ANSI) or refused."""
    bits = _BITS[kind]
    low = -(1 << (bits - 1))
    if low <= value < -low:
        return value
    if ansi:
        raise SqlError(f"integer overflow in {kind} arithmetic (Spark's ANSI mode raises "
                       "ARITHMETIC_OVERFLOW)")
    return (value - low) % (1 << bits) + low


def java_remainder(a: Any, b: Any) -> Any:
    """Java's %: the sign follows the dividend (math.fmod for doubles)."""
    if isinstance(a, float) or isinstance(b, float):
        return math.fmod(a, b)
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def compare(a: Any, b: Any) -> int:
    """Spark's ordering: NaN equals NaN and is above every other double."""
    a_nan = a != a
    b_nan = b != b
    if a_nan or b_nan:
        return (a_nan > b_nan) - (a_nan < b_nan)
    return (a > b) - (a < b)


# ---- casts -----------------------------------------------------------------------------------
_JAVA_DOUBLE = re.compile(r"[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)")
_SPECIAL = {"inf": math.inf, "+inf": math.inf, "infinity": math.inf, "+infinity": math.inf,
            "-inf": -math.inf, "-infinity": -math.inf, "nan": math.nan}
_TRUE = {"t", "true", "y", "yes", "1"}
_FALSE = {"f", "false", "n", "no", "0"}


def java_double_str(d: float) -> str:
    """Java's Double.toString (what Spark's cast to string prints), from the shortest repr."""
    if d != d:
        return "NaN"
    if math.isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    if d == 0:
        return "-0.0" if math.copysign(1.0, d) < 0 else "0.0"
    dec = Decimal(repr(d))
    if 1e-3 <= abs(d) < 1e7:
        text = format(dec, "f")
        return text if "." in text else text + ".0"
    sign, digits, exp = dec.normalize().as_tuple()
    first, rest = str(digits[0]), "".join(map(str, digits[1:])) or "0"
    return f"{'-' if sign else ''}{first}.{rest}E{len(digits) - 1 + exp}"


def _string_to_double(s: str, ansi: bool) -> float | None:
    text = s.strip("".join(chr(c) for c in range(33)))  # Java's String.trim
    if _JAVA_DOUBLE.fullmatch(text):
        return float(text.rstrip("fFdD"))
    special = _SPECIAL.get(text.lower())
    if special is not None:
        return special
    if ansi:
        raise SqlError(f"cannot cast {text[:40]!r} to double (Spark's ANSI mode raises "
                       "CAST_INVALID_INPUT)")
    return None


def _double_to_integral(d: float, kind: str, ansi: bool) -> int:
    bits = _BITS[kind]
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if d != d:
        if ansi:
            raise SqlError(f"cannot cast NaN to {kind} (Spark's ANSI mode raises CAST_OVERFLOW)")
        return 0
    if ansi and not (low - 1 < d < high + 1):
        raise SqlError(f"{d!r} is out of {kind} range (Spark's ANSI mode raises CAST_OVERFLOW)")
    if math.isinf(d):  # Scala's Double.toInt / toLong saturate
        return high if d > 0 else low
    return max(low, min(high, int(d)))


def cast(value: Any, src: str, to: str, ansi: bool) -> Any:
    """Spark's Cast of one non-null value of type ``src`` to ``to``."""
    if value is None or src == to:
        return value
    if to == "string":
        if src == "double":
            return java_double_str(value)
        if src == "boolean":
            return "true" if value else "false"
        return str(value)
    if to == "double":
        if src == "string":
            return _string_to_double(value, ansi)
        return float(value)
    if to in _BITS:
        if src == "boolean":
            return int(value)
        if src == "double":
            return _double_to_integral(value, to, ansi)
        if src == "decimal":
            return fit(int(value), to, ansi)
        if src in _BITS:
            return fit(value, to, ansi)
        raise SqlError(f"CAST from {src} to {to} is outside the supported subset")
    if to == "boolean":
        if src == "string":
            text = value.strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            if ansi:
                raise SqlError(f"cannot cast {value[:40]!r} to boolean (Spark's ANSI mode "
                               "raises CAST_INVALID_INPUT)")
            return None
        return value != 0
    raise SqlError(f"CAST from {src} to {to} is outside the supported subset")


def round_half_up(value: Any, kind: str, scale: int, ansi: bool) -> Any:
    """Spark's round(): BigDecimal HALF_UP; a double goes through its decimal string (Scala's
    BigDecimal(d) reads Double.toString), so round(2.675, 2) is 2.68."""
    if kind == "double":
        if math.isnan(value) or math.isinf(value):
            return value
        return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP))
    if scale >= 0:
        return value
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP)
    return fit(int(rounded), kind, ansi)


def floor_ceil(value: Any, kind: str, up: bool) -> int:
    """floor/ceil return LongType; a double saturates like Scala's toLong (NaN is 0)."""
    if kind != "double":
        return value
    if value != value:
        return 0
    if math.isinf(value):
        return (1 << 63) - 1 if value > 0 else -(1 << 63)
    result = math.ceil(value) if up else math.floor(value)
    return max(-(1 << 63), min((1 << 63) - 1, result))
