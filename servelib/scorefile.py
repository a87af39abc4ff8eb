"""Score a file with a model: JSON lines or Parquet in, JSON lines or Parquet out, streamed.

Memory stays bounded by one chunk (``batch_size`` rows) whatever the file's size: JSON lines go
through ``score_instances`` a chunk at a time, Parquet record batches through ``transform``, and
the output is appended as it is produced. Output goes to a temporary file beside the target and is
renamed over it only when every row was scored, so a failed run leaves no partial file.

Rows Spark drops (handleInvalid="skip") are reported: counted with their input line (JSON) or row
number (Parquet, counting from 1), and with ``skipped="marker"`` a JSON line
``{"_skipped": {"line": N, "reason": "..."}}`` takes the row's place so output lines stay aligned
with input lines.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from servelib.errors import InvalidInput, RowSkipped
from servelib.jsonrows import dumps, read_jsonl

_KEY = "\x00servelib_row"  # row number carried through scoring (stages pass unknown columns)
JSONL = (".jsonl", ".ndjson", ".json")
PARQUET = (".parquet", ".pq")
_SHOWN = 20  # skipped row numbers listed in the report


def file_format(path: str, role: str) -> str:
    """"jsonl" or "parquet" from a path's extension (a directory is a Parquet dataset)."""
    if path == "-" or path.lower().endswith(JSONL):
        return "jsonl"
    if path.lower().endswith(PARQUET) or (role == "input" and Path(path).is_dir()):
        return "parquet"
    raise InvalidInput(
        f"{role} {path}: unknown file type; use one of {', '.join(JSONL + PARQUET)}"
        + (" or '-' for stdin" if role == "input" else " (or no --output for JSON lines on stdout)")
    )


@dataclass
class Report:
    scored: int = 0
    skipped: int = 0
    skipped_at: list[int] = field(default_factory=list)  # the first _SHOWN line/row numbers
    unit: str = "line"

    def skip(self, number: int) -> None:
        self.skipped += 1
        if len(self.skipped_at) < _SHOWN:
            self.skipped_at.append(number)

    def summary(self, target: str) -> str:
        text = f"scored {_plural(self.scored, 'row')} -> {target}"
        if self.skipped:
            more = ", ..." if self.skipped > len(self.skipped_at) else ""
            where = ", ".join(map(str, self.skipped_at)) + more
            text += (f"; {_plural(self.skipped, 'row')} skipped as Spark skips them "
                     f"(handleInvalid='skip'), at {self.unit}s {where}")
        return text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ---- JSON lines in --------------------------------------------------------------------------
def score_jsonl(model: Any, path: str, stream: BinaryIO, batch_size: int, report: Report,
                markers: bool) -> Iterator[dict[str, Any]]:
    chunk: list[tuple[int, dict[str, Any]]] = []
    for item in read_jsonl(path, stream):
        chunk.append(item)
        if len(chunk) == batch_size:
            yield from _score_chunk(model, path, chunk, report, markers)
            chunk = []
    if chunk:
        yield from _score_chunk(model, path, chunk, report, markers)


def _score_chunk(model: Any, path: str, chunk: list[tuple[int, dict[str, Any]]], report: Report,
                 markers: bool) -> Iterator[dict[str, Any]]:
    tagged = [{**row, _KEY: line} for line, row in chunk]
    try:
        scored = model.score_instances(tagged)
    except InvalidInput:
        _raise_first_error(model, path, chunk)
        raise
    by_line = {row.pop(_KEY): row for row in scored}
    for line, row in chunk:
        out = by_line.get(line)
        if out is not None:
            report.scored += 1
            yield out
            continue
        report.skip(line)
        if markers:
            yield {"_skipped": {"line": line, "reason": _skip_reason(model, row)}}


def _raise_first_error(model: Any, path: str, chunk: list[tuple[int, dict[str, Any]]]) -> None:
    """Score the chunk's rows one by one to name the input line of the first bad row."""
    for line, row in chunk:
        try:
            model.score_instance(row)
        except RowSkipped:
            continue
        except InvalidInput as exc:
            raise InvalidInput(f"{path} line {line}: {exc.reason}", column=exc.column,
                               stage=exc.stage) from exc


def _skip_reason(model: Any, row: Mapping[str, Any]) -> str:
    try:
        model.score_instance(row)
    except RowSkipped as exc:
        return str(exc)
    return "skipped in its chunk"  # pragma: no cover - a row skipped only next to others


# ---- Parquet in ----------------------------------------------------------------------------
def parquet_batches(path: str, batch_size: int) -> tuple[int, Iterator[Any]]:
    """(row count, record batches as tables) of a Parquet file or dataset directory."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    try:
        dataset = ds.dataset(path, format="parquet")
        total = dataset.count_rows()
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInput(f"cannot read Parquet {path}: {exc}") from exc
    batches = (pa.Table.from_batches([b]) for b in dataset.to_batches(batch_size=batch_size))
    return total, batches


def score_tables(model: Any, path: str, tables: Iterator[Any], report: Report) -> Iterator[Any]:
    import pyarrow as pa

    offset = 0
    for table in tables:
        n = table.num_rows
        numbered = table.append_column(_KEY, pa.array(range(offset + 1, offset + n + 1), pa.int64()))
        try:
            out = model.transform(numbered)
        except RowSkipped:  # pragma: no cover - transform drops skipped rows
            raise
        except InvalidInput as exc:
            where = f"row {offset + exc.row + 1}" if exc.row is not None else f"rows {offset + 1}-{offset + n}"
            raise InvalidInput(f"{path} {where}: {exc.reason}", column=exc.column,
                               stage=exc.stage) from exc
        kept = out.column(_KEY).to_pylist()
        if len(kept) < n:
            alive = set(kept)
            for number in range(offset + 1, offset + n + 1):
                if number not in alive:
                    report.skip(number)
        report.scored += len(kept)
        offset += n
        yield out.drop_columns([_KEY])


# ---- rows <-> Arrow ------------------------------------------------------------------------
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


# ---- output --------------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_output(target: str) -> Iterator[str]:
    """A temporary path beside ``target``, renamed over it when the block ends without error."""
    parent = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{os.path.basename(target)}.", suffix=".part")
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_jsonl(rows: Iterator[Mapping[str, Any]], out: TextIO) -> None:
    for row in rows:
        out.write(dumps(row) + "\n")


def write_parquet(tables: Iterator[Any], path: str) -> None:
    import pyarrow.parquet as pq

    writer = None
    try:
        for table in tables:
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            elif table.schema != writer.schema:
                table = table.cast(writer.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def progress(total: int | None, enabled: bool, unit: str) -> Any:
    """A tqdm bar on stderr (rows), or a no-op when disabled or tqdm is missing."""
    if enabled:
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - tqdm is a dependency
            enabled = False
        else:
            return tqdm(total=total, unit=unit, file=sys.stderr, leave=False)
    return contextlib.nullcontext(None)
