"""Which tree engine scores: the compiled kernels (kernels.py, numba) or the NumPy walks.

The compiled engine is the default. The NumPy walks (flat.py, heap.py; the same leaves and sums,
tests/transformers/tree/test_engine.py) take over when numba cannot be imported, or when forced
with ``SERVELIB_TREE_ENGINE=numpy`` in the environment (or :data:`ENGINE` set before models are
loaded: a model binds its engine when it builds its row kernel, at load). numba is imported, and
the kernels loaded from numba's cache (compiled on the first run ever), on first use, so pipelines
without trees never pay for it and the first scored row does not either.

numba keeps the compiled kernels on disk: in ``__pycache__`` next to kernels.py, or, where the
package is read-only, in the user's cache directory (``~/.cache/numba``), or in
``NUMBA_CACHE_DIR`` when set; with none of them writable, in a temporary directory (each process
then compiles them again, about 15 s of CPU).

Big batches are cut into row ranges scored in threads (servelib/transformers/threads.py,
``SERVELIB_THREADS``): the kernels release the GIL (as do NumPy's gathers in heap.py), so the
parts run in parallel.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from types import ModuleType

from servelib.compiled import import_kernels, use_compiled
from servelib.transformers import threads

ENGINE = os.environ.get("SERVELIB_TREE_ENGINE", "numba")  # "numba" or "numpy"
_THREAD_ROWS = threads.SPLIT_ROWS  # batches from this size are split between threads


def compiled() -> ModuleType | None:
    """kernels.py when the compiled engine is in use, else None (the NumPy walks)."""
    return _kernels() if use_compiled(ENGINE, "SERVELIB_TREE_ENGINE") else None


@functools.cache
def _kernels() -> ModuleType | None:
    kernels = import_kernels(f"{__package__}.kernels", "compiled tree engine",
                             also=(f"{__package__}.block_kernels",))
    if kernels is None:
        return None
    kernels.warm_up()
    return kernels


def in_parts(score: Callable[[int, int], None], n: int) -> None:
    """``score(start, stop)`` over row ranges covering ``[0, n)``: one range, or one per thread
    from ``_THREAD_ROWS`` rows (threads.ranges)."""
    threads.map_ranges(score, threads.ranges(n, _THREAD_ROWS))
