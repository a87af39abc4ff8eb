"""servelib vs onnxruntime vs PySpark on the production-shaped pipelines of issue 8, in one run.

    tox -e bench-fastpath [-- --quick --json OUT]
    python benchmarks/bench_fastpath.py [--quick] [--case NAME ...] [--json OUT]
        [--onnx-cache DIR] [--onnx-file CASE=PATH ...] [--no-onnx]

Needs, in one Python: servelib's dependencies, PySpark with Java 17, and ``onnxmltools onnx
onnxruntime`` (the versions pinned in tox.ini's bench-onnx). The pipelines are the parity
fixtures of tests/parity/cases/production.py for the installed PySpark line; the rows are that
module's :func:`serving_rows`: dicts as ``pyarrow.Table.to_pylist()`` gives them (int32 columns
as Python ints, booleans as bools, nulls as None), one in 13 dirty (null/NaN in imputed columns,
unseen and null categories, a null in a column the VectorAssembler keeps as NaN).

PySpark (local[2]) runs in a child process, which stays up while servelib and onnxruntime are
timed in this process, which never drove a JVM (:func:`spark_child` says why). Per pipeline:

- load: ``servelib.load`` vs ``pyspark.ml.PipelineModel.load`` (warm JVM), median of
  --load-repeats each;
- ONNX: ``onnxmltools.convert_sparkml`` of the live PySpark model (numeric inputs float [N, 1],
  strings string [N, 1]), with patches that only make the graph load (compare_onnx.py's opset
  import, :func:`label_encoders_v2`, :func:`cast_concat_inputs`): no semantic fix. Its agreement with PySpark on the first --agree-rows serving rows (max |difference|
  of the probability or prediction, differing predictions, rows it cannot score), and servelib's;
- ONNX cache: onnxmltools converts a tree ensemble with one Spark save and read per tree (the
  RF-200 takes most of an hour), so the patched graph is kept in --onnx-cache (default
  ~/.cache/servelib-bench/onnx) under the PySpark line, the case and a hash of the model
  directory's files; a later run loads it instead of converting. ``--onnx-file CASE=PATH`` puts
  a graph converted elsewhere (``onx.SerializeToString()`` of :func:`convert`'s result, e.g.
  /work/cache/onnx/spark-4.3-prod_rf200_pipeline.onnx) under CASE's key first;
- one row: p50/p99 of servelib ``score_instance(row dict)`` (also with ``outputs=`` the one
  compared column) and of onnxruntime (1 thread, feed
  built from the same row dict inside the timed call: None -> NaN / "", bool -> 0/1), cycling over
  a stream of --stream distinct serving rows, at most --calls calls or --seconds s; p99/p50, and
  servelib's p50 on the dirty rows alone (the cliff);
- batch: rows/s on --rows serving rows of PySpark ``transform`` into the noop sink on local[2]
  (the rows cached in Spark; timed in the child), servelib ``transform(Arrow table)`` (its
  default threads; also with ``outputs=``, and on one thread) and onnxruntime ``run`` on the
  whole feed (1 thread), in rounds that run each in turn (medians of --batch-repeats rounds),
  each timed batch right after 0.1 s at least of untimed ones (:func:`interleaved`): a slow
  spell of the VM falls on PySpark and servelib alike.

Nothing here is a test; the figures are in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import hashlib
import io
import os
import json
import math
import multiprocessing
import statistics
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

import servelib  # noqa: E402
from benchmarks.compare_onnx import cycle_samples, fix_opset, machine, percentile  # noqa: E402
from benchmarks.compare_pyspark import median_time, spark_session  # noqa: E402
from tests.parity.cases import production  # noqa: E402
from servelib.transformers import threads  # noqa: E402

CASES = ("prod_lr_pipeline", "prod_rf200_pipeline", "prod_gbt100_regressor",
         "prod_gbt30_classifier")
Row = dict[str, Any]


def arrow_schema() -> pa.Schema:
    types = {"string": pa.string(), "int": pa.int32(), "boolean": pa.bool_(),
             "double": pa.float64()}
    return pa.schema([(f.split()[0], types[f.split()[1]]) for f in production.SCHEMA.split(", ")])


def is_dirty(row: Mapping[str, Any], clean: Mapping[str, Any]) -> bool:
    return any(row[c] is None or row[c] != clean[c] for c in row)


# ---- ONNX --------------------------------------------------------------------------------------
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / \
    "servelib-bench" / "onnx"


def installed(package: str) -> str:
    """Its version, or "not installed" (--no-onnx runs without the ONNX packages)."""
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def spark_line() -> str:
    import pyspark

    return "spark-" + ".".join(pyspark.__version__.split(".")[:2])


def cache_path(cache: Path, case: str, model_dir: Path) -> Path:
    """<cache>/<spark line>-<case>-<sha256 of the model directory's files, 16 hex>.onnx"""
    digest = hashlib.sha256()
    for f in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(str(f.relative_to(model_dir)).encode() + b"\0" + f.read_bytes())
    return cache / f"{spark_line()}-{case}-{digest.hexdigest()[:16]}.onnx"


def seed_cache(cache: Path, given: Sequence[str], paths: Mapping[str, Path]) -> None:
    """--onnx-file CASE=PATH: store a graph converted elsewhere under CASE's key."""
    for item in given:
        case, _, source = item.partition("=")
        if case not in paths or not Path(source).is_file():
            raise SystemExit(f"--onnx-file {item!r}: want CASE=PATH with CASE one of "
                             f"{sorted(paths)} and PATH an existing file")
        target = cache_path(cache, case, paths[case])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(Path(source).read_bytes())


def cached_convert(spark: Any, spark_model: Any, name: str, columns: Sequence[str],
                   target: Path | None) -> tuple[Any, str]:
    """The patched graph from the cache, or converted now (and then cached)."""
    import onnx

    if target is not None and target.is_file():
        return onnx.load_from_string(target.read_bytes()), f"cache {target}"
    onx = convert(spark, spark_model, name, columns)
    if target is None:
        return onx, "converted (no cache)"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(onx.SerializeToString())
    return onx, f"converted, cached in {target}"


class OrtPipeline:
    """onnxruntime (1 thread) on a converted pipeline, fed from row dicts or an Arrow table."""

    def __init__(self, onx: bytes) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(onx, options,
                                            providers=["CPUExecutionProvider"])
        inputs = self.session.get_inputs()
        self.strings = [i.name for i in inputs if i.type == "tensor(string)"]
        self.floats = [i.name for i in inputs if i.type == "tensor(float)"]
        names = [o.name for o in self.session.get_outputs()]
        self.output = "probability" if "probability" in names else "prediction"
        self.outputs = [self.output]

    def feed(self, row: Mapping[str, Any]) -> dict[str, np.ndarray]:
        feed = {}
        for name in self.floats:
            value = row[name]
            feed[name] = np.array([[math.nan if value is None else value]], dtype=np.float32)
        for name in self.strings:
            value = row[name]
            feed[name] = np.array([["" if value is None else value]], dtype=object)
        return feed

    def score(self, row: Mapping[str, Any]) -> Any:
        return self.session.run(self.outputs, self.feed(row))[0]

    def table_feed(self, table: pa.Table) -> dict[str, np.ndarray]:
        feed = {}
        for name in self.floats:
            col = table.column(name).cast(pa.float32()).to_numpy(zero_copy_only=False)
            feed[name] = col.astype(np.float32).reshape(-1, 1)  # nulls are NaN
        for name in self.strings:
            col = table.column(name).fill_null("").to_numpy(zero_copy_only=False)
            feed[name] = col.astype(object).reshape(-1, 1)
        return feed

    def run(self, feed: Mapping[str, np.ndarray]) -> Any:
        return self.session.run(self.outputs, feed)[0]


def convert(spark: Any, spark_model: Any, name: str, columns: Sequence[str]) -> Any:
    from onnxmltools import convert_sparkml
    from onnxmltools.convert.common.data_types import FloatTensorType, StringTensorType

    strings = set(production.STRINGS)
    types = [(c, StringTensorType([None, 1]) if c in strings else FloatTensorType([None, 1]))
             for c in columns]
    # PySpark 4 on pandas 3: one FutureWarning per tree; the converter prints some stages
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas",
                                FutureWarning)
        onx = convert_sparkml(spark_model, name, types, spark_session=spark)
    return fix_opset(cast_concat_inputs(label_encoders_v2(onx)))


def label_encoders_v2(onx: Any) -> Any:
    """onnxmltools' VectorIndexer writes ai.onnx.ml LabelEncoder-1 attributes (classes_strings:
    a string's position in the list) into a graph that imports ai.onnx.ml v2+ (its StringIndexer
    writes LabelEncoder-2), which onnx's checker and onnxruntime refuse. The same mapping in
    LabelEncoder-2 terms (keys_strings -> their positions, default -1), so that it loads; what it
    computes is unchanged, right or wrong."""
    import onnx
    from onnx import helper

    fixed = onnx.ModelProto()
    fixed.CopyFrom(onx)
    for node in fixed.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type != "LabelEncoder" or "classes_strings" not in attrs:
            continue
        keys = [k.decode() for k in attrs["classes_strings"]]
        del node.attribute[:]
        node.attribute.extend([helper.make_attribute("keys_strings", keys),
                               helper.make_attribute("values_int64s", list(range(len(keys)))),
                               helper.make_attribute("default_int64", -1)])
    return fixed  # fix_opset checks it


def cast_concat_inputs(onx: Any) -> Any:
    """onnxmltools' VectorAssembler concatenates a StringIndexer's int64 output with float
    inputs, a Concat onnxruntime refuses: each int64 input of a Concat that also has float inputs
    goes through a Cast to float first (the index as a float feature, as in Spark)."""
    import onnx
    from onnx import TensorProto, helper

    inferred = onnx.shape_inference.infer_shapes(onx)
    types = {v.name: v.type.tensor_type.elem_type
             for v in [*inferred.graph.input, *inferred.graph.value_info, *inferred.graph.output]}
    fixed = onnx.ModelProto()
    fixed.CopyFrom(onx)
    nodes = []
    for node in fixed.graph.node:
        kinds = [types.get(i) for i in node.input]
        if node.op_type == "Concat" and TensorProto.FLOAT in kinds and TensorProto.INT64 in kinds:
            for k, name in enumerate(list(node.input)):
                if types.get(name) == TensorProto.INT64:
                    cast = f"{name}_as_float"
                    nodes.append(helper.make_node("Cast", [name], [cast], name=f"Cast_{cast}",
                                                  to=TensorProto.FLOAT))
                    node.input[k] = cast
        nodes.append(node)
    del fixed.graph.node[:]
    fixed.graph.node.extend(nodes)
    return fixed


def outcome(value: Any) -> list[float]:
    """A probability vector or a prediction as a list of floats (NaN for None)."""
    if value is None:
        return [math.nan]
    if hasattr(value, "toArray"):
        value = value.toArray()
    return [float(v) for v in np.ravel(np.asarray(value, dtype=np.float64))]


def agreement(scored: Sequence[list[float] | str], reference: Sequence[list[float]]) -> dict:
    """max |difference| over rows both scored (NaN where exactly one side is NaN counts as
    differing), rows that differ beyond 1e-6, rows the scorer refused."""
    errors = [i for i, s in enumerate(scored) if isinstance(s, str)]
    worst, differ = 0.0, 0
    for s, r in zip(scored, reference):
        if isinstance(s, str):
            continue
        d = max((0.0 if (math.isnan(a) and math.isnan(b)) else abs(a - b)) for a, b in zip(s, r))
        d = math.inf if math.isnan(d) else d
        worst, differ = max(worst, d), differ + (d > 1e-6)
    return {"rows": len(reference), "max_abs_diff": worst, "rows_beyond_1e-6": differ,
            "errors": len(errors), "first_error": scored[errors[0]] if errors else None}


def try_score(call: Any, row: Row) -> list[float] | str:
    try:
        return outcome(call(row))
    except Exception as exc:  # noqa: BLE001 - reported as a fact
        return f"{type(exc).__name__}: {str(exc)[:200]}"


# ---- timing ------------------------------------------------------------------------------------
def latency(call: Any, rows: Sequence[Row], dirty: Sequence[bool], calls: int, seconds: float
            ) -> dict[str, float]:
    """call(rows[i % n]) after a warm-up: p50/p99 over the mixed stream, p50 of its dirty rows."""
    samples = cycle_samples(call, rows, calls, seconds, warmup=min(len(rows), 500))
    all_samples = sorted(samples)
    dirty_samples = sorted(s for i, s in enumerate(samples) if dirty[i % len(rows)])
    p50, p99 = percentile(all_samples, 0.5) * 1e6, percentile(all_samples, 0.99) * 1e6
    return {"p50_us": p50, "p99_us": p99, "p99_over_p50": p99 / p50, "calls": len(all_samples),
            "dirty_p50_us": percentile(dirty_samples, 0.5) * 1e6 if dirty_samples else math.nan}


def spark_frame(spark: Any, rows: Sequence[Row]) -> Any:
    """The rows with their Spark types (through pandas, int columns with nulls become double)."""
    return spark.createDataFrame([tuple(r[c] for c in production.COLUMNS) for r in rows],
                                 production.SCHEMA)


# ---- one pipeline --------------------------------------------------------------------------------
def with_spark(spark: Any, path: Path, name: str, table: pa.Table, agree_rows: Sequence[Row],
               args: argparse.Namespace) -> tuple[dict[str, Any], Callable[[], None]]:
    """Everything that needs the JVM: load times, conversion, PySpark's answers; and its batch
    (the serving rows cached in Spark, one warm-up run done), for the rounds to time."""
    from pyspark.ml import PipelineModel as SparkPipelineModel

    columns = list(servelib.load(str(path)).input_columns())
    spark_model = SparkPipelineModel.load(str(path))
    res: dict[str, Any] = {
        "load_servelib_s": median_time(lambda: servelib.load(str(path)), args.load_repeats),
        "load_pyspark_s": median_time(lambda: SparkPipelineModel.load(str(path)),
                                      args.load_repeats),
    }
    if args.no_onnx:
        res["onnx_error"] = "not converted (--no-onnx)"
    else:
        try:
            t0 = time.perf_counter()
            target = cache_path(args.onnx_cache, name, path) if args.onnx_cache else None
            res["onnx"], res["onnx_source"] = cached_convert(spark, spark_model, name, columns,
                                                             target)
            res["onnx_seconds"] = time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001 - a converter failure is a result
            res["onnx_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    agree = spark_frame(spark, agree_rows)
    out_col = "probability" if "probability" in spark_model.transform(agree).columns else "prediction"
    res["pyspark_out"] = [outcome(r[out_col]) for r in
                          spark_model.transform(agree).select(out_col).collect()]
    res["out_col"] = out_col
    df = spark_frame(spark, table.to_pylist()).cache()
    df.count()

    def spark_batch() -> None:
        spark_model.transform(df).write.format("noop").mode("overwrite").save()

    spark_batch()
    return res, spark_batch


def spark_child(conn: Connection, paths: Mapping[str, Path], table: pa.Table,
                agree_rows: Sequence[Row], args: argparse.Namespace) -> None:
    """The child process that drives PySpark: :func:`with_spark` of every case, sent as
    ``("ok", {case: figures})`` (ONNX graphs as bytes) or ``("error", traceback)``; then, per
    case name received, one timed PySpark batch, its seconds sent back; None ends it.

    Driving PySpark leaves the driver's Python process with a changed malloc state: there,
    servelib's LR ``transform`` on one thread took 30 ms with ~1,900 page faults a batch, against
    23 ms and none in a process that never ran PySpark (glibc handing freed heap back to the OS;
    MALLOC_TRIM_THRESHOLD_ set high took it back to 24.5 ms). A serving process never runs
    PySpark, so servelib and onnxruntime are timed in one that did not, and PySpark's batches
    in this one, in the same rounds (:func:`interleaved`)."""
    spark = spark_session(cores=2, app="servelib-bench-fastpath")
    try:
        try:
            jvm = {c: with_spark(spark, p, c, table, agree_rows, args) for c, p in paths.items()}
        except Exception:  # noqa: BLE001 - reported to the parent, which raises it
            conn.send(("error", traceback.format_exc()))
            return
        for res, _ in jvm.values():
            if "onnx" in res:
                res["onnx"] = res["onnx"].SerializeToString()
        settle()
        conn.send(("ok", {c: res for c, (res, _) in jvm.items()}))
        while (case := conn.recv()) is not None:
            t0 = time.perf_counter()
            jvm[case][1]()
            took = time.perf_counter() - t0
            settle()
            conn.send(took)
    finally:
        spark.stop()


def settle(step: float = 0.1, limit: float = 5.0) -> None:
    """Return once this process's children (the JVM) are quiet: a tenth of a core at most
    over ``step`` seconds, or after ``limit`` seconds. After each batch the JVM keeps working
    for ~0.3 s (0.13-0.23 s of CPU: compilation, collection, cleanup); on 2 cores that landed on
    the batch timed next in the rounds, and servelib's 2-thread GBT-30 batch took longer than
    its 1-thread one. That work is not counted in PySpark's figure either."""
    end = time.perf_counter() + limit
    last = children_cpu_seconds()
    while time.perf_counter() < end:
        time.sleep(step)
        now = children_cpu_seconds()
        if now - last <= step / 10:
            return
        last = now


def children_cpu_seconds() -> float:
    """User + system CPU seconds of the processes under this one (Linux /proc)."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        cpu[int(entry)] = int(fields[11]) + int(fields[12])
    todo, ticks = list(children.get(os.getpid(), [])), 0
    while todo:
        pid = todo.pop()
        ticks += cpu[pid]
        todo.extend(children.get(pid, []))
    return ticks / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def spark_side(paths: Mapping[str, Path], table: pa.Table, agree_rows: Sequence[Row],
               args: argparse.Namespace) -> Iterator[tuple[dict[str, dict[str, Any]],
                                                          Callable[[str], float]]]:
    """:func:`spark_child` started (spawned: a fresh interpreter), its figures per case, and a
    call that times one PySpark batch of a case there; the child stopped on exit."""
    ctx = multiprocessing.get_context("spawn")
    mine, theirs = ctx.Pipe()
    child = ctx.Process(target=spark_child, args=(theirs, paths, table, agree_rows, args),
                        daemon=True)
    child.start()
    try:
        status, jvm = mine.recv()
        if status != "ok":
            raise RuntimeError(f"the PySpark side failed:\n{jvm}")

        def batch(case: str) -> float:
            mine.send(case)
            return float(mine.recv())

        yield jvm, batch
    finally:
        with contextlib.suppress(OSError):
            mine.send(None)
        child.join(timeout=120)
        if child.is_alive():
            child.kill()


def one_thread(transform: Any, table: pa.Table) -> Any:
    """transform on one thread (SERVELIB_THREADS=1), to set beside onnxruntime's one thread."""
    saved, threads.THREADS = threads.THREADS, 1
    try:
        return transform(table)
    finally:
        threads.THREADS = saved


def interleaved(calls: Mapping[str, Any], rounds: int, own_clock: Sequence[str] = (),
                lead_in: float = 0.1) -> dict[str, float]:
    """Median seconds of each call over ``rounds`` rounds that run every call in turn: a slow
    spell of the VM falls on all of them alike, so their ratios hold. In each round a call
    runs untimed for ``lead_in`` seconds (once at least) right before its timed run: steady
    state, as a batch job's stream of batches. On this VM the first batches after an idle or
    busy spell of the other runtime are slow: servelib's 2-thread GBT-30 batch took 22-40 ms
    for the first two after a PySpark batch or a 0.5 s sleep, then 15-17 ms. The calls named
    in ``own_clock`` return their own seconds (PySpark's batch, timed in its process). The
    process's heap is frozen while they run (gc.freeze), as the server freezes its own after
    loading models."""
    samples: dict[str, list[float]] = {key: [] for key in calls}
    gc.collect()  # the benchmark's own objects (rows, PySpark's) out of the collector's
    gc.freeze()  # passes, as `servelib serve` settles its heap after loading models
    for _ in range(rounds):
        for key, call in calls.items():
            end = time.perf_counter() + lead_in
            call()
            while time.perf_counter() < end:
                call()
            t0 = time.perf_counter()
            took = call()
            samples[key].append(took if key in own_clock else time.perf_counter() - t0)
    gc.unfreeze()
    return {key: statistics.median(v) for key, v in samples.items()}


def without_spark(path: Path, table: pa.Table, stream: Sequence[Row], dirty: Sequence[bool],
                  agree_rows: Sequence[Row], res: dict[str, Any],
                  pyspark_batch: Callable[[], float], args: argparse.Namespace
                  ) -> dict[str, Any]:
    model = servelib.load(str(path))
    out_col = res["out_col"]
    out: dict[str, Any] = {
        "load_servelib_ms": res["load_servelib_s"] * 1e3,
        "load_pyspark_ms": res["load_pyspark_s"] * 1e3,
        "servelib_agreement": agreement(
            [try_score(lambda r: model.score_instance(dict(r))[out_col], r) for r in agree_rows],
            res["pyspark_out"]),
        "servelib_row": latency(lambda r: model.score_instance(dict(r)), stream, dirty,
                                args.calls, args.seconds),
        "servelib_row_outputs": latency(
            lambda r: model.score_instance(dict(r), outputs=[out_col]), stream, dirty,
            args.calls, args.seconds),
        "outputs": [out_col],
    }
    out["threads"] = threads.THREADS
    batch = {"batch_pyspark_s": pyspark_batch,
             "batch_servelib_s": lambda: model.transform(table),
             "batch_servelib_outputs_s": lambda: model.transform(table, outputs=[out_col]),
             "batch_servelib_1thread_s": lambda: one_thread(model.transform, table)}
    try:
        ort = OrtPipeline(res["onnx"]) if "onnx" in res else None
    except Exception as exc:  # noqa: BLE001 - a graph onnxruntime refuses is a result
        res["onnx_error"] = f"onnxruntime refuses the graph: {type(exc).__name__}: {str(exc)[:300]}"
        ort = None
    if ort is not None:
        out["onnx_agreement"] = agreement([try_score(ort.score, r) for r in agree_rows],
                                          res["pyspark_out"])
        out["onnx_row"] = latency(ort.score, stream, dirty, args.calls, args.seconds)
        feed = ort.table_feed(table)
        batch["batch_onnx_s"] = lambda: ort.run(feed)
    else:
        out["onnx_error"] = res["onnx_error"]
    out.update(interleaved(batch, args.batch_repeats, own_clock=["batch_pyspark_s"]))
    for key in ("onnx_source", "onnx_seconds"):
        if key in res:
            out[key] = res[key]
    return out


# ---- report --------------------------------------------------------------------------------------
def report(res: dict[str, Any]) -> None:
    env, m0, m1 = res["env"], res["machine_start"], res["machine_end"]
    print(f"servelib {env['servelib']}, PySpark {env['pyspark']}, onnxruntime {env['onnxruntime']}"
          f" (onnxmltools {env['onnxmltools']}), numpy {env['numpy']}, Python {m0['python']}, "
          f"{m0['cpus']} CPUs; load average {m0['loadavg']} at start, {m1['loadavg']} at end")
    a = res["args"]
    print(f"stream: {a['stream']} serving rows ({res['dirty_share']:.1%} dirty), at most "
          f"{a['calls']} calls or {a['seconds']:g} s per line; batch: {a['rows']} rows, median of "
          f"{a['batch_repeats']}; agreement on {a['agree_rows']} rows")
    for name, r in res["cases"].items():
        print(f"\n== {name}")
        print(f"  load ms: servelib {r['load_servelib_ms']:.1f}, PySpark {r['load_pyspark_ms']:.0f}"
              f" ({r['load_pyspark_ms'] / r['load_servelib_ms']:.0f}x)")
        lines = [("servelib score_instance", r["servelib_row"]),
                 (f"servelib outputs={r['outputs']}", r["servelib_row_outputs"])]
        if "onnx_row" in r:
            lines.append(("onnxruntime dict->feed+run, 1 thread", r["onnx_row"]))
        for label, t in lines:
            print(f"  {label:<38} p50 {t['p50_us']:8.1f} us  p99 {t['p99_us']:8.1f} us  "
                  f"p99/p50 {t['p99_over_p50']:5.1f}  dirty p50 {t['dirty_p50_us']:8.1f} us  "
                  f"({t['calls']} calls)")
        n = a["rows"]
        batch = [(f"servelib transform, {r['threads']} threads", r["batch_servelib_s"]),
                 ("servelib transform, outputs=", r["batch_servelib_outputs_s"]),
                 ("servelib transform, 1 thread", r["batch_servelib_1thread_s"]),
                 ("onnxruntime run, 1 thread", r.get("batch_onnx_s")),
                 ("PySpark transform->noop, local[2]", r["batch_pyspark_s"])]
        for label, s in batch:
            if s is not None:
                print(f"  batch {label:<34} {s * 1e3:9.1f} ms {n / s:12,.0f} rows/s")
        for who in ("servelib", "onnx"):
            g = r.get(f"{who}_agreement")
            if g:
                print(f"  {who} vs PySpark: max |diff| {g['max_abs_diff']:.3g}, "
                      f"{g['rows_beyond_1e-6']} of {g['rows']} rows beyond 1e-6, "
                      f"{g['errors']} errors{'' if not g['first_error'] else ': ' + g['first_error']}")
        if "onnx_error" in r:
            print(f"  no onnxruntime figures: {r['onnx_error']}")
        if "onnx_source" in r:
            print(f"  ONNX graph: {r['onnx_source']} ({r['onnx_seconds']:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small loops, for a smoke run")
    parser.add_argument("--case", nargs="*", default=list(CASES), choices=CASES)
    parser.add_argument("--stream", type=int, default=5000, help="distinct serving rows cycled")
    parser.add_argument("--calls", type=int, default=20000, help="calls per latency line")
    parser.add_argument("--seconds", type=float, default=15.0, help="time bound per line")
    parser.add_argument("--rows", type=int, default=100_000, help="batch rows")
    parser.add_argument("--batch-repeats", type=int, default=3)
    parser.add_argument("--load-repeats", type=int, default=5)
    parser.add_argument("--agree-rows", type=int, default=2000)
    parser.add_argument("--no-onnx", action="store_true",
                        help="skip onnxruntime (onnxmltools saves and reads back every tree "
                             "through Spark: minutes for 200 trees)")
    parser.add_argument("--onnx-cache", type=Path, default=DEFAULT_CACHE,
                        help="converted graphs kept here (default %(default)s)")
    parser.add_argument("--no-onnx-cache", dest="onnx_cache", action="store_const", const=None,
                        help="convert every time, keep nothing")
    parser.add_argument("--onnx-file", action="append", default=[], metavar="CASE=PATH",
                        help="use this converted graph for CASE (stored in the cache first)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.stream, args.calls, args.seconds, args.rows = 1000, 2000, 3.0, 10_000
        args.batch_repeats, args.load_repeats, args.agree_rows = 1, 2, 300

    import pyspark

    start = machine()
    version = ".".join(pyspark.__version__.split(".")[:2])
    paths = {c: ROOT / "tests/parity/fixtures" / f"spark-{version}" / c / "model"
             for c in args.case}
    if args.onnx_file:
        if args.onnx_cache is None:
            parser.error("--onnx-file needs the cache (drop --no-onnx-cache)")
        seed_cache(args.onnx_cache, args.onnx_file, paths)
    stream = production.serving_rows(args.stream)
    dirty = [is_dirty(r, production.clean_row(i))
             for i, r in enumerate(stream, start=1_000_000)]
    table = pa.Table.from_pylist(production.serving_rows(args.rows, start=2_000_000),
                                 arrow_schema())
    agree_rows = stream[: args.agree_rows]
    # PySpark's side in a child process: servelib and onnxruntime are timed in a process that
    # never drove a JVM (see spark_child)
    with spark_side(paths, table, agree_rows, args) as (jvm, pyspark_batch):
        cases = {c: without_spark(p, table, stream, dirty, agree_rows, jvm[c],
                                  functools.partial(pyspark_batch, c), args)
                 for c, p in paths.items()}
    res = {
        "env": {"servelib": servelib.__version__, "pyspark": pyspark.__version__,
                "onnxruntime": installed("onnxruntime"), "onnxmltools": installed("onnxmltools"),
                "numpy": np.__version__},
        "machine_start": start, "machine_end": machine(),
        "args": vars(args) | {"json": None, "onnx_cache": str(args.onnx_cache)},
        "dirty_share": sum(dirty) / len(dirty),
        "cases": cases,
    }
    report(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
