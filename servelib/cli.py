"""The ``servelib`` command: look inside a saved Spark pipeline and score files with it.

    servelib inspect MODEL_DIR [--json]
    servelib score MODEL_DIR --input rows.jsonl|rows.parquet|- [--output out.jsonl|out.parquet]

Rows are encoded as servelib/jsonrows.py says (vectors as objects, NaN and infinities as the
strings "NaN", "Infinity", "-Infinity", so the output is strict JSON). Files are scored in
chunks (servelib/scorefile.py). A ServelibError (bad model, bad input) and a bad command line
exit with status 2 and one line, without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
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
}


# ---- inspect -------------------------------------------------------------------------------
def flatten(model: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(index, stage) for every leaf stage; nested pipelines get dotted indices ("2.0")."""
    from servelib.transformers.pipeline import PipelineModel

    out: list[tuple[str, Any]] = []
    for i, stage in enumerate(model.stages):
        index = f"{prefix}{i}"
        if isinstance(stage, PipelineModel):
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


def _json(value: Any) -> str:
    """One spelling for every value `inspect` prints (NaN as "NaN", like Spark's params)."""
    from servelib.jsonrows import to_json

    return json.dumps(to_json(value), default=str)


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
            print(f"      ({name}: {_json(value)})", file=out)
        for name, value in sorted(s["params"].items()):
            print(f"      {name} = {_json(value)}", file=out)
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
        from servelib.jsonrows import to_json

        json.dump(to_json(d), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print_description(d, sys.stdout)
    return 0


# ---- score ---------------------------------------------------------------------------------
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


def _row_chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def cmd_score(args: argparse.Namespace) -> int:
    import servelib
    from servelib import scorefile as sf

    in_format = sf.file_format(args.input, "input")
    out_format = sf.file_format(args.output, "output") if args.output else "jsonl"
    if args.input != "-" and not Path(args.input).exists():
        raise InvalidInput(f"input {args.input} does not exist")
    model = servelib.load(args.model)
    report = sf.Report(unit="line" if in_format == "jsonl" else "row")
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    with contextlib.ExitStack() as stack:
        if in_format == "parquet":
            total, tables = sf.parquet_batches(args.input, args.batch_size)
            bar = stack.enter_context(sf.progress(total, show, "rows"))
            scored_tables = _counted(sf.score_tables(model, args.input, tables, report), bar,
                                     lambda t: t.num_rows)
            rows = (r for t in scored_tables for r in table_to_rows(t))
        else:
            stream = sys.stdin.buffer if args.input == "-" else stack.enter_context(
                open(args.input, "rb"))
            bar = stack.enter_context(sf.progress(None, show, "rows"))
            rows = _counted(sf.score_jsonl(model, args.input, stream, args.batch_size, report,
                                           args.skipped == "marker"), bar, lambda r: 1)
            scored_tables = (rows_to_table(c) for c in _row_chunks(rows, args.batch_size))
        if args.output is None:
            sf.write_jsonl(rows, sys.stdout)
        else:
            with sf.atomic_output(args.output) as tmp:
                if out_format == "parquet":
                    sf.write_parquet(scored_tables, tmp)
                else:
                    with open(tmp, "w", encoding="utf-8") as f:
                        sf.write_jsonl(rows, f)
                _check_not_empty(report, args.input)
    _check_not_empty(report, args.input)
    if args.output is not None or report.skipped:
        print(f"servelib: {report.summary(args.output or 'stdout')}", file=sys.stderr)
    return 0


def _counted(items: Iterator[Any], bar: Any, size: Any) -> Iterator[Any]:
    for item in items:
        if bar is not None:
            bar.update(size(item))
        yield item


def _check_not_empty(report: Any, source: str) -> None:
    if report.scored == 0 and report.skipped == 0:
        raise InvalidInput(f"input {source} has no rows; nothing was scored or written")


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

    p = sub.add_parser("score", help="score a JSON-lines or Parquet file, streamed")
    p.add_argument("model", metavar="MODEL_DIR", help="what PipelineModel.save() wrote (path or URI)")
    p.add_argument("--input", "-i", required=True,
                   help="rows.jsonl (one JSON object per line, '-' for stdin), rows.parquet or "
                        "a Parquet dataset directory")
    p.add_argument("--output", "-o", default=None,
                   help="out.jsonl or out.parquet, written only when every row scored "
                        "(default: JSON lines on stdout)")
    p.add_argument("--batch-size", type=positive_int, default=1024,
                   help="rows scored at a time; bounds memory (default 1024)")
    p.add_argument("--skipped", choices=("report", "marker"), default="report",
                   help="rows Spark skips (handleInvalid='skip'): 'report' counts them on stderr "
                        "with their line numbers; 'marker' also writes a {\"_skipped\": ...} line "
                        "in their place (JSON-lines output only)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    p.set_defaults(func=cmd_score, check=_check_score_args)
    return parser


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _check_score_args(args: argparse.Namespace) -> str | None:
    from servelib.scorefile import PARQUET

    if args.skipped == "marker" and (args.output or "").lower().endswith(PARQUET):
        return "--skipped marker writes JSON lines; it cannot go with a Parquet --output"
    return None


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    for action in parser._subparsers._group_actions:  # noqa: SLF001 - argparse has no getter
        if command in action.choices:
            return action.choices[command]
    return parser  # pragma: no cover


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check = getattr(args, "check", None)
    problem = check(args) if check else None
    if problem:
        _subparser(parser, args.command).error(problem)  # usage of the sub-command, exit 2
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
