"""servelib.compiled: a module of numba kernels imported, or None when numba cannot be."""

import logging
import sys

from servelib.compiled import import_kernels


def test_kernels_module_imported():
    assert import_kernels("servelib.vector_kernels", "vector passes").__name__ == (
        "servelib.vector_kernels")


def test_without_numba_none_and_a_warning(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    with caplog.at_level(logging.WARNING, logger="servelib.compiled"):
        assert import_kernels("servelib.vector_kernels", "compiled vector passes") is None
    assert "compiled vector passes unavailable" in caplog.text


def test_engine_settings(monkeypatch):
    import pytest

    from servelib import vectors
    from servelib.compiled import use_compiled

    assert use_compiled("numba", "X") and not use_compiled("numpy", "X")
    monkeypatch.setattr(vectors, "ENGINE", "gpu")
    with pytest.raises(ValueError, match="SERVELIB_VECTOR_ENGINE must be 'numba' or 'numpy'"):
        vectors.compiled(1000)
    assert vectors.compiled(3) is None  # short columns take NumPy before the setting is read
