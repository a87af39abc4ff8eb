"""Importing a module of numba kernels (``@njit(cache=True)``), shared by the tree engine and
the vector passes: None when numba cannot be imported (the caller falls back to NumPy), and a
temporary cache directory when numba finds no writable one (next to the module, the user's cache
directory or ``NUMBA_CACHE_DIR``): each process then compiles the kernels again.
"""

from __future__ import annotations

import importlib
import logging
import sys
import tempfile
from types import ModuleType


def import_kernels(module: str, purpose: str, also: tuple[str, ...] = ()) -> ModuleType | None:
    """``module`` imported, or None without numba (logged as ``purpose`` being unavailable).
    ``also``: modules of kernels it imports, imported again with it when the cache moves."""
    try:
        import numba
    except ImportError as exc:  # numba missing or broken for this NumPy/Python
        logging.getLogger(__name__).warning("%s unavailable (%s): NumPy does it", purpose, exc)
        return None
    try:
        return importlib.import_module(module)
    except RuntimeError as exc:
        if "no locator available" not in str(exc):
            raise
        numba.config.CACHE_DIR = tempfile.mkdtemp(prefix="servelib-numba-")
        for name in (module, *also):
            sys.modules.pop(name, None)
        return importlib.import_module(module)


def use_compiled(engine: str, variable: str) -> bool:
    """An engine setting (``variable`` in the environment): True for "numba", False for
    "numpy", ValueError naming the variable for anything else."""
    if engine == "numpy":
        return False
    if engine != "numba":
        raise ValueError(f"{variable} must be 'numba' or 'numpy', got {engine!r}")
    return True
