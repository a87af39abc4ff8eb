"""Expression nodes of the SQLTransformer subset: each binds, once per set of input column types,
to a plain Python function over one row's values (a tuple), with Spark's semantics (values.py).

The row kernel and score_columns run the same bound functions, so both paths give the same bits
and raise the same errors. Evaluation is lazy where Spark's is (AND/OR, CASE, IF, COALESCE), so
an ANSI error in a branch Spark does not take is not raised either.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

import numpy as np

from servelib.transformers.sql.values import (
    NUMERIC,
    SqlError,
    cast,
    compare,
    fit,
    floor_ceil,
    java_remainder,
    round_half_up,
    widest,
)

Fn = Callable[[tuple], Any]
Bound = tuple[Fn, str]


@dataclass(frozen=True)
class Env:
    """Where each referenced column sits in the row tuple, its Spark type, and the ANSI flag."""

    index: dict[str, int]
    kinds: dict[str, str]
    ansi: bool


class Node:
    static: str | None = None  # the type known at load time (literals, casts, functions)

    def bind(self, env: Env) -> Bound:
        raise NotImplementedError

    def columns(self) -> set[str]:
        return set().union(*(c.columns() for c in self.children()))

    def children(self) -> tuple[Node, ...]:
        return ()


def _need(kind: str, allowed: tuple[str, ...], what: str) -> None:
    if kind != "null" and kind not in allowed:
        raise SqlError(f"{what} takes {' or '.join(allowed)}, got {kind}")


def _to(kind: str, target: str) -> Callable[[Any], Any]:
    """The implicit cast of a widened operand (ints to double, a decimal literal to double)."""
    if target == "double" and kind != "double":
        return lambda v: None if v is None else float(v)
    return lambda v: v


@dataclass(frozen=True)
class Col(Node):
    name: str

    def bind(self, env: Env) -> Bound:
        return itemgetter(env.index[self.name]), env.kinds[self.name]

    def columns(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True)
class Lit(Node):
    value: Any
    kind: str

    @property
    def static(self) -> str:  # type: ignore[override]
        return self.kind

    def bind(self, env: Env) -> Bound:
        value = self.value
        return (lambda v: value), self.kind


@dataclass(frozen=True)
class Arith(Node):
    op: str  # + - * / div %
    left: Node
    right: Node

    @property
    def static(self) -> str | None:  # type: ignore[override]
        if self.op == "/" or "double" in (self.left.static, self.right.static):
            return "double"
        return None

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def bind(self, env: Env) -> Bound:
        lf, lk = self.left.bind(env)
        rf, rk = self.right.bind(env)
        what = f"operator {self.op}"
        integral = ("int", "bigint")
        _need(lk, (*NUMERIC, "decimal") if self.op != "div" else integral, what)
        _need(rk, (*NUMERIC, "decimal") if self.op != "div" else integral, what)
        ansi, op = env.ansi, self.op
        if op == "/":
            kind = "double"
        elif op == "div":
            kind = "bigint"
        else:
            kind = widest([k if k != "decimal" else "double" for k in (lk, rk)], what)
        lc, rc = _to(lk, kind), _to(rk, kind)
        zero_error = SqlError(f"division by zero in {op} (Spark's ANSI mode raises DIVIDE_BY_ZERO)")

        def run(v: tuple) -> Any:
            a = lf(v)
            if a is None:
                return None
            b = rf(v)
            if b is None:
                return None
            a, b = lc(a), rc(b)
            if op in ("/", "div", "%") and b == 0:
                if ansi:
                    raise zero_error
                return None
            if op == "+":
                r = a + b
            elif op == "-":
                r = a - b
            elif op == "*":
                r = a * b
            elif op == "/":
                return float(a) / float(b)
            elif op == "%":
                r = java_remainder(a, b)
            else:  # div: Java's long division truncates toward zero
                q = abs(a) // abs(b)
                r = -q if (a < 0) != (b < 0) else q
            return r if kind in ("double", "null") else fit(r, kind, ansi)

        return run, kind if kind != "null" else ("double" if op == "/" else "null")


@dataclass(frozen=True)
class Neg(Node):
    arg: Node

    @property
    def static(self) -> str | None:  # type: ignore[override]
        return self.arg.static

    def children(self) -> tuple[Node, ...]:
        return (self.arg,)

    def bind(self, env: Env) -> Bound:
        f, kind = self.arg.bind(env)
        _need(kind, NUMERIC, "unary minus")
        ansi = env.ansi
        if kind == "double":
            return (lambda v: None if (x := f(v)) is None else -x), kind
        return (lambda v: None if (x := f(v)) is None else fit(-x, kind, ansi)), kind


_CMP: dict[str, Callable[[int], bool]] = {
    "=": lambda c: c == 0, "!=": lambda c: c != 0, "<": lambda c: c < 0,
    "<=": lambda c: c <= 0, ">": lambda c: c > 0, ">=": lambda c: c >= 0,
}


@dataclass(frozen=True)
class Cmp(Node):
    op: str
    left: Node
    right: Node
    static = "boolean"

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def bind(self, env: Env) -> Bound:
        lf, lk = self.left.bind(env)
        rf, rk = self.right.bind(env)
        kinds = {k for k in (lk, rk) if k != "null"}
        numeric = kinds <= {*NUMERIC, "decimal"}
        if not numeric and len(kinds) > 1 or "other" in kinds:
            raise SqlError(f"comparison {self.op} of {lk} with {rk} is outside the subset")
        # an int against a decimal literal compares exactly (both become decimals in Spark);
        # a double against it compares as doubles
        lc = _to(lk, "double") if "double" in kinds else (lambda x: x)
        rc = _to(rk, "double") if "double" in kinds else (lambda x: x)
        test = _CMP[self.op]

        def run(v: tuple) -> bool | None:
            a = lf(v)
            if a is None:
                return None
            b = rf(v)
            if b is None:
                return None
            return test(compare(lc(a), rc(b)))

        return run, "boolean"


@dataclass(frozen=True)
class Logic(Node):
    op: str  # and, or
    left: Node
    right: Node
    static = "boolean"

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def bind(self, env: Env) -> Bound:
        lf, lk = self.left.bind(env)
        rf, rk = self.right.bind(env)
        _need(lk, ("boolean",), self.op.upper())
        _need(rk, ("boolean",), self.op.upper())
        decisive = self.op == "or"  # the value that decides without the other side

        def run(v: tuple) -> bool | None:
            a = lf(v)
            if a is decisive:
                return decisive
            b = rf(v)
            if b is decisive:
                return decisive
            return None if a is None or b is None else not decisive

        return run, "boolean"


@dataclass(frozen=True)
class Not(Node):
    arg: Node
    static = "boolean"

    def children(self) -> tuple[Node, ...]:
        return (self.arg,)

    def bind(self, env: Env) -> Bound:
        f, kind = self.arg.bind(env)
        _need(kind, ("boolean",), "NOT")
        return (lambda v: None if (x := f(v)) is None else not x), "boolean"


@dataclass(frozen=True)
class IsNull(Node):
    arg: Node
    negate: bool
    static = "boolean"

    def children(self) -> tuple[Node, ...]:
        return (self.arg,)

    def bind(self, env: Env) -> Bound:
        f, _ = self.arg.bind(env)
        if self.negate:
            return (lambda v: f(v) is not None), "boolean"
        return (lambda v: f(v) is None), "boolean"


@dataclass(frozen=True)
class Case(Node):
    """CASE WHEN / IF / COALESCE's shape: the first true condition's value, else the default."""

    whens: tuple[tuple[Node, Node], ...]
    default: Node

    def children(self) -> tuple[Node, ...]:
        return (*(n for pair in self.whens for n in pair), self.default)

    def bind(self, env: Env) -> Bound:
        conds = []
        for cond, _ in self.whens:
            f, kind = cond.bind(env)
            _need(kind, ("boolean",), "CASE WHEN condition")
            conds.append(f)
        values = [n.bind(env) for _, n in self.whens] + [self.default.bind(env)]
        kind = widest([k for _, k in values], "CASE/IF")
        thens = [(lambda f, c: lambda v: c(f(v)))(f, _to(k, kind)) for f, k in values]
        pairs = tuple(zip(conds, thens))
        otherwise = thens[-1]

        def run(v: tuple) -> Any:
            for cond, then in pairs:
                if cond(v) is True:
                    return then(v)
            return otherwise(v)

        return run, kind


@dataclass(frozen=True)
class Coalesce(Node):
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args

    def bind(self, env: Env) -> Bound:
        bound = [a.bind(env) for a in self.args]
        kind = widest([k for _, k in bound], "COALESCE")
        fns = [(lambda f, c: lambda v: c(f(v)))(f, _to(k, kind)) for f, k in bound]

        def run(v: tuple) -> Any:
            for f in fns:
                x = f(v)
                if x is not None:
                    return x
            return None

        return run, kind


@dataclass(frozen=True)
class Cast(Node):
    arg: Node
    to: str
    ansi: bool | None = None  # False for try_cast; None follows the session's flag

    @property
    def static(self) -> str:  # type: ignore[override]
        return self.to

    def children(self) -> tuple[Node, ...]:
        return (self.arg,)

    def bind(self, env: Env) -> Bound:
        f, src = self.arg.bind(env)
        _need(src, (*NUMERIC, "string", "boolean", "decimal"), f"CAST to {self.to}")
        if src == "null":
            return (lambda v: None), self.to
        ansi, to = env.ansi if self.ansi is None else self.ansi, self.to
        return (lambda v: cast(f(v), src, to, ansi)), to


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
            _need(kind, NUMERIC, self.name)
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
        _need(kind, NUMERIC, self.name)
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
            _need(kind, ("int", "bigint") if (self.name == "substring" and i) else ("string",),
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


def decimal_literal(text: str) -> Lit:
    return Lit(Decimal(text), "decimal")
