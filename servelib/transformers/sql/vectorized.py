"""The column-wise fast case of score_columns: double and integer columns, nullable ones
included, through arithmetic, comparisons, AND/OR/NOT, IS [NOT] NULL, CASE WHEN, COALESCE and
sqrt, in NumPy.

Each value is an array (or scalar) with a null mask beside it, so nulls follow the row path's
rules: arithmetic and comparisons are null when an operand is, AND/OR use three-valued logic
(false AND null is false, true OR null is true), CASE takes the first condition that is true
(null is not), COALESCE the first non-null argument. The operations round exactly as the Python
floats of the row path do (IEEE add, subtract, multiply, divide, sqrt; Spark's NaN ordering), so
both paths give the same bits. Integers take part as the row path lets them next to a double
(widened with float(), which rounds as NumPy's cast does) or compared with integers (exactly);
integer arithmetic (Spark's wrapping or ANSI overflow), a decimal literal next to an integer
(compared as decimals), strings, a zero divisor anywhere and other functions (whose NumPy versions
may differ from libm in the last bit) return None and the statement runs row by row (nodes.py
holds the row semantics this mirrors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from servelib.transformers.sql.functions import DoubleFunc
from servelib.transformers.sql.nodes import (
    Arith,
    Case,
    Cast,
    Cmp,
    Coalesce,
    Col,
    IsNull,
    Lit,
    Logic,
    Neg,
    Node,
)
from servelib.transformers.sql.nodes import Not as NotNode

Mask = np.ndarray | None  # True where the value is null; None: no nulls


@dataclass(frozen=True)
class Value:
    data: Any  # an array of n values or a scalar
    kind: str  # "double", "int" (an integer column), "intlit", "declit", "boolean" or "null"
    null: Mask = None


Columns = dict[str, Value]  # "double" (NaN under a null) or "int" (int64, 0 under a null)
_NUMBERS = {"double", "int", "intlit", "declit"}
_INT64 = (-(2**63), 2**63 - 1)


def evaluate(node: Node, columns: Columns, n: int) -> tuple[np.ndarray, Mask] | None:
    """``node`` as ``n`` doubles or booleans and their null mask, or None (row by row)."""
    with np.errstate(all="ignore"):
        out = _eval(node, columns, n)
    if out is None or out.kind not in ("double", "boolean"):
        return None
    dtype = np.float64 if out.kind == "double" else bool
    return np.broadcast_to(np.asarray(out.data, dtype), (n,)), out.null


def _or(a: Mask, b: Mask) -> Mask:
    return a if b is None else b if a is None else a | b


def _double(v: Value) -> Any:
    """The row path's widening to double: float() of an int or decimal, as NumPy's cast."""
    if v.kind == "int":
        return v.data.astype(np.float64)
    return np.float64(float(v.data)) if v.kind in ("intlit", "declit") else v.data


def _numeric(op: Node, left: Value, right: Value) -> Value | None:
    """Arithmetic and comparisons: as doubles when a side is double; integers only compared
    (exactly) with integers; anything else row by row."""
    kinds = {left.kind, right.kind}
    if not kinds <= _NUMBERS:
        return None
    null = _or(left.null, right.null)
    if "double" in kinds:
        a, b = _double(left), _double(right)
        if isinstance(op, Cmp):
            return Value(_cmp(op.op, a, b), "boolean", null)
        return _arith(op.op, a, b, null)
    if not isinstance(op, Cmp) or "declit" in kinds or kinds == {"intlit"}:
        return None  # integer or decimal arithmetic, an int against a decimal: row by row
    lits = [v.data for v in (left, right) if v.kind == "intlit"]
    if any(not _INT64[0] <= x <= _INT64[1] for x in lits):
        return None
    return Value(_INT_CMP[op.op](left.data, right.data), "boolean", null)


_INT_CMP = {"=": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
            ">": np.greater, ">=": np.greater_equal}


def _eval(node: Node, columns: Columns, n: int) -> Value | None:  # noqa: C901
    if isinstance(node, Col):
        return columns.get(node.name)
    if isinstance(node, Lit):
        if node.kind in ("int", "bigint"):
            return Value(int(node.value), "intlit")
        if node.kind in ("decimal", "double"):
            return Value(node.value, "declit") if node.kind == "decimal" else Value(
                np.float64(node.value), "double")
        if node.kind == "boolean":
            return Value(np.bool_(node.value), "boolean")
        return Value(np.float64(np.nan), "null", np.ones(n, bool)) if node.kind == "null" else None
    if isinstance(node, (Arith, Cmp)):
        left, right = _eval(node.left, columns, n), _eval(node.right, columns, n)
        return None if left is None or right is None else _numeric(node, left, right)
    if isinstance(node, Neg):
        arg = _eval(node.arg, columns, n)
        return None if arg is None or arg.kind != "double" else Value(-arg.data, "double", arg.null)
    if isinstance(node, Logic):
        left, right = _eval(node.left, columns, n), _eval(node.right, columns, n)
        if left is None or right is None or {left.kind, right.kind} != {"boolean"}:
            return None
        return _logic(node.op == "or", left, right, n)
    if isinstance(node, NotNode):
        arg = _eval(node.arg, columns, n)
        return None if arg is None or arg.kind != "boolean" else Value(~arg.data, "boolean",
                                                                        arg.null)
    if isinstance(node, IsNull):
        arg = _eval(node.arg, columns, n)
        if arg is None:
            return None
        null = np.zeros(n, bool) if arg.null is None else arg.null
        return Value(~null if node.negate else null, "boolean")
    if isinstance(node, Cast) and node.to == "double":  # 1.5D, CAST(x AS DOUBLE)
        arg = _eval(node.arg, columns, n)
        return None if arg is None or arg.kind not in _NUMBERS else Value(
            _double(arg), "double", arg.null)
    if isinstance(node, DoubleFunc) and node.name == "sqrt":
        arg = _eval(node.args[0], columns, n)
        return None if arg is None or arg.kind not in _NUMBERS else Value(
            np.sqrt(_double(arg)), "double", arg.null)
    if isinstance(node, Coalesce):
        return _first([None] * len(node.args), list(node.args), None, columns, n)
    if isinstance(node, Case):
        return _first([c for c, _ in node.whens], [v for _, v in node.whens], node.default,
                      columns, n)
    return None


def _arith(op: str, a: Any, b: Any, null: Mask) -> Value | None:
    if op == "+":
        return Value(a + b, "double", null)
    if op == "-":
        return Value(a - b, "double", null)
    if op == "*":
        return Value(a * b, "double", null)
    zero = b == 0 if null is None else (b == 0) & ~null
    if op == "/" and not np.any(zero):  # a zero divisor: null or an ANSI error, row by row
        return Value(a / b, "double", null)
    return None


def _cmp(op: str, a: Any, b: Any) -> Any:
    """Spark's ordering: NaN equals NaN and is above every other double."""
    a_nan, b_nan = np.isnan(a), np.isnan(b)
    eq = (a == b) | (a_nan & b_nan)
    if op in ("=", "!="):
        return eq if op == "=" else ~eq
    lt = (a < b) | (~a_nan & b_nan)
    gt = (a > b) | (a_nan & ~b_nan)
    return {"<": lt, "<=": lt | eq, ">": gt, ">=": gt | eq}[op]


def _logic(is_or: bool, a: Value, b: Value, n: int) -> Value:
    """Three-valued AND/OR: the decisive value (true for OR, false for AND) wins over null."""
    def known(v: Value, want: bool) -> Any:
        hit = v.data if want else ~v.data
        return hit if v.null is None else hit & ~v.null

    decided = known(a, is_or) | known(b, is_or)
    other = known(a, not is_or) & known(b, not is_or)
    null = None if a.null is None and b.null is None else np.broadcast_to(~(decided | other), (n,))
    return Value(decided if is_or else other, "boolean", null)


def _first(conds: list[Node | None], values: list[Node], default: Node | None, columns: Columns,
           n: int) -> Value | None:
    """CASE WHEN (the value of the first condition that is true, else the default) and COALESCE
    (a None condition: the first value that is not null), one result kind as the row path's."""
    picked = [_eval(v, columns, n) for v in [*values, *([default] if default else [])]]
    if any(p is None for p in picked):
        return None
    kinds = {p.kind for p in picked} - {"null"}  # type: ignore[union-attr]
    if not ("double" in kinds and kinds <= _NUMBERS or kinds == {"boolean"}):
        return None  # integer results, or kinds the row path widens otherwise
    kind = "boolean" if kinds == {"boolean"} else "double"
    dtype = np.float64 if kind == "double" else bool
    out = np.zeros(n, dtype)
    null = np.ones(n, bool)
    undecided = np.ones(n, bool)
    for i, value in enumerate(picked):
        assert value is not None
        vnull = np.zeros(n, bool) if value.null is None else np.broadcast_to(value.null, (n,))
        if i < len(conds):
            cond = conds[i]
            if cond is None:
                take = undecided & ~vnull
            else:
                test = _eval(cond, columns, n)
                if test is None or test.kind != "boolean":
                    return None
                true = np.broadcast_to(test.data, (n,))
                take = undecided & (true if test.null is None else true & ~test.null)
        else:
            take = undecided  # the default
        raw = value.data if kind == "boolean" or value.kind == "null" else _double(value)
        data = np.broadcast_to(np.asarray(raw, dtype), (n,))
        out[take], null[take] = data[take], vnull[take]
        undecided &= ~take
    return Value(out, kind, null if null.any() else None)
