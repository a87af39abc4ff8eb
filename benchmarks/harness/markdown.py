"""Markdown pieces for BENCHMARKS.md: tables, number formats, and target verdicts computed
from the measured figures (never written by hand)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def num(value: float | None, digits: int = 1) -> str:
    """A figure with thousands separators; "-" for a missing one, "n/a" for NaN."""
    if value is None:
        return "-"
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    return f"{value:,.{digits}f}"


def ratio(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.2f}x"


@dataclass(frozen=True)
class Target:
    """One issue target: ``measured`` compared with ``limit`` by ``op`` ("<=", "<", ">=")."""

    what: str
    measured: float | None
    op: str
    limit: float
    unit: str = "x"

    @property
    def verdict(self) -> str:
        if self.measured is None or math.isnan(self.measured):
            return "not measured"
        ok = {"<=": self.measured <= self.limit, "<": self.measured < self.limit,
              ">=": self.measured >= self.limit}[self.op]
        return "**met**" if ok else "**missed**"

    def _fmt(self, value: float | None) -> str:
        return ratio(value) if self.unit == "x" else f"{num(value, 2)} {self.unit}"

    def row(self) -> list[str]:
        return [self.what, self._fmt(self.measured), f"{self.op} {self._fmt(self.limit)}",
                self.verdict]


def targets(items: Sequence[Target], issue: str) -> str:
    """The target table of a section: target, measured, met/missed."""
    return table([f"target ({issue})", "measured", "target", "met / missed"],
                 [t.row() for t in items])


def div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0 or math.isnan(a) or math.isnan(b):
        return None
    return a / b
