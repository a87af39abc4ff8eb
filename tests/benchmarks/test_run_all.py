"""benchmarks/run_all.py's sections and renderer, on small synthetic results (nothing timed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.harness import render, sections
from benchmarks.harness.markdown import Target, table
from benchmarks.run_all import TEMPLATE

BENCH = Path(sections.__file__).resolve().parents[1]


def test_every_script_is_a_section_or_left_out_with_a_reason():
    scripts = {p.name for p in BENCH.glob("*.py")}
    run = {s.script for s in sections.SECTIONS}
    assert run <= scripts, f"sections name missing scripts: {run - scripts}"
    assert not run & set(sections.NOT_SECTIONS)
    assert scripts - run - set(sections.NOT_SECTIONS) == set(), \
        "a new script in benchmarks/: add it to SECTIONS or to NOT_SECTIONS with the reason"
    assert all(reason for reason in sections.NOT_SECTIONS.values())


def test_the_template_has_a_place_for_every_section_and_nothing_else():
    names = render.PLACEHOLDER.findall(TEMPLATE.read_text())
    assert sorted(names) == sorted({"header", "timing", *(s.name for s in sections.SECTIONS)})


def test_commands_write_json():
    out = Path("/tmp/x.json")
    service = sections.by_name(["service"])[0]
    assert service.command("py", True, out)[-3:] == ["--quick", "--json", str(out)]
    micro = sections.by_name(["micro"])[0]
    assert f"--benchmark-json={out}" in micro.command("py", False, out)
    with pytest.raises(SystemExit, match="unknown section"):
        sections.by_name(["nope"])


@pytest.mark.parametrize(("measured", "op", "limit", "verdict"), [
    (1.4, "<=", 1.5, "**met**"), (1.5, "<=", 1.5, "**met**"), (1.6, "<=", 1.5, "**missed**"),
    (1.5, "<", 1.5, "**missed**"), (20.0, ">=", 20.0, "**met**"), (19.9, ">=", 20.0, "**missed**"),
    (None, "<=", 1.0, "not measured"), (float("nan"), ">=", 1.0, "not measured")])
def test_target_verdict_is_computed(measured, op, limit, verdict):
    assert Target("x", measured, op, limit).verdict == verdict


def test_table_cells_cannot_break_the_table():
    assert table(["a"], [["max |d|"]]).splitlines()[-1] == "| max \\|d\\| |"


def test_missing_optional_need_adds_arguments_and_a_note(monkeypatch):
    monkeypatch.setitem(sections.REQUIREMENTS, "cassandra", (lambda: False, "no Cassandra here"))
    monkeypatch.setitem(sections.REQUIREMENTS, "redis", (lambda: True, ""))
    reason, extra, notes = sections.missing(sections.by_name(["features"])[0])
    assert (reason, extra) == (None, ["--no-cassandra"])
    assert notes == ["cassandra part not run: no Cassandra here"]
    monkeypatch.setitem(sections.REQUIREMENTS, "redis", (lambda: False, "no redis-server"))
    assert sections.missing(sections.by_name(["features"])[0])[0] == "no redis-server"


def _row(label: str, p50: float, p99: float) -> dict:
    return {"label": label, "p50": p50, "p99": p99, "p999": p99 * 1.5, "errors": 0, "n": 1000,
            "cpu_us": 300.0, "spectrum": {"50": p50, "90": p50 * 1.3, "99": p99, "99.9": p99 * 1.5,
                                          "100": p99 * 2}}


SERVICE = {"rate": 1000.0, "seconds": 10.0, "sweep_seconds": 3.0, "ready_s": 1.25,
           "ready_models": 20,
           "rows": {"echo": _row("echo", 1.0, 2.0), "http_echo": _row("HTTP echo", 1.1, 2.2),
                    "predict": _row("Predict", 1.2, 5.0), "infer": _row("ModelInfer", 1.3, 5.5),
                    "http_predict": _row("HTTP predict", 2.0, 6.0),
                    "nginx": _row("nginx", 1.6, 6.0)},
           "max_rate": {"1": {"best": 1000, "steps": [[500, 2.0], [1000, 4.0], [1500, 9.0]]},
                        "2": {"best": 500, "steps": [[500, 3.0], [1000, 7.0]]}}}
FEATURES = {"requests": 100, "entities": 10, "cassandra": "not run: --no-cassandra",
            "variants": {"features in the request": {"p50_us": 30.0, "p99_us": 100.0},
                         "lookup: embedded": {"p50_us": 45.0, "p99_us": 110.0},
                         "lookup: redis": {"p50_us": 200.0, "p99_us": 250.0},
                         "redis PING": {"p50_us": 60.0, "p99_us": 90.0}},
            "batch32": {"redis": {"one_p50_us": 200.0, "many_p50_us": 2000.0}}}


def _results(tmp_path: Path, loadavg: list[float]) -> Path:
    results = tmp_path / "results"
    results.mkdir()
    (results / "service.json").write_text(json.dumps(SERVICE))
    (results / "features.json").write_text(json.dumps(FEATURES))
    (results / "rows.json").write_text("{not json")
    ok = {"status": "ok", "elapsed_s": 12.0, "date": "2026-12-07 08:00 UTC",
          "loadavg_start": [0.1, 0.1, 0.1], "command": ["python", "benchmarks/x.py"]}
    run = {"command": "python benchmarks/run_all.py", "quick": False, "header": {
        "date": "2026-12-07 08:00 UTC", "commit": "abc1234", "cpu": "Test CPU", "cores": 2,
        "ram_gib": 8.0, "loadavg_before": loadavg, "loadavg_after": [1.0, 0.5, 0.3],
        "versions": {"python": "3.11.7", "cassandra": "not installed"}},
        "sections": {
            "fastpath": {"status": "not run", "reason": "no PySpark with Java 17",
                         "elapsed_s": 0.0},
            "service": ok, "features": {**ok, "notes": ["cassandra part not run: none"]},
            "text": {**ok, "status": "failed", "reason": "exit status 1: boom"},
            "rows": ok}}
    (results / "run.json").write_text(json.dumps(run))
    return results


def test_render_synthetic_results(tmp_path):
    results = _results(tmp_path, [0.2, 0.3, 0.4])
    out = tmp_path / "BENCHMARKS.md"
    text = render.render(results, TEMPLATE.read_text(), out, tmp_path / "docs" / "bench")
    assert "<!-- bench:" not in text
    assert "at commit `abc1234`" in text and "Test CPU, 2 cores, 8.0 GiB RAM" in text
    assert "machine was busy" not in text
    assert "**Not run:** no PySpark with Java 17" in text
    assert "**Failed:** exit status 1: boom" in text
    assert "**Failed to render:** JSONDecodeError" in text  # and the sections after it render
    assert "| Predict / echo, p50 | 1.20x | <= 1.50x | **met** |" in text
    assert "| Predict / echo, p99 | 2.50x | <= 2.00x | **missed** |" in text
    assert "| nginx - direct, p50 | 0.40 ms | <= 0.30 ms | **missed** |" in text
    assert "| embedded store: added p50 | 15.00 us | < 20.00 us | **met** |" in text
    assert "Redis: added p50 minus one round trip (PING p50) | 110.00 us | <= 100.00 us | " \
           "**missed**" in text
    assert "Cassandra not run: --no-cassandra." in text
    assert "Note: cassandra part not run: none." in text
    assert text.count("**Not run:** not part of the runs") == 4  # logging trees micro pyspark
    plot = tmp_path / "docs" / "bench" / "service_spectrum.png"
    assert "](docs/bench/service_spectrum.png)" in text
    assert 0 < plot.stat().st_size < 100_000


def test_busy_machine_is_flagged(tmp_path):
    results = _results(tmp_path, [6.0, 5.0, 4.0])
    text = render.render(results, "<!-- bench:header -->", tmp_path / "B.md", tmp_path / "p")
    assert "**Warning: the machine was busy**" in text


def test_unknown_placeholder_is_an_error(tmp_path):
    results = _results(tmp_path, [0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="unknown section 'nope'"):
        render.render(results, "<!-- bench:nope -->", tmp_path / "B.md", tmp_path / "p")


def _section(tmp_path: Path, code: str, timeout: float = 20.0, **kw) -> sections.Section:
    script = tmp_path / "script.py"
    script.write_text(code)
    return sections.Section("x", str(script), (), (), (timeout, timeout), lambda d: "", **kw)


def test_run_section_outcomes(tmp_path, monkeypatch):
    from argparse import Namespace

    from benchmarks.run_all import run_section

    args = Namespace(results=tmp_path, quick=True, onnx_file=[])
    ok = run_section(_section(tmp_path, "import sys, pathlib\n"
                              "pathlib.Path(sys.argv[sys.argv.index('--json') + 1])"
                              ".write_text('{}')\n"), args)
    assert ok["status"] == "ok" and (tmp_path / "x.json").read_text() == "{}"
    failed = run_section(_section(tmp_path, "print('boom'); raise SystemExit(3)"), args)
    assert failed["status"] == "failed" and failed["reason"] == "exit status 3: boom"
    slow = run_section(_section(tmp_path, "import time; time.sleep(30)", timeout=0.5), args)
    assert slow["status"] == "timed out" and slow["elapsed_s"] < 10
    monkeypatch.setitem(sections.REQUIREMENTS, "pyspark", (lambda: False, "no PySpark"))
    skipped = run_section(_section(tmp_path, "raise SystemExit(1)", needs=("pyspark",)), args)
    assert (skipped["status"], skipped["reason"]) == ("not run", "no PySpark")


def test_only_keeps_the_other_sections_in_order():
    from benchmarks.run_all import kept_and_pending

    old = {"rows": {"status": "ok"}, "fastpath": {"status": "failed"}, "micro": {"status": "ok"}}
    merged = kept_and_pending(old, sections.by_name(["service", "micro"]))
    assert list(merged) == ["fastpath", "service", "rows", "micro"]
    assert merged["rows"] == {"status": "ok"} and merged["fastpath"] == {"status": "failed"}
    assert merged["service"]["status"] == merged["micro"]["status"] == "not run"
    assert list(kept_and_pending({}, list(sections.SECTIONS))) == \
        [s.name for s in sections.SECTIONS]


def test_cassandra_is_counted_from_the_baseline_measured_beside_it():
    from benchmarks.harness import render_service

    variants = {**FEATURES["variants"],
                "features in the request, beside Cassandra": {"p50_us": 60.0, "p99_us": 150.0},
                "lookup: cassandra": {"p50_us": 660.0, "p99_us": 900.0},
                "Cassandra 1-column SELECT": {"p50_us": 600.0, "p99_us": 800.0}}
    text = render_service.features({**FEATURES, "variants": variants})
    assert "| lookup: cassandra | 660 | 900 | +600 |" in text
    assert "| lookup: embedded | 45 | 110 | +15 |" in text
    assert "one local read (driver floor p50) | 1.00x | <= 1.00x | **met** |" in text
