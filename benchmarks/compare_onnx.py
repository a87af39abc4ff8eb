"""servelib next to the same Spark pipeline converted to ONNX, one row at a time, in one run.

    tox -e bench-onnx [-- --quick --json OUT]
    python benchmarks/compare_onnx.py [--quick] [--json OUT]   (a Python with all of the below)

Needs, in one Python: servelib's dependencies (numpy, pyarrow), PySpark with Java 17 (only to load
the saved model and convert it), and ``onnxmltools onnx onnxruntime``. Tried with onnxmltools
1.16.0, onnx 1.23.2, onnxruntime 1.32.0, on PySpark 3.5.9 with numpy 1.26.4 (there pin
``ml_dtypes<0.6``: 0.6 needs numpy 2) and on PySpark 4.3.0 with numpy 2.4. The fixture is the
installed PySpark line's
``tests/parity/fixtures/spark-<major.minor>/tree_gbt_onehot_pipeline`` (or ``--fixture DIR``):
Imputer(x0, x1; mean) -> StringIndexer(color; keep) -> OneHotEncoder(keep, dropLast) ->
VectorAssembler(keep) -> GBTClassifier (100 trees of depth 5), its Spark-saved model, its input
rows and PySpark's outputs for them.

What runs:

- the fixture's model is loaded with ``pyspark.ml.PipelineModel.load`` (SparkSession on
  local[1]) and converted, whole, by ``onnxmltools.convert_sparkml`` with the inputs x0, x1, x2 as
  float [N, 1] and color as string [N, 1]; the Spark session is stopped before any timing;
- the converted graph imports the default opset twice, as "" v12 and as "ai.onnx" v13 (for one
  Reshape), in an order that follows Python's string hashing; onnxruntime keeps the last one, so
  from one process to the next the graph loads or is refused (its Split has the opset-2 "split"
  attribute, invalid at v13). Patch 1 declares the default domain once, at v12 (Reshape v13 = v5
  but for bfloat16); that graph is "ONNX as converted";
- "ONNX fixed" adds the two changes the converter gets wrong for this pipeline, both checked
  against the Spark model: (2) StringIndexer handleInvalid="keep" sends unseen strings to index
  len(labels), and the converted LabelEncoder's default is -1, which the OneHotEncoder turns into
  all zeros: the default becomes len(labels); (3) a categorical split keeps its left categories,
  but the converter writes ``x <= leftCategories[0]``, which for a binary one-hot slot whose left
  category is 1.0 sends every row left: those nodes become ``x == 1.0`` (BRANCH_EQ). Both only
  change attribute values, not the graph's nodes. The ONNX timings use "ONNX fixed", but one;
- that one line is not a conversion: onnxmltools emits one TreeEnsembleRegressor node per tree
  (100 nodes, then a Concat and a MatMul by the tree weights), and onnxruntime pays per node.
  "trees merged" puts the same trees into one TreeEnsembleRegressor (leaf values times tree
  weight, summed), to show what a hand-tuned graph of the same model costs;
- onnxruntime scores in float32 (the converter's only tensor type for numbers), servelib and
  Spark in float64. ONNX has no null: a null double is fed as NaN (what the Imputer replaces) and
  a null string as "" (like null, an unseen label under "keep"); a double beyond float32's range
  becomes +-inf (listed as "overflow rows").

Printed: (a) one-row latency p50/p90/p99 of servelib ``score_instance(row dict)`` and of
onnxruntime ``InferenceSession.run``: with the feed (numpy arrays of shape (1, 1)) built once per
row beforehand, on 1 thread and with the default thread settings; and with the feed built from
the row dict inside the timed call, as servelib's figure includes its own dict handling (also for
the merged graph). Every loop cycles over the input rows without null/NaN, after a warm-up, for
at most --calls calls or --seconds seconds. (b) agreement on every input row: each ONNX graph
and servelib against PySpark's expected.jsonl, and ONNX against servelib. The load average is
printed: the figures only compare with runs on an equally idle machine.
Nothing here is a test; see BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np
import pyarrow.parquet as pq

import servelib
from benchmarks.compare_pyspark import spark_session

CASE = "tree_gbt_onehot_pipeline"
ROW_ID = "_row"
FLOAT32_MAX = float(np.finfo(np.float32).max)
Row = dict[str, Any]


# ---- fixture -----------------------------------------------------------------------------------
def decode(value: Any) -> Any:
    """The fixtures' JSON encoding: {"$float": "nan"} and {"$vector": ...} -> float, list."""
    if isinstance(value, dict):
        if "$float" in value:
            return float(value["$float"])
        if value.get("$vector") == "dense":
            return [decode(v) for v in value["values"]]
        if value.get("$vector") == "sparse":
            dense = [0.0] * value["size"]
            for i, v in zip(value["indices"], value["values"]):
                dense[i] = decode(v)
            return dense
    return value


def read_rows(path: Path) -> list[Row]:
    lines = path.read_text().splitlines()
    return [{k: decode(v) for k, v in json.loads(line).items()} for line in lines if line]


def fixture_dir(arg: Path | None) -> Path:
    if arg is not None:
        return arg
    import pyspark

    version = ".".join(pyspark.__version__.split(".")[:2])
    path = ROOT / "tests/parity/fixtures" / f"spark-{version}" / CASE
    if not (path / "model").is_dir():
        raise SystemExit(f"no {CASE} fixture at {path}: run tests/parity/make_fixtures.py --only {CASE}")
    return path


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def overflows_float32(value: Any) -> bool:
    return isinstance(value, float) and math.isfinite(value) and abs(value) > FLOAT32_MAX


def categorical_splits(model_dir: Path) -> list[tuple[int, int, tuple[float, ...]]]:
    """(featureIndex, numCategories, leftCategories) of every categorical split of the GBT stage,
    read from the Spark-saved tree data."""
    stage = next((model_dir / "stages").glob("*_GBTClassifier_*"))
    splits = []
    for row in pq.read_table(stage / "data").to_pylist():
        node = row["nodeData"]
        split = node["split"]
        if node["leftChild"] >= 0 and split["numCategories"] != -1:
            splits.append((split["featureIndex"], split["numCategories"],
                           tuple(split["leftCategoriesOrThreshold"])))
    return splits


# ---- conversion ----------------------------------------------------------------------------------
def convert(model_dir: Path, schema: Mapping[str, Any]) -> tuple[Any, dict[str, Any], float]:
    """The ONNX graph onnxmltools makes of the Spark-loaded model, the Spark stages' settings the
    patches need, and the conversion's wall time."""
    from onnxmltools import convert_sparkml
    from onnxmltools.convert.common.data_types import FloatTensorType, StringTensorType
    from pyspark.ml import PipelineModel as SparkPipelineModel

    spark = spark_session(cores=1, app="servelib-bench-onnx")
    try:
        spark_model = SparkPipelineModel.load(str(model_dir))
        wanted = set(servelib.load(str(model_dir)).input_columns())
        initial_types = [
            (f["name"], StringTensorType([None, 1]) if f["type"] == "string" else FloatTensorType([None, 1]))
            for f in schema["fields"] if f["name"] in wanted
        ]
        indexers = {}
        for stage in spark_model.stages:
            if type(stage).__name__ == "StringIndexerModel":
                for out, labels in zip(_output_cols(stage), stage.labelsArray):
                    indexers[out] = {"labels": len(labels), "handleInvalid": stage.getHandleInvalid()}
        facts = {"stages": [type(s).__name__ for s in spark_model.stages],
                 "initial_types": [(n, type(t).__name__) for n, t in initial_types],
                 "string_indexers": indexers}
        t0 = time.perf_counter()
        with warnings.catch_warnings():  # PySpark 4 on pandas 3: one FutureWarning per tree
            warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas",
                                    FutureWarning)
            onx = convert_sparkml(spark_model, CASE, initial_types, spark_session=spark)
        seconds = time.perf_counter() - t0
    finally:
        spark.stop()
    return onx, facts, seconds


def _output_cols(stage: Any) -> list[str]:
    if stage.isSet("outputCols"):
        return list(stage.getOutputCols())
    return [stage.getOutputCol()]


def fix_opset(onx: Any) -> Any:
    """Patch 1: one default-domain opset import (the converter's v12) instead of "" v12 plus
    "ai.onnx" v13, in hash order, which onnxruntime refuses when v13 comes last."""
    import onnx

    fixed = onnx.ModelProto()
    fixed.CopyFrom(onx)
    for node in fixed.graph.node:
        if node.domain == "ai.onnx":
            node.domain = ""
    keep = [o for o in fixed.opset_import if o.domain != "ai.onnx"]
    del fixed.opset_import[:]
    fixed.opset_import.extend(keep)
    onnx.checker.check_model(fixed)
    return fixed


def fix_semantics(onx: Any, facts: Mapping[str, Any],
                  splits: Sequence[tuple[int, int, tuple[float, ...]]]) -> tuple[Any, list[str]]:
    """Patches 2 and 3 (see the module docstring); refuses what it cannot patch exactly."""
    import onnx
    from onnx import helper

    fixed = onnx.ModelProto()
    fixed.CopyFrom(onx)
    notes = []
    for node in fixed.graph.node:
        if node.op_type != "LabelEncoder" or node.output[0] not in facts["string_indexers"]:
            continue
        indexer = facts["string_indexers"][node.output[0]]
        if indexer["handleInvalid"] == "keep":
            for attr in [a for a in node.attribute if a.name == "default_int64"]:
                node.attribute.remove(attr)
            node.attribute.append(helper.make_attribute("default_int64", indexer["labels"]))
            notes.append(f"LabelEncoder {node.output[0]}: default -1 -> {indexer['labels']} (keep)")

    if any(n != 2 or len(left) != 1 or left[0] not in (0.0, 1.0) for _, n, left in splits):
        raise SystemExit("a categorical split is not binary with one left category: no exact patch")
    binary = {f for f, _, _ in splits}
    want = sum(left == (1.0,) for _, _, left in splits)
    patched = 0
    for node in fixed.graph.node:
        if node.op_type != "TreeEnsembleRegressor":
            continue
        attrs = {a.name: a for a in node.attribute}
        modes, features, values = attrs["nodes_modes"], attrs["nodes_featureids"], attrs["nodes_values"]
        for i, mode in enumerate(modes.strings):
            # x <= 0.0 is exact on {0, 1}; x <= 1.0 is always true, Spark's split is x == 1.0
            if mode == b"BRANCH_LEQ" and features.ints[i] in binary and values.floats[i] == 1.0:
                modes.strings[i] = b"BRANCH_EQ"
                patched += 1
    if patched != want:
        raise SystemExit(f"patched {patched} tree nodes but Spark has {want} splits left on 1.0")
    notes.append(f"{patched} of {len(splits)} categorical splits (features {sorted(binary)}): "
                 "x <= 1.0 -> x == 1.0")
    onnx.checker.check_model(fixed)
    return fixed, notes


def merge_trees(onx: Any) -> Any:
    """The converter emits one TreeEnsembleRegressor per tree, a Concat of their 100 outputs and a
    MatMul by the tree weights. Not a conversion: the same trees as one TreeEnsembleRegressor
    (leaf values times tree weight, SUM), writing the MatMul's output; nothing else changes."""
    import onnx
    from onnx import helper, numpy_helper

    nodes = list(onx.graph.node)
    trees = [n for n in nodes if n.op_type == "TreeEnsembleRegressor"]
    concat = next(n for n in nodes if n.op_type == "Concat" and list(n.input) == [t.output[0] for t in trees])
    matmul = next(n for n in nodes if n.op_type == "MatMul" and n.input[0] == concat.output[0])
    weights_init = next(i for i in onx.graph.initializer if i.name == matmul.input[1])
    weights = numpy_helper.to_array(weights_init).ravel().tolist()
    if len(weights) != len(trees) or len({t.input[0] for t in trees}) != 1:
        raise SystemExit("unexpected tree ensemble layout: no merge")
    attrs: dict[str, list] = {}
    for tree_id, (tree, weight) in enumerate(zip(trees, weights)):
        values = {a.name: helper.get_attribute_value(a) for a in tree.attribute}
        if values["n_targets"] != 1 or values["post_transform"] != b"NONE":
            raise SystemExit("unexpected tree attributes: no merge")
        for name, value in values.items():
            if name.startswith(("nodes_", "target_")):
                value = list(value)
                if name in ("nodes_treeids", "target_treeids"):
                    value = [tree_id] * len(value)
                elif name == "target_weights":
                    value = [v * weight for v in value]
                attrs.setdefault(name, []).extend(value)
    merged = helper.make_node("TreeEnsembleRegressor", [trees[0].input[0]], [matmul.output[0]],
                              domain="ai.onnx.ml", name="merged_trees", n_targets=1,
                              post_transform="NONE", aggregate_function="SUM", **attrs)
    out = onnx.ModelProto()
    out.CopyFrom(onx)
    drop = {id(n) for n in [*trees, concat]}
    keep = [merged if n is matmul else n for n in nodes if id(n) not in drop]
    del out.graph.node[:]
    out.graph.node.extend(keep)
    kept_inits = [i for i in out.graph.initializer if i.name != weights_init.name]
    del out.graph.initializer[:]
    out.graph.initializer.extend(kept_inits)
    onnx.checker.check_model(out)
    return out


# ---- scoring ---------------------------------------------------------------------------------------
class OnnxScorer:
    """An InferenceSession and the row dict -> feed conversion for its inputs."""

    def __init__(self, onx: Any, threads: int | None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = threads
        self.session = ort.InferenceSession(onx.SerializeToString(), options,
                                            providers=["CPUExecutionProvider"])
        inputs = self.session.get_inputs()
        self.strings = [i.name for i in inputs if i.type == "tensor(string)"]
        self.floats = [i.name for i in inputs if i.type == "tensor(float)"]
        if len(self.strings) + len(self.floats) != len(inputs):
            raise SystemExit(f"unexpected ONNX input types: {[(i.name, i.type) for i in inputs]}")
        self.outputs = ["probability", "prediction"]

    def feed(self, row: Mapping[str, Any]) -> dict[str, np.ndarray]:
        feed = {}
        for name in self.floats:
            value = row.get(name)
            with np.errstate(over="ignore"):  # beyond float32: inf, reported as overflow rows
                feed[name] = np.array([[math.nan if value is None else value]], dtype=np.float32)
        for name in self.strings:
            value = row.get(name)
            feed[name] = np.array([["" if value is None else value]], dtype=object)
        return feed

    def run(self, feed: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        return self.session.run(self.outputs, feed)

    def score(self, row: Mapping[str, Any]) -> tuple[list[float], float]:
        probability, prediction = self.run(self.feed(row))
        return [float(p) for p in probability[0]], float(prediction[0])


def servelib_score(model: Any, row: Mapping[str, Any]) -> tuple[list[float], float]:
    out = model.score_instance(dict(row))
    probability = out["probability"]
    values = probability.toArray() if hasattr(probability, "toArray") else probability
    return [float(p) for p in values], float(out["prediction"])


# ---- timing ------------------------------------------------------------------------------------------
def percentile(sorted_samples: list[float], q: float) -> float:
    return sorted_samples[min(len(sorted_samples) - 1, int(len(sorted_samples) * q))]


def cycle_samples(call: Callable[[Any], object], args: Sequence[Any], max_calls: int,
                  max_seconds: float, warmup: int) -> list[float]:
    """Seconds of each call(args[i % len(args)]), in call order: warm-up calls, then at most
    ``max_calls`` calls or ``max_seconds`` seconds; the argument is picked outside the timed
    region (also used by bench_fastpath.py)."""
    for i in range(warmup):
        call(args[i % len(args)])
    gc.collect()
    samples: list[float] = []
    deadline = time.perf_counter() + max_seconds
    for i in range(max_calls):
        arg = args[i % len(args)]
        t0 = time.perf_counter()
        call(arg)
        t1 = time.perf_counter()
        samples.append(t1 - t0)
        if t1 > deadline:
            break
    return samples


def timed_cycle(call: Callable[[Any], object], args: Sequence[Any], max_calls: int,
                max_seconds: float, warmup: int) -> dict[str, float]:
    samples = sorted(cycle_samples(call, args, max_calls, max_seconds, warmup))
    return {"p50_us": percentile(samples, 0.5) * 1e6, "p90_us": percentile(samples, 0.9) * 1e6,
            "p99_us": percentile(samples, 0.99) * 1e6, "calls": len(samples)}


# ---- agreement ---------------------------------------------------------------------------------------
def agreement(name: str, scored: Mapping[int, tuple[list[float], float] | str],
              reference: Mapping[int, tuple[list[float], float]], missing: set[int],
              tol: float) -> dict[str, Any]:
    """max |probability difference| and differing predictions, on clean rows and on rows with
    null/NaN; a str in ``scored`` is the error a row raised."""
    res: dict[str, Any] = {"name": name}
    for group, ids in (("clean", [r for r in reference if r not in missing]),
                       ("missing", [r for r in reference if r in missing])):
        errors = [r for r in ids if isinstance(scored[r], str)]
        ok = [r for r in ids if r not in errors]
        diffs = {r: max(abs(a - b) for a, b in zip(scored[r][0], reference[r][0])) for r in ok}
        res[group] = {
            "rows": len(ids), "errors": errors,
            "max_abs_dprob": max(diffs.values(), default=0.0),
            "prediction_differs": [r for r in ok if scored[r][1] != reference[r][1]],
            "beyond_tol": [r for r in ok if diffs[r] > tol],
        }
    return res


def score_all(score: Callable[[Row], tuple[list[float], float]], rows: Sequence[Row]
              ) -> dict[int, tuple[list[float], float] | str]:
    out: dict[int, tuple[list[float], float] | str] = {}
    for row in rows:
        try:
            out[row[ROW_ID]] = score(row)
        except Exception as exc:  # noqa: BLE001 - reported per row, as a fact
            out[row[ROW_ID]] = f"{type(exc).__name__}: {exc}"
    return out


# ---- report ------------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "machine": platform.machine(),
            "python": platform.python_version(), "cpus": os.cpu_count(),
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


def report(res: dict[str, Any]) -> None:
    env, conv = res["env"], res["conversion"]
    print(f"servelib {env['servelib']} vs onnxruntime {env['onnxruntime']} (onnxmltools "
          f"{env['onnxmltools']}, onnx {env['onnx']}), PySpark {env['pyspark']}, numpy {env['numpy']}")
    m0, m1 = res["machine_start"], res["machine_end"]
    print(f"Python {m0['python']}, {m0['platform']}, {m0['cpus']} CPUs, load average "
          f"{' '.join(map(str, m0['loadavg']))} at start, {' '.join(map(str, m1['loadavg']))} at end")
    print(f"fixture {res['fixture']}: {' -> '.join(conv['stages'])}")
    print(f"conversion: onnxmltools.convert_sparkml of the whole PipelineModel, {conv['seconds']:.1f} s "
          f"on local[1]; inputs {', '.join(f'{n} {t}' for n, t in conv['initial_types'])}")
    print("  'ONNX as converted': patch 1 only (so that it loads): one default-domain opset "
          "import, v12")
    for note in conv["fixes"]:
        print(f"  'ONNX fixed': {note}")

    lat = res["latency"]
    print(f"\n(a) one row, cycling over {lat['rows']} input rows without null/NaN, at most "
          f"{res['args']['calls']} calls or {res['args']['seconds']:g} s per line, after warm-up")
    print(f"  {'what':<62} {'p50 us':>8} {'p90 us':>8} {'p99 us':>8} {'calls':>7}")
    for key, label in (
        ("servelib", "servelib score_instance(row dict)"),
        ("onnx_1", "onnxruntime run(prebuilt feed), 1 thread"),
        ("onnx_default", "onnxruntime run(prebuilt feed), default threads"),
        ("onnx_1_feed", "onnxruntime row dict -> feed + run, 1 thread"),
        ("merged_1_feed", "same, 100 tree nodes merged into 1 (hand-made, not converted)"),
    ):
        t = lat[key]
        print(f"  {label:<62} {t['p50_us']:>8.1f} {t['p90_us']:>8.1f} {t['p99_us']:>8.1f} {t['calls']:>7}")
    ratio = lat["servelib"]["p50_us"] / lat["onnx_1_feed"]["p50_us"]
    print(f"  p50 servelib / onnxruntime (dict -> feed + run, 1 thread): {ratio:.2f}")

    print(f"\n(b) agreement on all {res['rows']} input rows: probability vector (max |dp|) and "
          f"prediction; beyond = max |dp| > {res['args']['tol']:g}; errors = rows the scorer "
          f"refused\n  rows with null/NaN: {res['missing_rows']}; overflow rows (a double beyond "
          f"float32, fed to ONNX as +-inf): {res['overflow_rows']}")
    print(f"  {'what':<46} {'rows':>5} {'max |dp|':>10} {'pred differs':>13} {'beyond':>7} "
          f"{'errors':>7}")
    for a in res["agreement"]:
        for group in ("clean", "missing"):
            g = a[group]
            label = f"{a['name']}, {'clean' if group == 'clean' else 'null/NaN'}"
            print(f"  {label:<46} {g['rows']:>5} {g['max_abs_dprob']:>10.3g} "
                  f"{len(g['prediction_differs']):>13} {len(g['beyond_tol']):>7} {len(g['errors']):>7}")
    print("\n  rows beyond tolerance (probability of class 1; PySpark / servelib / ONNX as converted"
          " / ONNX fixed):")
    for r in res["differing_rows"]:
        print(f"  row {r['row']:>3} {r['input']:<52} {r['pyspark']:.8f} {r['servelib']:.8f} "
              f"{r['onnx_converted']:.8f} {r['onnx_fixed']:.8f}")
    if not res["differing_rows"]:
        print("  none")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller loops, for a smoke run")
    parser.add_argument("--fixture", type=Path, default=None, help=f"a {CASE} fixture directory")
    parser.add_argument("--calls", type=int, default=20000, help="calls per latency line (bounded)")
    parser.add_argument("--seconds", type=float, default=20.0, help="time bound per latency line")
    parser.add_argument("--warmup", type=int, default=1000, help="untimed calls before each line")
    parser.add_argument("--tol", type=float, default=1e-6, help="probability difference reported")
    parser.add_argument("--save-onnx", type=Path, default=None,
                        help="also write converted.onnx (patch 1 only) and fixed.onnx in this dir")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.calls, args.seconds, args.warmup = 2000, 3.0, 200

    import onnx
    import onnxmltools
    import onnxruntime
    import pyspark

    start = machine()
    fixture = fixture_dir(args.fixture)
    schema = json.loads((fixture / "schema.json").read_text())
    inputs = read_rows(fixture / "input.jsonl")
    expected = {r[ROW_ID]: r for r in read_rows(fixture / "expected.jsonl")}

    raw, facts, seconds = convert(fixture / "model", schema)
    converted = fix_opset(raw)
    fixed, notes = fix_semantics(converted, facts, categorical_splits(fixture / "model"))
    if args.save_onnx:
        args.save_onnx.mkdir(parents=True, exist_ok=True)
        onnx.save(converted, str(args.save_onnx / "converted.onnx"))
        onnx.save(fixed, str(args.save_onnx / "fixed.onnx"))

    model = servelib.load(str(fixture / "model")).with_input_types(
        {f["name"]: f["type"] for f in schema["fields"]})
    columns = list(model.input_columns())
    rows = [{c: r.get(c) for c in columns} | {ROW_ID: r[ROW_ID]} for r in inputs]
    missing = {r[ROW_ID] for r in rows if any(is_missing(r[c]) for c in columns)}
    clean = [{c: r[c] for c in columns} for r in rows if r[ROW_ID] not in missing]
    onnx_1, onnx_default = OnnxScorer(fixed, threads=1), OnnxScorer(fixed, threads=None)
    as_converted = OnnxScorer(converted, threads=1)
    merged = OnnxScorer(merge_trees(fixed), threads=1)

    # (a) latency
    bound = (args.calls, args.seconds, args.warmup)
    feeds = [onnx_1.feed(r) for r in clean]
    latency = {
        "rows": len(clean),
        "servelib": timed_cycle(model.score_instance, clean, *bound),
        "onnx_1": timed_cycle(onnx_1.run, feeds, *bound),
        "onnx_default": timed_cycle(onnx_default.run, [onnx_default.feed(r) for r in clean], *bound),
        "onnx_1_feed": timed_cycle(lambda r: onnx_1.run(onnx_1.feed(r)), clean, *bound),
        "merged_1_feed": timed_cycle(lambda r: merged.run(merged.feed(r)), clean, *bound),
    }

    # (b) agreement
    pyspark_out = {i: (list(e["probability"]), float(e["prediction"])) for i, e in expected.items()}
    strip = [{c: r[c] for c in columns} | {ROW_ID: r[ROW_ID]} for r in rows if r[ROW_ID] in expected]
    ours = score_all(lambda r: servelib_score(model, {c: r[c] for c in columns}), strip)
    onnx_conv = score_all(as_converted.score, strip)
    onnx_fixed = score_all(onnx_1.score, strip)
    onnx_merged = score_all(merged.score, strip)
    ours_ok = {i: v for i, v in ours.items() if not isinstance(v, str)}
    checks = [
        agreement("ONNX as converted vs PySpark", onnx_conv, pyspark_out, missing, args.tol),
        agreement("ONNX fixed vs PySpark", onnx_fixed, pyspark_out, missing, args.tol),
        agreement("ONNX fixed, trees merged vs PySpark", onnx_merged, pyspark_out, missing, args.tol),
        agreement("servelib vs PySpark", ours, pyspark_out, missing, args.tol),
        agreement("ONNX fixed vs servelib", onnx_fixed, ours_ok, missing, args.tol),
    ]
    beyond = sorted({r for a in checks for g in ("clean", "missing") for r in a[g]["beyond_tol"]})

    def p1(scored: Mapping[int, Any], row_id: int) -> float:
        value = scored.get(row_id)
        return math.nan if value is None or isinstance(value, str) else value[0][1]

    differing = [
        {"row": i, "input": json.dumps({c: next(r for r in rows if r[ROW_ID] == i)[c] for c in columns}),
         "pyspark": p1(pyspark_out, i), "servelib": p1(ours, i), "onnx_converted": p1(onnx_conv, i),
         "onnx_fixed": p1(onnx_fixed, i)}
        for i in beyond
    ]
    res = {
        "env": {"servelib": servelib.__version__, "onnxruntime": onnxruntime.__version__,
                "onnxmltools": onnxmltools.__version__, "onnx": onnx.__version__,
                "pyspark": pyspark.__version__, "numpy": np.__version__},
        "machine_start": start,
        "machine_end": machine(),
        "fixture": str(fixture.relative_to(ROOT) if fixture.is_relative_to(ROOT) else fixture),
        "args": vars(args) | {"json": None, "fixture": None, "save_onnx": None},
        "conversion": facts | {"seconds": seconds, "fixes": notes},
        "latency": latency,
        "rows": len(strip),
        "missing_rows": sorted(missing),
        "overflow_rows": [r[ROW_ID] for r in rows if any(overflows_float32(r[c]) for c in columns)],
        "agreement": checks,
        "differing_rows": differing,
    }
    report(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
