"""Parity cases: small Spark pipelines trained and saved by real PySpark.

Each module in this package defines functions decorated with :func:`case`. A case function takes
a SparkSession and returns a :class:`Case`. ``tests/parity/make_fixtures.py`` fits and saves the
model, and records PySpark's own ``transform()`` output; servelib is compared against that.
Expected numbers always come from Spark, never from this file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CASES: dict[str, Callable[[Any], Case]] = {}


@dataclass
class Case:
    estimator: Any  # a Pipeline / Estimator (fitted on train) or a Transformer (saved as is)
    train: Any  # DataFrame to fit on (may be None for a plain Transformer)
    test: Any  # DataFrame Spark transforms successfully (rows may be skipped by Spark)
    bad: Any = None  # DataFrame whose every row must make Spark's transform fail
    #  (handleInvalid="error" and friends); each row is checked alone


def case(name: str) -> Callable[[Callable[[Any], Case]], Callable[[Any], Case]]:
    def register(func: Callable[[Any], Case]) -> Callable[[Any], Case]:
        if name in CASES:
            raise ValueError(f"duplicate parity case {name}")
        CASES[name] = func
        return func

    return register


def load_all() -> dict[str, Callable[[Any], Case]]:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return CASES
