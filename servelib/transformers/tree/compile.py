"""Compile a model's trees into one Python function that walks a single row (the online path).

The function takes the row's features as a Python list of floats (at least ``Forest.width`` of
them: shorter rows take the NumPy path, which knows which rows Spark would fail). Each feature a
split reads is loaded into a local once; each split becomes an ``if``: ``x <= threshold`` (False
for NaN, as Spark's ``<=`` on doubles) or a test against the category set Spark keeps (Python
float comparison and membership: -0.0 equals 0.0; NaN, 2.5 and 7.0 are in no set). A leaf
either records its global id (:func:`compile_walker` returns the tuple of every tree's leaf id,
for leafCol and the NumPy code) or assigns its values as constants, and the function returns
their sums over trees (:func:`compile_sums`: the row kernels of RandomForest and GBT). Sums run
in the order of the models' NumPy code (``scoring.sequential_sum`` / ``scoring.lane_dot``), so a
row gets the same bits either way; :func:`compile_sum` does the same from a tuple of leaf ids.

Why compile: for one row of 100 full depth-5 trees (500 splits visited), on the development
machine (loaded: ``np.add`` on 4 doubles took 0.7 us), p50: NumPy level by level 46 us (142 us
with categorical splits), a per-tree Python loop over the flat arrays 39 us, the id walker 10 us
(16 us with categorical splits). On a loaded machine, the GBT of the benchmark pipeline (100
trees, 185 of 1057 splits categorical): ids then sums 22 us, sums at the leaves 12 us. Batches
use NumPy, which wins from a few rows on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # flat.py builds every Forest's walker with this module
    from servelib.transformers.tree.flat import Forest


def compile_walker(forest: Forest) -> Callable[[list], tuple[int, ...]]:
    """The row's leaf id in every tree."""
    names: dict[str, object] = {}
    lines = _prologue(forest)
    for t, root in enumerate(forest.roots.tolist()):
        _emit(forest, root, lambda i, t=t: [f"n{t} = {i}"], lines, names)
    lines.append(f"    return ({''.join(f'n{t}, ' for t in range(forest.num_trees))})")
    return _define("walk", lines, names)


def compile_sums(forest: Forest, values: Sequence[Sequence[float]], lanes: int = 0
                 ) -> Callable[[list], list[float]]:
    """For each list ``v`` of ``values`` (one entry per global node id), the sum over trees of
    ``v`` at the row's leaf: left to right, or with ``lanes`` in netlib's ddot order."""
    names: dict[str, object] = {}
    columns = [list(v) for v in values]
    lines = _prologue(forest)
    for t, root in enumerate(forest.roots.tolist()):
        _emit(forest, root, lambda i, t=t: [f"n{t}_{k} = {_literal(v[i], names)}"
                                             for k, v in enumerate(columns)], lines, names)
    for k in range(len(columns)):
        lines += _sum_lines(f"s{k}", [f"n{t}_{k}" for t in range(forest.num_trees)], lanes)
    lines.append(f"    return [{', '.join(f's{k}' for k in range(len(columns)))}]")
    return _define("walk", lines, names)


def compile_sum(values: Sequence[Sequence[float]], count: int, lanes: int = 0
                ) -> Callable[[tuple[int, ...]], list[float]]:
    """:func:`compile_sums` from a walker's tuple ``n`` of ``count`` leaf ids."""
    lines = ["def total(n):"]
    for k in range(len(values)):
        lines += _sum_lines(f"s{k}", [f"v{k}[n[{t}]]" for t in range(count)], lanes)
    lines.append(f"    return [{', '.join(f's{k}' for k in range(len(values)))}]")
    return _define("total", lines, {f"v{k}": list(v) for k, v in enumerate(values)})


def _prologue(forest: Forest) -> list[str]:
    # each feature the splits read is loaded once into a local (x[f] per node costs ~40% more)
    used = sorted(set(forest.feature[~forest.is_leaf].tolist()))
    return ["def walk(x):", *(f"    x{f} = x[{f}]" for f in used)]


def _emit(forest: Forest, root: int, leaf: Callable[[int], list[str]], lines: list[str],
          names: dict[str, object]) -> None:
    # explicit stack: (node, indent, prefix line) keeps deep trees off Python's recursion limit
    stack: list[tuple[int, int, str | None]] = [(root, 1, None)]
    while stack:
        i, level, header = stack.pop()
        pad = "    " * level
        if header is not None:
            lines.append(header)
        if forest.is_leaf[i]:
            lines += [pad + statement for statement in leaf(i)]
            continue
        lines.append(f"{pad}if {_test(forest, i, names)}:")
        # pushed in reverse: the left branch is emitted first, then "else:" and the right one
        stack.append((int(forest.right[i]), level + 1, f"{pad}else:"))
        stack.append((int(forest.left[i]), level + 1, None))


def _test(forest: Forest, i: int, names: dict[str, object]) -> str:
    x = f"x{int(forest.feature[i])}"
    ncat = 0 if forest.cat_size is None else int(forest.cat_size[i])
    if ncat == 0:
        return f"{x} <= {_literal(float(forest.threshold[i]), names)}"
    start = int(forest.cat_offset[i])
    table = forest.cat_left[start : start + ncat + 1].tolist()  # last: a value in no category
    # test the categories whose answer differs from that of values in no category
    odd = [float(c) for c in range(ncat) if table[c] != table[ncat]]
    if len(odd) == 1:  # ==, != on a float: the same answers as set membership, and cheaper
        return f"{x} {'!=' if table[ncat] else '=='} {odd[0]!r}"
    name = f"S{len(names)}"
    names[name] = frozenset(odd)
    return f"{x} {'not in' if table[ncat] else 'in'} {name}"


def _literal(value: float, names: dict[str, object]) -> str:
    if math.isfinite(value):
        return repr(value)
    name = f"C{len(names)}"
    names[name] = value
    return name


def _sum_lines(name: str, terms: list[str], lanes: int) -> list[str]:
    """Statements leaving in ``name`` the sum of ``terms`` as sequential_sum (``lanes`` 0) or
    lane_dot adds them. One statement per term: a long ``a + b + ...`` would nest as deep."""
    whole = len(terms) - len(terms) % lanes if lanes else 0
    lines = []
    if whole:  # lane j sums terms j, j + lanes, ... of the whole blocks; then the lanes, the rest
        for j in range(lanes):
            lines += _running(f"{name}_{j}", terms[j:whole:lanes])
        terms = [f"{name}_{j}" for j in range(lanes)] + terms[whole:]
    return lines + (_running(name, terms) if terms else [f"    {name} = 0.0"])


def _running(name: str, terms: Sequence[str]) -> list[str]:
    return [f"    {name} = {terms[0]}", *(f"    {name} += {term}" for term in terms[1:])]


def _define(name: str, lines: list[str], namespace: dict[str, object]) -> Callable:
    exec(compile("\n".join(lines), f"<servelib {name}>", "exec"), namespace)  # noqa: S102
    return namespace[name]  # type: ignore[return-value]
