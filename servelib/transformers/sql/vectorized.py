"""The column-wise fast case of score_columns: double columns without nulls through arithmetic,
comparisons and logic, in NumPy. These operations round exactly as the Python floats of the row
path do (IEEE add, subtract, multiply, divide, sqrt; Spark's NaN ordering), so both paths give the
same bits. Anything else (nulls, integers, strings, a zero divisor, other functions, whose NumPy
versions may differ from libm in the last bit) returns None and the statement runs row by row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from servelib.transformers.sql.functions import DoubleFunc
from servelib.transformers.sql.nodes import Arith, Cast, Cmp, Col, IsNull, Lit, Logic, Neg, Node
from servelib.transformers.sql.nodes import Not as NotNode

Value = tuple[Any, str]  # an array or a scalar, and "double", "boolean" or "literal"


def evaluate(node: Node, columns: dict[str, np.ndarray], n: int) -> np.ndarray | None:
    """``node`` over ``columns`` (float64, no nulls) as an array of ``n`` doubles or booleans."""
    with np.errstate(all="ignore"):
        out = _eval(node, columns)
    if out is None or out[1] == "literal":
        return None
    value, kind = out
    return np.broadcast_to(np.asarray(value, np.float64 if kind == "double" else bool), (n,))


def _eval(node: Node, columns: dict[str, np.ndarray]) -> Value | None:  # noqa: C901
    if isinstance(node, Col):
        col = columns.get(node.name)
        return None if col is None else (col, "double")
    if isinstance(node, Lit):
        if node.kind in ("int", "bigint", "decimal", "double"):
            return np.float64(float(node.value)), "double" if node.kind == "double" else "literal"
        if node.kind == "boolean":
            return np.bool_(node.value), "boolean"
        return None
    if isinstance(node, (Arith, Cmp)):
        left, right = _eval(node.left, columns), _eval(node.right, columns)
        if left is None or right is None or "boolean" in (left[1], right[1]):
            return None
        if "double" not in (left[1], right[1]):
            return None  # integer arithmetic: the row path's int rules
        a, b = left[0], right[0]
        return _arith(node.op, a, b) if isinstance(node, Arith) else (_cmp(node.op, a, b),
                                                                     "boolean")
    if isinstance(node, Neg):
        arg = _eval(node.arg, columns)
        return None if arg is None or arg[1] != "double" else (-arg[0], "double")
    if isinstance(node, Logic):
        left, right = _eval(node.left, columns), _eval(node.right, columns)
        if left is None or right is None or {left[1], right[1]} != {"boolean"}:
            return None
        return (left[0] & right[0]) if node.op == "and" else (left[0] | right[0]), "boolean"
    if isinstance(node, NotNode):
        arg = _eval(node.arg, columns)
        return None if arg is None or arg[1] != "boolean" else (~arg[0], "boolean")
    if isinstance(node, IsNull):
        arg = _eval(node.arg, columns)
        return None if arg is None else (np.bool_(node.negate), "boolean")
    if isinstance(node, Cast) and node.to == "double":  # 1.5D, CAST(x AS DOUBLE)
        arg = _eval(node.arg, columns)
        return None if arg is None or arg[1] == "boolean" else (arg[0], "double")
    if isinstance(node, DoubleFunc) and node.name == "sqrt":
        arg = _eval(node.args[0], columns)
        return None if arg is None or arg[1] == "boolean" else (np.sqrt(arg[0]), "double")
    return None


def _arith(op: str, a: Any, b: Any) -> Value | None:
    if op == "+":
        return a + b, "double"
    if op == "-":
        return a - b, "double"
    if op == "*":
        return a * b, "double"
    if op == "/" and not np.any(b == 0):  # a zero divisor: null or an ANSI error, row by row
        return a / b, "double"
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
