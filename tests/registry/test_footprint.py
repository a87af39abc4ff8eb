import tracemalloc

import servelib
from servelib.registry.footprint import footprint
from tests.registry.helpers import FIXTURES


def traced(path) -> tuple[object, int]:
    """A model and the bytes its load still holds, as tracemalloc counts them."""
    tracemalloc.start()
    try:
        model = servelib.load(str(path))
        return model, tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()


def test_footprint_agrees_with_tracemalloc_and_counts_compiled_trees():
    sizes = {}
    for case in ("demo_lr_pipeline", "tree_gbt_onehot_pipeline"):
        servelib.load(str(FIXTURES / case / "model"))  # warm import-time caches first
        model, kept = traced(FIXTURES / case / "model")
        sizes[case] = footprint(model)
        assert 0.5 * kept < sizes[case] < 2 * kept, (case, sizes[case], kept)
    assert sizes["tree_gbt_onehot_pipeline"] > 5 * sizes["demo_lr_pipeline"]


def test_shared_objects_are_not_counted():
    model = servelib.load(str(FIXTURES / "demo_lr_pipeline" / "model"))
    assert footprint(model) < 200_000  # modules, classes and source code would be megabytes
    assert footprint([model, model]) < footprint(model) + 200
