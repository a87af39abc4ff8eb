"""The ``servelib`` command: look inside a saved Spark pipeline and score files with it.

    servelib inspect MODEL_DIR [--json]
    servelib score MODEL_DIR --input rows.jsonl|rows.parquet|- [--output out.jsonl|out.parquet]
    servelib parity MODEL_DIR DATA [--expected FILE]
    servelib serve | predict | lb-config    (the prediction service: see cli_service.py)
    servelib monitor | features | bench     (monitoring/, features/, bench/ command modules)

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
    from servelib.record import deployment_record, model_record

    from servelib.support import scan

    stages = scan(args.model)
    missing = [s for s in stages if not s.supported]
    if missing:
        print(f"servelib: {len(missing)} of {len(stages)} stages of {args.model} cannot be scored:",
              file=sys.stderr)
        for s in missing:
            print(f"  [{s.index}] {s.uid}  {s.spark_class}: {s.reason}", file=sys.stderr)
        return EXIT_ERROR
    model = servelib.load(args.model)
    record = model_record(model, args.model, deployment_record(args.model))
    if args.json:
        from servelib.jsonrows import to_json

        json.dump(to_json(record), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print_description(record, sys.stdout)
        print_record(record, sys.stdout)
    return 0


def print_record(record: Mapping[str, Any], out: TextIO) -> None:
    print(f"\nsupport:        every stage is supported ({len(record['stages'])} stages)",
          file=out)
    print(f"saved at:       {record['saved_at'] or 'unknown'}", file=out)
    print("output types:   " + ", ".join(f"{o['name']} {o['type']}" for o in record["output_types"]),
          file=out)
    for entry in record["feature_report"]:
        print(f"\n{entry['kind'].replace('_', ' ')} of {entry['stage']} (by slot of "
              f"{entry['column']!r}):", file=out)
        rows = entry["by_slot"] if isinstance(entry["by_slot"], list) else [entry["by_slot"]]
        for k, by_slot in enumerate(rows):
            prefix = f"  class {k}: " if len(rows) > 1 else "  "
            print(prefix + "  ".join(f"{name}={_json(v)}" for name, v in by_slot.items()), file=out)
        if "intercepts" in entry:
            print(f"  intercepts: {_json(entry['intercepts'])}", file=out)
    if record["deployment"]:
        print("\ndeployment record (serving spec):", file=out)
        for key, value in record["deployment"].items():
            print(f"  {key}: {_json(value)}", file=out)


# ---- score ---------------------------------------------------------------------------------
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
            rows = (r for t in scored_tables for r in sf.table_to_rows(t))
        else:
            stream = sys.stdin.buffer if args.input == "-" else stack.enter_context(
                open(args.input, "rb"))
            bar = stack.enter_context(sf.progress(None, show, "rows"))
            rows = _counted(sf.score_jsonl(model, args.input, stream, args.batch_size, report,
                                           args.skipped == "marker"), bar, lambda r: 1)
            scored_tables = (sf.rows_to_table(c) for c in _row_chunks(rows, args.batch_size))
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


# ---- parity --------------------------------------------------------------------------------
MISMATCH = 1


def _read_rows(path: str, batch_size: int) -> list[dict[str, Any]]:
    from servelib import scorefile as sf

    if sf.file_format(path, "input") == "parquet":
        _, tables = sf.parquet_batches(path, batch_size)
        return [row for table in tables for row in sf.table_to_rows(table)]
    from servelib.jsonrows import read_jsonl

    if path != "-" and not Path(path).exists():
        raise InvalidInput(f"input {path} does not exist")
    with contextlib.ExitStack() as stack:
        stream = sys.stdin.buffer if path == "-" else stack.enter_context(open(path, "rb"))
        return [row for _, row in read_jsonl(path, stream)]


def cmd_parity(args: argparse.Namespace) -> int:
    import servelib
    from servelib import paritycheck as pc
    from servelib import scorefile as sf

    model = servelib.load(args.model)
    rows = _read_rows(args.data, args.batch_size)
    if not rows:
        raise InvalidInput(f"input {args.data} has no rows; nothing to compare")
    table = sf.rows_to_table(pc.keyed(rows, args.key))
    ours = list(sf.table_to_rows(model.transform(table)))
    if args.expected:
        spark = pc.keyed(_read_rows(args.expected, args.batch_size), args.key)
    else:
        try:
            from servelib.spark.live import spark_transform
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise InvalidInput("live parity needs PySpark (pip install 'servelib[spark]') and "
                               "Java 17; or compare with --expected FILE") from exc
        spark = spark_transform(args.model, table)
    present = set().union(*(r.keys() for r in spark))
    columns = [c for c in model.output_columns() if c in present]
    if not columns:
        raise InvalidInput(f"the Spark output has none of the model's output columns "
                           f"{list(model.output_columns())}")
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    with sf.progress(len(ours), show, "rows") as bar:
        report = pc.compare(ours, spark, columns, pc.ROW, rtol=args.rtol, atol=args.atol,
                            show=args.show, progress=bar)
    if args.json:
        json.dump(pc.report_json(report), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        pc.print_report(report, sys.stdout)
    missing = [c for c in model.output_columns() if c not in present]
    if missing:
        print(f"servelib: note: not in the Spark output, not compared: {', '.join(missing)}",
              file=sys.stderr)
    return 0 if report.ok else MISMATCH


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

    p = sub.add_parser(
        "parity", help="compare servelib with Spark on your own model and rows",
        description="Score DATA with servelib and with Spark (live PySpark, or output Spark wrote "
                    "earlier with --expected) and compare every output column. Exit status: 0 "
                    "parity, 1 a mismatch, 2 bad usage or input.")
    p.add_argument("model", metavar="MODEL_DIR", help="what PipelineModel.save() wrote (path or URI)")
    p.add_argument("data", metavar="DATA", help="rows.parquet, a Parquet directory or rows.jsonl")
    p.add_argument("--expected", metavar="FILE",
                   help="Spark's transform output saved earlier (Parquet or JSON lines): no JVM")
    p.add_argument("--key", metavar="COL",
                   help="column that identifies a row in DATA and in the Spark output "
                        "(default: match rows by position)")
    p.add_argument("--rtol", type=float, default=1e-9,
                   help="relative tolerance for doubles and vector entries (default 1e-9)")
    p.add_argument("--atol", type=float, default=0.0, help="absolute tolerance (default 0)")
    p.add_argument("--show", type=positive_int, default=5,
                   help="mismatching rows listed per column (default 5)")
    p.add_argument("--batch-size", type=positive_int, default=65536, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    p.set_defaults(func=cmd_parity)

    from servelib.monitoring.command import add_parser as add_monitor

    add_monitor(sub)

    from servelib.features.command import add_parser as add_features

    add_features(sub)

    from servelib.cli_service import add_service_commands

    add_service_commands(sub)

    from servelib.bench.command import add_parser as add_bench

    add_bench(sub)

    from servelib.bench.profile import add_parser as add_profile

    add_profile(sub)
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
