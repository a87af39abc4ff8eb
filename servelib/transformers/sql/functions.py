"""Function nodes of the SQLTransformer subset: math (Spark casts the arguments to double;
null and NaN rules of Spark's math expressions, Java's Math.pow), abs/round/floor/ceil with their
Spark result types, and string functions over Spark's UTF8String semantics.
https://github.com/apache/spark/blob/v3.5.0/sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/expressions/mathExpressions.scala
https://github.com/apache/spark/blob/v3.5.0/sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/expressions/stringExpressions.scala
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from servelib.transformers.sql.nodes import Bound, Env, Node, need
from servelib.transformers.sql.values import NUMERIC, fit, floor_ceil, round_half_up


def _pow(a: float, b: float) -> float:
    """Java's Math.pow: unlike C, NaN for any NaN exponent and for (+-1) ** +-inf."""
    if b != b or (abs(a) == 1.0 and math.isinf(b)):
        return math.nan
    with np.errstate(all="ignore"):
        return float(np.power(np.float64(a), np.float64(b)))


def _ln(x: float) -> float | None:
    return None if x <= 0.0 else math.log(x)  # Spark's log is null at and below 0


def _log(base: float, x: float) -> float | None:
    if base <= 0.0 or x <= 0.0:
        return None
    with np.errstate(all="ignore"):
        return float(np.float64(math.log(x)) / np.float64(math.log(base)))


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else math.nan


DOUBLE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": _sqrt, "exp": _exp, "ln": _ln, "log": _log, "pow": _pow,
}


@dataclass(frozen=True)
class DoubleFunc(Node):
    """Math functions whose arguments Spark casts to double and whose result is double."""

    name: str
    args: tuple[Node, ...]
    static = "double"

    def children(self) -> tuple[Node, ...]:
        return self.args

    def bind(self, env: Env) -> Bound:
        bound = [a.bind(env) for a in self.args]
        for _, kind in bound:
            need(kind, NUMERIC, self.name)
        fns = [f for f, _ in bound]
        func = DOUBLE_FUNCTIONS[self.name]

        def run(v: tuple) -> Any:
            xs = [f(v) for f in fns]
            if None in xs:
                return None
            return func(*(float(x) for x in xs))

        return run, "double"


@dataclass(frozen=True)
class NumberFunc(Node):
    """abs, round(x, scale), floor, ceil: the result type follows Spark's per function."""

    name: str
    arg: Node
    scale: int = 0

    def children(self) -> tuple[Node, ...]:
        return (self.arg,)

    def bind(self, env: Env) -> Bound:
        f, kind = self.arg.bind(env)
        need(kind, NUMERIC, self.name)
        ansi, name, scale = env.ansi, self.name, self.scale
        if name in ("floor", "ceil"):
            up = name == "ceil"
            return (lambda v: None if (x := f(v)) is None else floor_ceil(x, kind, up)), "bigint"
        if name == "round":
            return (lambda v: None if (x := f(v)) is None
                    else round_half_up(x, kind, scale, ansi)), kind
        if kind == "double":
            return (lambda v: None if (x := f(v)) is None else abs(x)), kind
        return (lambda v: None if (x := f(v)) is None else fit(abs(x), kind, ansi)), kind


def _substring(s: str, pos: int, length: int) -> str:
    """UTF8String.substringSQL: 1-based, 0 reads as 1, negative counts from the end."""
    n = len(s)
    start = pos - 1 if pos > 0 else (n + pos if pos < 0 else 0)
    end = start + length
    start = max(start, 0)
    return "" if start >= end else s[start:end]


STRING_FUNCTIONS: dict[str, tuple[Callable[..., Any], str]] = {
    "lower": (str.lower, "string"),
    "upper": (str.upper, "string"),
    "length": (len, "int"),
    "trim": (lambda s: s.strip(" "), "string"),  # Spark's trim removes spaces only
    "concat": (lambda *xs: "".join(xs), "string"),
    "substring": (_substring, "string"),
}


@dataclass(frozen=True)
class StringFunc(Node):
    name: str
    args: tuple[Node, ...]

    @property
    def static(self) -> str:  # type: ignore[override]
        return STRING_FUNCTIONS[self.name][1]

    def children(self) -> tuple[Node, ...]:
        return self.args

    def bind(self, env: Env) -> Bound:
        bound = [a.bind(env) for a in self.args]
        for i, (_, kind) in enumerate(bound):
            # substring's position and length are integers; every other argument a string
            need(kind, ("int", "bigint") if (self.name == "substring" and i) else ("string",),
                  self.name)
        fns = [f for f, _ in bound]
        func, kind = STRING_FUNCTIONS[self.name]
        if len(fns) == 1:
            (f,) = fns
            return (lambda v: None if (x := f(v)) is None else func(x)), kind

        def run(v: tuple) -> Any:
            xs = [f(v) for f in fns]
            return None if None in xs else func(*xs)

        return run, kind
