"""The ``servelib`` command: look inside a saved Spark pipeline and score files with it.

    servelib inspect MODEL_DIR [--json]
    servelib score MODEL_DIR --input rows.jsonl|rows.parquet [--output out.jsonl|out.parquet]

JSON lines carry vectors as ``{"type": "dense", "values": [...]}`` or ``{"type": "sparse",
"size": n, "indices": [...], "values": [...]}`` (both in and out), and NaN/Infinity as Python's
``json`` module spells them. Parquet input goes through ``transform()``; vector columns use
Spark's VectorUDT struct layout. A ServelibError (bad model, bad input) exits with status 2 and
its message, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from servelib.errors import InvalidInput, ServelibError

EXIT_ERROR = 2

# What each stage accepts in the params that name its input columns, by Spark's simple class
# name. Descriptions only (for `inspect`); scoring checks types itself.
_NUMBER, _VECTOR = "number", "vector"
INPUT_TYPES: dict[str, dict[str, str]] = {
    "StringIndexerModel": dict.fromkeys(("inputCol", "inputCols"), "string or number"),
    "IndexToString": {"inputCol": "label index (number)"},
    "OneHotEncoderModel": dict.fromkeys(("inputCol", "inputCols"), "category index (number)"),
    "VectorAssembler": {"inputCols": "number, boolean or vector"},
    "VectorSlicer": {"inputCol": _VECTOR},
    "VectorIndexerModel": {"inputCol": _VECTOR},
    "VectorSizeHint": {"inputCol": _VECTOR},
    "Interaction": {"inputCols": "number or vector"},
    "StandardScalerModel": {"inputCol": _VECTOR},
    "MinMaxScalerModel": {"inputCol": _VECTOR},
    "MaxAbsScalerModel": {"inputCol": _VECTOR},
    "RobustScalerModel": {"inputCol": _VECTOR},
    "ImputerModel": dict.fromkeys(("inputCol", "inputCols"), _NUMBER),
    "Bucketizer": dict.fromkeys(("inputCol", "inputCols"), _NUMBER),
    "Binarizer": {"inputCol": "number or vector", "inputCols": _NUMBER},
    "Normalizer": {"inputCol": _VECTOR},
    "ElementwiseProduct": {"inputCol": _VECTOR},
    "PolynomialExpansion": {"inputCol": _VECTOR},
    "DCT": {"inputCol": _VECTOR},
    "LogisticRegressionModel": {"featuresCol": _VECTOR},
    "LinearSVCModel": {"featuresCol": _VECTOR},
    "NaiveBayesModel": {"featuresCol": _VECTOR},
    "LinearRegressionModel": {"featuresCol": _VECTOR},
    "GeneralizedLinearRegressionModel": {"featuresCol": _VECTOR, "offsetCol": _NUMBER},
    **dict.fromkeys(
        (
            f"{kind}{task}Model"
            for kind in ("DecisionTree", "RandomForest", "GBT")
            for task in ("Classification", "Regression")
        ),
        {"featuresCol": _VECTOR},
    ),
    **dict.fromkeys(
        (f"SparkXGB{task}Model" for task in ("Classifier", "Regressor", "Ranker")),
        {"featuresCol": _VECTOR, "features_cols": _NUMBER, "base_margin_col": _NUMBER},
    ),
    **dict.fromkeys(
        ("ChiSqSelectorModel", "UnivariateFeatureSelectorModel", "VarianceThresholdSelectorModel",
         "MultilayerPerceptronClassificationModel", "FMClassificationModel", "FMRegressionModel",
         "AFTSurvivalRegressionModel", "KMeansModel", "BisectingKMeansModel",
         "GaussianMixtureModel", "OneVsRestModel"),
        {"featuresCol": _VECTOR},
    ),
    **dict.fromkeys(("PCAModel", "MinHashLSHModel", "BucketedRandomProjectionLSHModel"),
                    {"inputCol": _VECTOR}),
    "IsotonicRegressionModel": {"featuresCol": "number or vector"},
    "TargetEncoderModel": dict.fromkeys(("inputCol", "inputCols"), "category index (number)"),
    "ALSModel": dict.fromkeys(("userCol", "itemCol"), "integer id (number)"),
}


# ---- inspect -------------------------------------------------------------------------------
def flatten(model: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(index, stage) for every leaf stage; nested pipelines get dotted indices ("2.0")."""
    from servelib.transformers.pipeline import PipelineModel
    from servelib.transformers.tuning import ValidatorModel

    out: list[tuple[str, Any]] = []
    for i, stage in enumerate(model.stages):
        index = f"{prefix}{i}"
        if isinstance(stage, (PipelineModel, ValidatorModel)):  # a validator: its best model
            out += flatten(stage, index + ".")
        else:
            out.append((index, stage))
    return out


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def input_type(stage: Any, column: str) -> tuple[str | None, str]:
    """(param naming ``column``, expected type) for a stage that reads ``column``."""
    table = INPUT_TYPES.get(stage.spark_class.rsplit(".", 1)[-1], {})
    params = stage.info.get("params", {}) if stage.info else {}
    for param, description in table.items():
        if column in _names(params.get(param)):
            return param, description
    return None, "unknown"


_NOT_FACTS = {"params", "spark_version", "path"}


def describe(model: Any, path: str) -> dict[str, Any]:
    """Everything `inspect` shows, as JSON-ready data."""
    stages = flatten(model)
    single = len(model.stages) == 1 and model.uid == model.stages[0].uid
    info = model.info or {}
    version = info.get("spark_version") or next(
        (s.info.get("spark_version") for _, s in stages if s.info), None
    )
    inputs = []
    for column in model.input_columns():
        reader = next((s for _, s in stages if column in s.input_columns()), None)
        param, kind = input_type(reader, column) if reader is not None else (None, "unknown")
        inputs.append({"name": column, "type": kind, "stage": reader.uid if reader else None,
                       "param": param})
    return {
        "path": path,
        "uid": model.uid,
        "saved_as": "stage" if single else "PipelineModel",
        "spark_version": version,
        "stages": [
            {
                "index": index,
                "uid": stage.uid,
                "class": stage.spark_class,
                "params": dict((stage.info or {}).get("params", {})),
                "facts": {k: v for k, v in (stage.info or {}).items() if k not in _NOT_FACTS},
                "inputs": list(stage.input_columns()),
                "outputs": list(stage.output_columns()),
            }
            for index, stage in stages
        ],
        "inputs": inputs,
        "outputs": list(model.output_columns()),
    }


def print_description(d: Mapping[str, Any], out: TextIO) -> None:
    kind = "a single saved stage" if d["saved_as"] == "stage" else f"PipelineModel {d['uid']}"
    print(f"model:          {d['path']}", file=out)
    print(f"saved as:       {kind}", file=out)
    print(f"Spark version:  {d['spark_version'] or 'unknown'}", file=out)
    print(f"\nstages ({len(d['stages'])}):", file=out)
    for s in d["stages"]:
        print(f"  [{s['index']}] {s['uid']}  {s['class']}", file=out)
        print(f"      in: {', '.join(s['inputs']) or '-'}   out: {', '.join(s['outputs']) or '-'}",
              file=out)
        for name, value in s["facts"].items():  # what the loader found in the fitted data
            print(f"      ({name}: {json.dumps(value, default=str)})", file=out)
        for name, value in sorted(s["params"].items()):
            print(f"      {name} = {json.dumps(value, default=str)}", file=out)
    print("\nrequired input columns:", file=out)
    width = max((len(c["name"]) for c in d["inputs"]), default=0)
    for c in d["inputs"]:
        where = f"  ({c['stage']}.{c['param']})" if c["param"] else f"  ({c['stage']})"
        print(f"  {c['name']:<{width}}  {c['type']}{where}", file=out)
    print("\noutput columns:", file=out)
    print(f"  {', '.join(d['outputs']) or '-'}", file=out)


def cmd_inspect(args: argparse.Namespace) -> int:
    import servelib

    model = servelib.load(args.model)
    d = describe(model, args.model)
    if args.json:
        json.dump(d, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print_description(d, sys.stdout)
    return 0


# ---- score ---------------------------------------------------------------------------------
def is_parquet(path: str) -> bool:
    return path.endswith((".parquet", ".pq")) or Path(path).is_dir()


def vector_from_json(value: Any) -> Any:
    """A ``{"type": "dense"|"sparse", ...}`` object to a servelib vector; other values as is."""
    from servelib.vectors import DenseVector, SparseVector

    if isinstance(value, dict) and value.get("type") in ("dense", "sparse"):
        if value["type"] == "dense":
            return DenseVector(value["values"])
        return SparseVector(value["size"], value["indices"], value["values"])
    return value


def to_json(value: Any) -> Any:
    from servelib.vectors import DenseVector, SparseVector

    if isinstance(value, DenseVector):
        return {"type": "dense", "values": value.values.tolist()}
    if isinstance(value, SparseVector):
        return {"type": "sparse", "size": value.size, "indices": value.indices.tolist(),
                "values": value.values.tolist()}
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # stray NumPy scalar
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def read_jsonl(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) for every non-blank line."""
    f = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    try:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{path} line {lineno}: not JSON: {exc}") from exc
            if not isinstance(row, dict):
                raise InvalidInput(f"{path} line {lineno}: expected a JSON object per line")
            yield lineno, {k: vector_from_json(v) for k, v in row.items()}
    finally:
        if f is not sys.stdin:
            f.close()


def chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def score_jsonl(model: Any, path: str, batch_size: int) -> Iterator[dict[str, Any]]:
    for chunk in chunks(read_jsonl(path), batch_size):
        lines = [n for n, _ in chunk]
        try:
            yield from model.score_instances([row for _, row in chunk])
        except InvalidInput as exc:
            if exc.row is not None and 0 <= exc.row < len(lines):
                raise InvalidInput(f"{path} line {lines[exc.row]}: {exc}") from exc
            raise


def rows_to_table(rows: Sequence[Mapping[str, Any]]) -> Any:
    """Scored rows to an Arrow table; vector columns in Spark's VectorUDT struct layout."""
    import pyarrow as pa

    from servelib.vectors import VECTOR_ARROW_TYPE, DenseVector, SparseVector

    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        if any(isinstance(v, (DenseVector, SparseVector)) for v in values):
            structs = [_vector_struct(v) for v in values]
            columns[name] = pa.array(structs, VECTOR_ARROW_TYPE)
        else:
            try:
                columns[name] = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise InvalidInput(f"column {name!r} mixes types, cannot write Parquet: {exc}") from exc
    return pa.table(columns)


def _vector_struct(v: Any) -> dict[str, Any] | None:
    from servelib.vectors import SparseVector, as_vector

    v = as_vector(v)
    if v is None:
        return None
    if isinstance(v, SparseVector):
        return {"type": 0, "size": v.size, "indices": v.indices.tolist(), "values": v.values.tolist()}
    return {"type": 1, "size": None, "indices": None, "values": v.values.tolist()}


def table_to_rows(table: Any) -> Iterator[dict[str, Any]]:
    from servelib.vectors import is_vector_struct, vector_from_struct

    vec_cols = [f.name for f in table.schema if is_vector_struct(f.type)]
    for batch in table.to_batches(max_chunksize=4096):
        for row in batch.to_pylist():
            for name in vec_cols:
                row[name] = vector_from_struct(row[name])
            yield row


def write_jsonl(rows: Iterator[Mapping[str, Any]], out: TextIO) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps({k: to_json(v) for k, v in row.items()}) + "\n")
        n += 1
    return n


def cmd_score(args: argparse.Namespace) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    import servelib

    model = servelib.load(args.model)
    if args.input != "-" and not Path(args.input).exists():
        raise InvalidInput(f"input {args.input} does not exist")
    parquet_out = args.output is not None and is_parquet(args.output)
    if args.input != "-" and is_parquet(args.input):
        try:
            table = pq.read_table(args.input)
        except (pa.ArrowException, OSError) as exc:
            raise InvalidInput(f"cannot read Parquet {args.input}: {exc}") from exc
        scored = model.transform(table)
        if parquet_out:
            pq.write_table(scored, args.output)
            return _done(args, scored.num_rows)
        return _write_rows(args, table_to_rows(scored))
    rows = score_jsonl(model, args.input, args.batch_size)
    if parquet_out:
        collected = list(rows)
        pq.write_table(rows_to_table(collected), args.output)
        return _done(args, len(collected))
    return _write_rows(args, rows)


def _write_rows(args: argparse.Namespace, rows: Iterator[Mapping[str, Any]]) -> int:
    if args.output is None:
        write_jsonl(rows, sys.stdout)
        return 0
    with open(args.output, "w", encoding="utf-8") as f:
        n = write_jsonl(rows, f)
    return _done(args, n)


def _done(args: argparse.Namespace, n: int) -> int:
    print(f"scored {n} rows -> {args.output}", file=sys.stderr)
    return 0


# ---- entry point ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from servelib import __version__

    parser = argparse.ArgumentParser(
        prog="servelib", description="Serve Apache Spark ML pipelines without Spark."
    )
    parser.add_argument("--version", action="version", version=f"servelib {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("inspect", help="show a saved model's stages, params and columns")
    p.add_argument("model", metavar="MODEL_DIR", help="what PipelineModel.save() wrote (path or URI)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("score", help="score a JSON-lines or Parquet file")
    p.add_argument("model", metavar="MODEL_DIR", help="what PipelineModel.save() wrote (path or URI)")
    p.add_argument("--input", "-i", required=True,
                   help="rows.jsonl (one JSON object per line, '-' for stdin) or rows.parquet")
    p.add_argument("--output", "-o", default=None,
                   help="out.jsonl or out.parquet (default: JSON lines on stdout)")
    p.add_argument("--batch-size", type=int, default=1024,
                   help="JSON-lines rows per score_instances call (default 1024)")
    p.set_defaults(func=cmd_score)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "batch_size", 1) < 1:
        parser.error("--batch-size must be at least 1")
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. `servelib score ... | head`
        return 0
    except ServelibError as exc:
        print(f"servelib: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # unreadable/unwritable input or output file
        print(f"servelib: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
