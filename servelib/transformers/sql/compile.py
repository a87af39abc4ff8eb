"""SQLTransformer's statement, parsed once at load by sqlglot (Spark dialect) and compiled to
expression nodes (nodes.py). Everything outside the subset raises :class:`Refused` naming the
construct, so a model either loads with exact semantics or not at all.

The subset: ``SELECT`` items (``*``, columns, aliased expressions) ``FROM __THIS__`` with an
optional ``WHERE``; literals (integers, strings, booleans, NULL, doubles written with an exponent
or a ``D`` suffix); ``+ - * / div %`` and unary minus; ``= == != <> < <= > >=``; ``AND OR NOT``;
``IS [NOT] NULL``; ``CASE`` (searched and simple), ``IF``, ``COALESCE``/``NVL``/``IFNULL``;
``CAST``/``TRY_CAST`` to double, int, bigint, string, boolean; abs, sqrt, exp, ln, log, pow/power,
round, floor, ceil; lower, upper, length, concat, substring/substr, trim.

Decimals: Spark reads ``1.5`` as DECIMAL(2,1), and arithmetic on a decimal gives a decimal unless
the other operand is a double. Decimal arithmetic is not in the subset, so a decimal literal is
accepted only where no decimal can come out: compared with something, cast, or in ``+ - * / %``
with an operand that is a double whatever the input's types (a double literal, a cast to double,
a math function). ``x * 1.5`` is refused (a decimal when x is an integer column); write
``x * 1.5D``.

Types are known only when rows arrive (see transformer.py), so these raise InvalidInput naming
the column instead of guessing one of Spark's implicit casts: arithmetic or math on strings or
booleans, a string compared with a number, string functions on non-strings, ``div`` on doubles,
CAST from string to int/bigint, CASE/IF/COALESCE branches mixing strings, numbers or booleans.
Column names resolve case-sensitively (Spark's resolution is case-insensitive by default: a
differently cased name is a missing column here, never a wrong value). lower/upper use Python's
Unicode case mapping (Java's differs on a few characters, e.g. the Turkish dotted I), and a
double cast to string prints the shortest repr in Java's layout (Java 17's Double.toString
prints more digits for a few values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from servelib.transformers.sql import functions as funcs
from servelib.transformers.sql import nodes as n

THIS = "__THIS__"
_CASTS = {"DOUBLE": "double", "INT": "int", "BIGINT": "bigint", "TEXT": "string",
          "VARCHAR": "string", "BOOLEAN": "boolean"}
_ARITH = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "IntDiv": "div", "Mod": "%"}
_CMP = {"EQ": "=", "NEQ": "!=", "LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}
_INT_MAX = 2**31 - 1


class Refused(ValueError):
    """The statement uses a construct outside the supported subset (named in the message)."""


@dataclass(frozen=True)
class Statement:
    star: bool
    items: tuple[tuple[str, n.Node], ...]  # output name and expression, in SELECT order
    where: n.Node | None

    def columns(self) -> tuple[str, ...]:
        """Input columns the statement reads, in first-use order."""
        seen: dict[str, None] = {}
        for _, node in self.items:
            seen.update(dict.fromkeys(sorted(node.columns())))
        if self.where is not None:
            seen.update(dict.fromkeys(sorted(self.where.columns())))
        return tuple(seen)


def parse(statement: str) -> Statement:
    try:
        import sqlglot
        from sqlglot import exp
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("SQLTransformer needs sqlglot: pip install 'servelib[sql]'") from e
    try:
        trees = [t for t in sqlglot.parse(statement, read="spark") if t is not None]
    except sqlglot.errors.ParseError as e:
        raise Refused(f"cannot parse the statement: {str(e).splitlines()[0]}") from e
    if len(trees) != 1 or not isinstance(trees[0], exp.Select):
        raise Refused("the statement must be one SELECT")
    return _select(trees[0], exp)


def _select(tree: Any, exp: Any) -> Statement:
    for key, value in tree.args.items():
        if value and key not in ("expressions", "from", "from_", "where"):
            raise Refused(f"{key.upper()} is outside the supported subset")
    source = tree.args.get("from") or tree.args.get("from_")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or table.name != THIS or table.args.get("db") \
            or table.alias:
        raise Refused(f"the statement must select FROM {THIS} (no joins, subqueries or aliases)")
    star, items = False, []
    for item in tree.expressions:
        if isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
            _expr(exp.column("x", table=item.table), exp)  # only __THIS__.*
            item = item.this
        if isinstance(item, exp.Star):
            if star:
                raise Refused("* appears twice")
            star = True
            continue
        if isinstance(item, exp.Alias):
            name, node = item.alias, _expr(item.this, exp)
        elif isinstance(item, exp.Column):
            node = _expr(item, exp)
            name = node.name
        else:
            raise Refused(f"give {item.sql('spark')!r} an alias (AS name): Spark names an "
                          "unaliased expression by its SQL text")
        _no_decimal(node, name)
        items.append((name, node))
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        twice = sorted({x for x in names if names.count(x) > 1})
        raise Refused(f"duplicate output columns {twice}")
    where = tree.args.get("where")
    cond = None if where is None else _expr(where.this, exp)
    if cond is not None and cond.static not in ("boolean", None):
        raise Refused("WHERE needs a boolean condition")
    return Statement(star, tuple(items), cond)


def _no_decimal(node: n.Node, where: str) -> None:
    if node.static == "decimal":
        raise Refused(f"{where}: a decimal literal (Spark reads 1.5 as DECIMAL) would give a "
                      "DECIMAL column; write 1.5D for a double")


def _expr(e: Any, exp: Any) -> n.Node:  # noqa: C901 - one dispatch over sqlglot's node classes
    kind = type(e).__name__
    if isinstance(e, exp.Paren):
        return _expr(e.this, exp)
    if isinstance(e, exp.Column):
        if e.table and e.table != THIS or e.args.get("db"):
            raise Refused(f"column {e.sql('spark')}: only {THIS}'s columns")
        return n.Col(e.name)
    if isinstance(e, exp.Literal):
        return _literal(e)
    if isinstance(e, exp.Boolean):
        return n.Lit(bool(e.this), "boolean")
    if isinstance(e, exp.Null):
        return n.Lit(None, "null")
    if kind in _ARITH:
        left, right = _expr(e.this, exp), _expr(e.expression, exp)
        for a, b in ((left, right), (right, left)):
            if a.static == "decimal" and b.static != "double":
                raise Refused(f"{e.sql('spark')}: a decimal literal in arithmetic gives a "
                              "DECIMAL unless the other side is a double; write 1.5D")
        return n.Arith(_ARITH[kind], left, right)
    if kind in _CMP:
        return n.Cmp(_CMP[kind], _expr(e.this, exp), _expr(e.expression, exp))
    if isinstance(e, exp.Neg):
        arg = _expr(e.this, exp)
        if isinstance(arg, n.Lit) and arg.kind in ("int", "bigint", "decimal"):
            return _number(f"-{e.this.this}")
        _no_decimal(arg, e.sql("spark"))
        return n.Neg(arg)
    if isinstance(e, (exp.And, exp.Or)):
        return n.Logic(kind.lower(), _expr(e.this, exp), _expr(e.expression, exp))
    if isinstance(e, exp.Not):
        if isinstance(e.this, exp.Is):
            return n.IsNull(_checked(e.this.this, exp), negate=True)
        return n.Not(_expr(e.this, exp))
    if isinstance(e, exp.Is) and isinstance(e.expression, exp.Null):
        return n.IsNull(_checked(e.this, exp), negate=False)
    if isinstance(e, exp.Case):
        return _case(e, exp)
    if isinstance(e, exp.If):
        return n.Case(((_expr(e.this, exp), _checked(e.args["true"], exp)),),
                      _checked(e.args.get("false"), exp))
    if isinstance(e, exp.Coalesce):
        return n.Coalesce(tuple(_checked(a, exp) for a in [e.this, *e.expressions]))
    if isinstance(e, exp.TryCast):
        to = e.to.this.name
        if to not in _CASTS:
            raise Refused(f"{e.sql('spark')}: CAST to {e.to.sql('spark')} is outside the subset "
                          f"(double, int, bigint, string, boolean)")
        arg = _expr(e.this, exp)
        if arg.static == "decimal" and _CASTS[to] not in ("double", "int", "bigint"):
            raise Refused(f"{e.sql('spark')}: a decimal literal cast to {to}")
        return n.Cast(arg, _CASTS[to], False if e.args.get("safe") else None)
    return _function(e, exp)


def _checked(e: Any, exp: Any) -> n.Node:
    """An expression that must not be a decimal literal (a value that would flow out)."""
    if e is None:
        return n.Lit(None, "null")
    node = _expr(e, exp)
    _no_decimal(node, e.sql("spark"))
    return node


def _number(text: str) -> n.Lit:
    if any(c in text for c in "eE"):
        return n.Lit(float(text), "double")
    if "." in text:
        return n.decimal_literal(text)
    value = int(text)
    if -_INT_MAX - 1 <= value <= _INT_MAX:
        return n.Lit(value, "int")
    if -(2**63) <= value < 2**63:
        return n.Lit(value, "bigint")
    raise Refused(f"integer literal {text} is a DECIMAL in Spark")


def _literal(e: Any) -> n.Lit:
    if e.is_string:
        return n.Lit(e.this, "string")
    return _number(e.this)


def _case(e: Any, exp: Any) -> n.Case:
    operand = e.this
    whens = []
    for branch in e.args.get("ifs") or []:
        cond = _expr(branch.this, exp)
        if operand is not None:  # CASE x WHEN v THEN ...: x = v
            cond = n.Cmp("=", _expr(operand, exp), cond)
        whens.append((cond, _checked(branch.args["true"], exp)))
    return n.Case(tuple(whens), _checked(e.args.get("default"), exp))


_DOUBLE = {"Sqrt": "sqrt", "Exp": "exp", "Ln": "ln", "Pow": "pow"}
_NUMBER = {"Abs": "abs", "Floor": "floor", "Ceil": "ceil"}
_STRING = {"Lower": "lower", "Upper": "upper", "Length": "length", "Trim": "trim"}


def _function(e: Any, exp: Any) -> n.Node:
    kind = type(e).__name__
    sql = e.sql("spark")
    if kind in _DOUBLE:
        args = [e.this] + ([e.expression] if kind == "Pow" else [])
        return funcs.DoubleFunc(_DOUBLE[kind], tuple(_checked(a, exp) for a in args))
    if kind == "Log":
        args = [e.this] + ([e.expression] if e.expression is not None else [])
        return funcs.DoubleFunc("log" if len(args) == 2 else "ln",
                            tuple(_checked(a, exp) for a in args))
    if kind in _NUMBER and not e.args.get("decimals") and not e.args.get("to"):
        return funcs.NumberFunc(_NUMBER[kind], _checked(e.this, exp))
    if kind == "Round" and not e.args.get("truncate"):
        scale = e.args.get("decimals")
        value = 0 if scale is None else _expr(scale, exp)
        if not isinstance(value, int):
            if not (isinstance(value, n.Lit) and value.kind == "int"):
                raise Refused(f"{sql}: round's scale must be an integer literal")
            value = value.value
        return funcs.NumberFunc("round", _checked(e.this, exp), value)
    if kind in _STRING and len([v for v in e.args.values() if v]) == 1:
        return funcs.StringFunc(_STRING[kind], (_checked(e.this, exp),))
    if kind == "Concat":
        return funcs.StringFunc("concat", tuple(_checked(a, exp) for a in e.expressions))
    if kind == "Substring":
        args = [e.this, e.args.get("start"), e.args.get("length")]
        nodes = [_checked(a, exp) for a in args if a is not None]
        if len(nodes) == 2:
            nodes.append(n.Lit(_INT_MAX, "int"))
        return funcs.StringFunc("substring", tuple(nodes))
    raise Refused(f"{sql!r} ({kind}) is outside the supported subset")
