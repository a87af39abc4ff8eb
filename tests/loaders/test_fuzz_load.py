"""Load fuzzing: every corruption kind (corruptors.py) applied to copies of PySpark-saved
fixture models (a linear pipeline, a GBT, a random forest, an xgboost.spark pipeline, a
StringIndexer), each load run in a forked child under a time limit and an address-space limit.
The only acceptable outcomes: a servelib ModelLoadError/UnsupportedStage, or a model that scores
the fixture's input rows exactly as the pristine model does (for ``random_bytes``, which may
change a number Spark would read just as well: any scores, but no other exception). A hang, a
MemoryError, a crash, any other exception, or a refusal that only the loaders' catch-all for
unanticipated errors produced (not a deliberate check) fails.

The regular run tries 2 seeds per (model, kind); ``SERVELIB_FUZZ_LOAD=long`` tries 40.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import random
import resource
import sys
import traceback
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import servelib
from servelib.errors import ModelLoadError
from servelib.loaders.registry import LOADERS
from tests.loaders.corrupt import copy_model, fingerprint, fixture, input_rows
from tests.loaders.corruptors import CORRUPTORS, STRICT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="fork, RLIMIT_AS, /proc")

MODELS = {
    "linear": "demo_lr_pipeline",
    "gbt": "tree_gbt_regressor_single_stage",
    "rf": "tree_rf_classifier_multiclass",
    "xgboost": "xgb_binary_pipeline",
    "string_indexer": "string_indexer_multi_keep",
}
TREES = {"gbt", "rf", "xgboost"}
SEEDS = range(40 if os.environ.get("SERVELIB_FUZZ_LOAD") == "long" else 2)
TIME_LIMIT = 60.0  # seconds per load; a healthy one takes well under one on a busy machine
HEADROOM = 1 << 30  # bytes of address space a child may add to what the parent has mapped

# every loader module imported here, so that forked children share it instead of importing it
for _module in sorted({target.split(":")[0] for target in LOADERS.values()}):
    importlib.import_module(_module)

CASES = [(m, k, s) for m in MODELS for k in CORRUPTORS for s in SEEDS
         if k != "tree_cycle" or m in TREES]


@cache
def _pristine(name: str) -> list[Any]:
    case = MODELS[name]
    return fingerprint(servelib.load(fixture(case) / "model"), input_rows(case))


def _vm_bytes() -> int:
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith("VmSize:"))
    return int(line.split()[1]) * 1024


def _child(conn: Any, model: Path, rows: list[dict[str, Any]], limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        loaded = servelib.load(model)
        conn.send(("loaded", fingerprint(loaded, rows)))
    except ModelLoadError as exc:  # UnsupportedStage is one
        conn.send(("refused", f"{type(exc).__name__}: {exc}"))
    except BaseException:  # noqa: BLE001 - the point: report anything else to the parent
        conn.send(("crashed", traceback.format_exc(limit=-8)))


def _run(model: Path, rows: list[dict[str, Any]]) -> tuple[str, Any]:
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, model, rows, _vm_bytes() + HEADROOM))
    proc.start()
    send.close()
    try:
        if not recv.poll(TIME_LIMIT):
            return "hung", f"no answer within {TIME_LIMIT} s"
        return recv.recv()
    except EOFError:
        proc.join(5)
        return "died", f"exit code {proc.exitcode}"
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)


@pytest.mark.parametrize(("name", "kind", "seed"), CASES, ids=lambda v: str(v))
def test_corrupt_model_fails_cleanly_or_scores_the_same(tmp_path, name, kind, seed):
    case = MODELS[name]
    model = copy_model(case, tmp_path)
    what = CORRUPTORS[kind](model, random.Random(f"{name}/{kind}/{seed}"))
    rows = input_rows(case)
    outcome, detail = _run(model, rows)
    assert outcome in ("loaded", "refused"), f"{what}: {outcome}\n{detail}"
    # the loaders' catch-all (pipeline._UNANTICIPATED) is a backstop, not the validation
    assert "unreadable model data" not in str(detail), f"{what}: no deliberate check: {detail}"
    if outcome == "loaded" and kind in STRICT:
        assert detail == _pristine(name), f"{what}: loaded and scores differently"
