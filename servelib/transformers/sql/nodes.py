"""Expression nodes of the SQLTransformer subset: each binds, once per set of input column types,
to a plain Python function over one row's values (a tuple), with Spark's semantics (values.py).

The row kernel and score_columns run the same bound functions, so both paths give the same bits
and raise the same errors. Evaluation is lazy where Spark's is (AND/OR, CASE, IF, COALESCE), so
an ANSI error in a branch Spark does not take is not raised either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

from servelib.transformers.sql.values import (
    NUMERIC,
    SqlError,
    cast,
    compare,
    fit,
    java_remainder,
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


@dataclass(frozen=True)
class Binary(Node):
    """An operator with two operands."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def bind_operands(self, env: Env) -> tuple[Callable[[tuple], Any], str,
                                                Callable[[tuple], Any], str]:
        lf, lk = self.left.bind(env)
        rf, rk = self.right.bind(env)
        return lf, lk, rf, rk


@dataclass(frozen=True)
class Unary(Node):
    """An operator or function of one operand."""

    arg: Node

    def children(self) -> tuple[Node, ...]:
        return (self.arg,)


def need(kind: str, allowed: tuple[str, ...], what: str) -> None:
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
class Arith(Binary):
    """op: + - * / div %"""

    @property
    def static(self) -> str | None:  # type: ignore[override]
        if self.op == "/" or "double" in (self.left.static, self.right.static):
            return "double"
        return None

    def bind(self, env: Env) -> Bound:
        lf, lk, rf, rk = self.bind_operands(env)
        what = f"operator {self.op}"
        integral = ("int", "bigint")
        need(lk, (*NUMERIC, "decimal") if self.op != "div" else integral, what)
        need(rk, (*NUMERIC, "decimal") if self.op != "div" else integral, what)
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
class Neg(Unary):

    @property
    def static(self) -> str | None:  # type: ignore[override]
        return self.arg.static

    def bind(self, env: Env) -> Bound:
        f, kind = self.arg.bind(env)
        need(kind, NUMERIC, "unary minus")
        ansi = env.ansi
        if kind == "double":
            return (lambda v: None if (x := f(v)) is None else -x), kind
        return (lambda v: None if (x := f(v)) is None else fit(-x, kind, ansi)), kind


_CMP: dict[str, Callable[[int], bool]] = {
    "=": lambda c: c == 0, "!=": lambda c: c != 0, "<": lambda c: c < 0,
    "<=": lambda c: c <= 0, ">": lambda c: c > 0, ">=": lambda c: c >= 0,
}


@dataclass(frozen=True)
class Cmp(Binary):
    static = "boolean"

    def bind(self, env: Env) -> Bound:
        lf, lk, rf, rk = self.bind_operands(env)
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
class Logic(Binary):
    """op: and, or"""

    static = "boolean"

    def bind(self, env: Env) -> Bound:
        lf, lk, rf, rk = self.bind_operands(env)
        need(lk, ("boolean",), self.op.upper())
        need(rk, ("boolean",), self.op.upper())
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
class Not(Unary):
    static = "boolean"

    def bind(self, env: Env) -> Bound:
        f, kind = self.arg.bind(env)
        need(kind, ("boolean",), "NOT")
        return (lambda v: None if (x := f(v)) is None else not x), "boolean"


@dataclass(frozen=True)
class IsNull(Unary):
    negate: bool
    static = "boolean"

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
            need(kind, ("boolean",), "CASE WHEN condition")
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
class Cast(Unary):
    to: str
    ansi: bool | None = None  # False for try_cast; None follows the session's flag

    @property
    def static(self) -> str:  # type: ignore[override]
        return self.to

    def bind(self, env: Env) -> Bound:
        f, src = self.arg.bind(env)
        need(src, (*NUMERIC, "string", "boolean", "decimal"), f"CAST to {self.to}")
        if src == "null":
            return (lambda v: None), self.to
        ansi, to = env.ansi if self.ansi is None else self.ansi, self.to
        return (lambda v: cast(f(v), src, to, ansi)), to


def decimal_literal(text: str) -> Lit:
    return Lit(Decimal(text), "decimal")
