"""`servelib score` as a new user meets it: encodings, failures, skipped rows, file types,
streaming and the messages it prints (issue 12's CLI defects, one test each)."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from servelib import cli
from tests.test_cli import BINARIZER_VEC, DEMO, FIXTURES, run, run_subprocess, write_jsonl

SKIPPER = FIXTURES / "spark-4.3/string_indexer_alpha_desc_skip/model"  # skips unseen colors
GOOD = {"amount": 980.0, "age": 19.0, "city": "berlin"}
BAD = {"amount": None, "age": 30.0, "city": "paris"}  # VectorAssembler: Spark fails on null


def test_not_utf8_is_one_line_and_exit_2(tmp_path):
    src = tmp_path / "rows.jsonl"
    src.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"city": "\xff\xfe"}\n')
    proc = run_subprocess("score", DEMO / "model", "--input", src)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "line 2" in proc.stderr and "not UTF-8" in proc.stderr


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_failed_run_leaves_no_output_file(capsys, tmp_path, suffix):
    src = write_jsonl(tmp_path / "rows.jsonl", [GOOD] * 5 + [BAD])
    dst = tmp_path / f"out{suffix}"
    code, _, err = run(capsys, "score", DEMO / "model", "-i", src, "-o", dst, "--batch-size", "2")
    assert code == cli.EXIT_ERROR, err
    assert not dst.exists() and list(tmp_path.iterdir()) == [src]  # no temporary left either
    dst.write_text("old contents\n")  # an existing file is not clobbered by a failed run
    run(capsys, "score", DEMO / "model", "-i", src, "-o", dst, "--batch-size", "2")
    assert dst.read_text() == "old contents\n"


def test_error_names_the_input_line_not_the_position_in_a_chunk(capsys, tmp_path):
    rows = [GOOD] * 376 + [BAD]
    src = write_jsonl(tmp_path / "rows.jsonl", rows)
    code, _, err = run(capsys, "score", DEMO / "model", "-i", src, "--batch-size", "100")
    assert code == cli.EXIT_ERROR
    assert "line 377" in err and "row 76" not in err and "'amount'" in err


def test_parquet_error_names_the_row_of_the_file(capsys, tmp_path):
    src = tmp_path / "rows.parquet"
    amounts = [1.0] * 300 + [None]
    pq.write_table(pa.table({"amount": amounts, "age": [30.0] * 301, "city": ["paris"] * 301}), src)
    code, _, err = run(capsys, "score", DEMO / "model", "-i", src, "--batch-size", "100")
    assert code == cli.EXIT_ERROR
    assert "row 301" in err and "'amount'" in err


def test_output_is_strict_json(capsys, tmp_path):
    src = write_jsonl(tmp_path / "rows.jsonl", [
        {"v": {"type": "dense", "values": [0.1, float("inf"), float("nan"), -float("inf")]}},
    ])
    code, out, err = run(capsys, "score", BINARIZER_VEC / "model", "-i", src)
    assert code == 0, err
    row = json.loads(out, parse_constant=lambda c: pytest.fail(f"bare {c} in output"))
    assert row["v"]["values"] == [0.1, "Infinity", "NaN", "-Infinity"]
    # the same strings are read back as doubles inside vectors
    src2 = write_jsonl(tmp_path / "again.jsonl", [{"v": row["v"]}])
    code, out2, _ = run(capsys, "score", BINARIZER_VEC / "model", "-i", src2)
    assert code == 0 and json.loads(out2)["pos"] == row["pos"]


def test_skipped_rows_are_reported(capsys, tmp_path):
    src = write_jsonl(tmp_path / "rows.jsonl",
                      [{"color": "red"}, {"color": "purple"}, {"color": "blue"}, {"color": "x"}])
    code, out, err = run(capsys, "score", SKIPPER, "-i", src)
    assert code == 0, err
    assert len(out.splitlines()) == 2
    assert "2 rows skipped" in err and "lines 2, 4" in err


def test_skipped_rows_as_markers_keep_lines_aligned(capsys, tmp_path):
    src = write_jsonl(tmp_path / "rows.jsonl",
                      [{"color": "red"}, {"color": "purple"}, {"color": "blue"}])
    code, out, err = run(capsys, "score", SKIPPER, "-i", src, "--skipped", "marker")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 3 and lines[1]["_skipped"]["line"] == 2
    assert "purple" in lines[1]["_skipped"]["reason"] or "unseen" in lines[1]["_skipped"]["reason"].lower()
    assert lines[0]["color"] == "red" and lines[2]["color"] == "blue"


def test_parquet_skips_are_reported_by_row(capsys, tmp_path):
    src = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"color": ["red", "purple", "blue"]}), src)
    dst = tmp_path / "out.parquet"
    code, _, err = run(capsys, "score", SKIPPER, "-i", src, "-o", dst)
    assert code == 0, err
    assert pq.read_table(dst).num_rows == 2 and "1 row skipped" in err and "rows 2" in err


@pytest.mark.parametrize("name", ["out.csv", "out.txt", "out"])
def test_unknown_output_extension_is_refused(capsys, tmp_path, name):
    src = write_jsonl(tmp_path / "rows.jsonl", [GOOD])
    code, _, err = run(capsys, "score", DEMO / "model", "-i", src, "-o", tmp_path / name)
    assert code == cli.EXIT_ERROR and "unknown file type" in err and ".parquet" in err
    assert not (tmp_path / name).exists()


def test_marker_with_parquet_output_is_a_usage_error_of_the_subcommand(tmp_path):
    src = write_jsonl(tmp_path / "rows.jsonl", [GOOD])
    proc = run_subprocess("score", DEMO / "model", "-i", src, "-o", tmp_path / "o.parquet",
                          "--skipped", "marker")
    assert proc.returncode == 2 and proc.stderr.startswith("usage: servelib score")


def test_bad_batch_size_shows_the_subcommand_usage():
    proc = run_subprocess("score", DEMO / "model", "-i", "x.jsonl", "--batch-size", "0")
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: servelib score") and "at least 1" in proc.stderr


def test_summary_grammar(capsys, tmp_path):
    src = write_jsonl(tmp_path / "rows.jsonl", [GOOD])
    code, _, err = run(capsys, "score", DEMO / "model", "-i", src, "-o", tmp_path / "o.jsonl")
    assert code == 0 and "scored 1 row ->" in err


def test_empty_input_is_an_error_not_silence(capsys, tmp_path):
    src = tmp_path / "rows.jsonl"
    src.write_text("\n\n")
    code, out, err = run(capsys, "score", DEMO / "model", "-i", src, "-o", tmp_path / "o.jsonl")
    assert code == cli.EXIT_ERROR and "no rows" in err and not (tmp_path / "o.jsonl").exists()
    code, out, err = run(capsys, "score", DEMO / "model", "-i", src)
    assert code == cli.EXIT_ERROR and "no rows" in err and out == ""


def test_parquet_streams_in_batches(capsys, tmp_path, monkeypatch):
    from servelib import load

    model = load(str(DEMO / "model"))
    seen: list[int] = []
    real = type(model).transform

    def spy(self, table, *a, **kw):
        seen.append(table.num_rows)
        return real(self, table, *a, **kw)

    monkeypatch.setattr(type(model), "transform", spy)
    src = tmp_path / "rows.parquet"
    n = 2500
    pq.write_table(pa.table({"amount": [1.0] * n, "age": [30.0] * n, "city": ["paris"] * n}), src)
    dst = tmp_path / "out.parquet"
    code, _, err = run(capsys, "score", DEMO / "model", "-i", src, "-o", dst, "--batch-size", "1000")
    assert code == 0, err
    assert max(seen) <= 1000 and sum(seen) == n and pq.read_table(dst).num_rows == n


def test_inspect_spells_nan_one_way(capsys):
    code, out, _ = run(capsys, "inspect", FIXTURES / "spark-4.3/imputer_single_int/model")
    assert code == 0
    assert '(missing_value: "NaN")' in out and 'missingValue = "NaN"' in out
    assert "null" not in out and " NaN" not in out.replace('"NaN"', "")


def test_imputer_output_type_does_not_depend_on_the_chunk(capsys, tmp_path):
    """An undeclared Imputer column from JSON is a double column: 5 imputes to 5.0 whatever
    the other rows of its chunk hold (README: row typing rules)."""
    model = FIXTURES / "spark-4.3/imputer_single_int/model"
    outs = []
    for rows in ([{"i": 5}], [{"i": 5}, {"i": 2.5}], [{"i": 5}, {"i": None}]):
        src = write_jsonl(tmp_path / "rows.jsonl", rows)
        code, out, err = run(capsys, "score", model, "-i", src)
        assert code == 0, err
        outs.append(json.loads(out.splitlines()[0])["i_out"])
    assert outs == [5.0, 5.0, 5.0] and all(type(o) is float for o in outs)
