"""Markdown for the library sections (no server): issue 8's production pipelines, text,
trees, rows, pytest-benchmark micro benchmarks, and the PySpark comparison. Each function takes
the JSON its script wrote and returns the section's tables, targets computed from the figures."""

from __future__ import annotations

import statistics

from benchmarks.harness.markdown import Target, div, num, ratio, table, targets


def _pp(t: dict | None, key: str = "us") -> str:
    return "-" if not t else f"{num(t[f'p50_{key}'])} / {num(t[f'p99_{key}'])}"


def _agree(g: dict | None) -> str:
    if not g:
        return "-"
    text = (f"max abs diff {g['max_abs_diff']:.3g}; {g['rows_beyond_1e-6']} of {g['rows']} "
            f"rows beyond 1e-6")
    return text + (f"; {g['errors']} rows refused" if g["errors"] else "")


def threads_of(data: dict) -> str:
    """How many threads servelib's transform used (SERVELIB_THREADS or the CPUs, at most 4)."""
    counts = {r.get("threads") for r in data["cases"].values()}
    return "/".join(str(c) for c in sorted(counts, key=str)) if None not in counts else "?"


def fastpath(data: dict) -> str:
    rows = data["args"]["rows"]
    lat, batch, load, agree, goals = [], [], [], [], []
    for case, r in data["cases"].items():
        ort, ours, outs = r.get("onnx_row"), r["servelib_row"], r["servelib_row_outputs"]
        lat.append([f"`{case}`", _pp(ours), num(ours["dirty_p50_us"]), _pp(outs), _pp(ort),
                    f"{ours['p99_over_p50']:.1f}"])
        rate = {k: rows / r[k] if r.get(k) else None
                for k in ("batch_servelib_s", "batch_servelib_outputs_s",
                          "batch_servelib_1thread_s", "batch_onnx_s", "batch_pyspark_s")}
        batch.append([f"`{case}`", *(num(v, 0) for v in rate.values())])
        load.append([f"`{case}`", num(r["load_servelib_ms"]), num(r["load_pyspark_ms"], 0),
                     ratio(div(r["load_pyspark_ms"], r["load_servelib_ms"]))])
        agree.append([f"`{case}`", _agree(r.get("servelib_agreement")),
                      _agree(r.get("onnx_agreement")) if ort else
                      f"not run: {r.get('onnx_error', '?')}"])
        for label, t, b in (("", ours, rate["batch_servelib_s"]),
                            (" (outputs=)", outs, rate["batch_servelib_outputs_s"])):
            goals += [
                Target(f"`{case}`{label} score_instance p50 / ORT p50",
                       div(t["p50_us"], ort and ort["p50_us"]), "<=", 0.5),
                Target(f"`{case}`{label} score_instance p99 / ORT p99",
                       div(t["p99_us"], ort and ort["p99_us"]), "<=", 1.0),
                Target(f"`{case}`{label} p99 / p50 over the mixed stream",
                       t["p99_over_p50"], "<=", 3.0),
                Target(f"`{case}`{label} transform rows/s / ORT's", div(b, rate["batch_onnx_s"]),
                       ">=", 1.5),
                Target(f"`{case}`{label} transform rows/s / PySpark's",
                       div(b, rate["batch_pyspark_s"]), ">=", 20.0)]
        goals.append(Target(f"`{case}` load, PySpark / servelib",
                            div(r["load_pyspark_ms"], r["load_servelib_ms"]), ">=", 50.0))
    a = data["args"]
    return "\n\n".join([
        f"Stream: {a['stream']} serving rows ({data['dirty_share']:.1%} dirty), at most "
        f"{a['calls']} calls or {a['seconds']:g} s per line; batch: {rows:,} rows, median of "
        f"{a['batch_repeats']}; agreement on {a['agree_rows']} rows. ONNX graphs: "
        + "; ".join(f"`{c}` {r.get('onnx_source', r.get('onnx_error', '?'))}"
                    for c, r in data["cases"].items()) + ".",
        "One row, us:\n\n" + table(
            ["pipeline", "servelib p50 / p99", "servelib dirty-row p50",
             "servelib `outputs=` p50 / p99", "onnxruntime p50 / p99", "servelib p99/p50"], lat),
        "Batch, rows/s:\n\n" + table(
            ["pipeline", f"servelib ({threads_of(data)} threads)", "servelib `outputs=`",
             "servelib 1 thread", "onnxruntime (1 thread)", "PySpark local[2]"], batch),
        "Load, ms (warm JVM):\n\n" + table(
            ["pipeline", "servelib", "PySpark", "PySpark / servelib"], load),
        "Agreement with PySpark's own output:\n\n" + table(["pipeline", "servelib", "onnxruntime"],
                                                           agree),
        targets(goals, "issue 8")])


def text(data: dict) -> str:
    one, b = data["row_clean"], data["batch"]
    rows = [["one clean row, p50 / p99", f"{num(one['servelib_p50_us'])} / "
             f"{num(one['servelib_p99_us'])} us", f"{num(one['pyspark_p50_ms'])} / "
             f"{num(one['pyspark_p99_ms'])} ms"],
            [f"varied stream ({data['rows_on_row_path']} on the row path), p50 / p99",
             f"{num(data['stream_p50_us'])} / {num(data['stream_p99_us'])} us", ""],
            [f"batch {b['rows']:,} rows", f"{num(b['servelib_rows_per_s'], 0)} rows/s",
             f"{num(b['pyspark_rows_per_s'], 0)} rows/s"]]
    return "\n\n".join([
        table(["`text_lr_pipeline`", "servelib", "PySpark"], rows),
        targets([Target("one row p50", one["servelib_p50_us"], "<", 30.0, "us"),
                 Target("batch rows/s, servelib / PySpark", b["speedup"], ">=", 20.0)],
                "issue 10")])


def trees(data: dict) -> str:
    rows = []
    for case, engines in data["cases"].items():
        for engine, r in engines.items():
            nodes = f" ({r['nodes']:,} nodes, stage alone)" if "nodes" in r else ""
            rows.append([f"{case}{nodes}", engine, f"{num(r['p50_us'])} / {num(r['p99_us'])}",
                         num(r["transform_rows_per_s"], 0)])
    fresh = [[label, num(f["import_s"], 3), num(f["load_s"], 3), num(f["first_score_s"], 4),
              num(f["total_s"], 3), num(f["cpu_s"], 3)]
             for label, f in data.items() if isinstance(f, dict) and "total_s" in f]
    warm = data.get("warm numba cache", {}).get("total_s")
    return "\n\n".join([
        table(["model", "engine", "score_instance p50 / p99 us", "transform rows/s"], rows),
        "A fresh process on `tree_rf_classifier_200` (200 trees), seconds:\n\n" + table(
            ["numba cache", "import servelib", "load", "first score_instance", "total", "CPU"],
            fresh),
        targets([Target("fresh process to first RF-200 prediction, warm cache", warm, "<", 1.0,
                        "s")], "issue 8")])


def rows(data: dict) -> str:
    body, goals = [], []
    for r in data["fixtures"]:
        cells = [f"{num(r[k][0])} / {num(r[k][1])}" if k in r else "-"
                 for k in ("clean", "dirty", "mixed", "odd")]
        body.append([f"`{r['fixture']}`", *cells, f"{r['kernel share clean']:.0%} / "
                     f"{r['kernel share dirty']:.0%}", r["dirty rows"]])
        if "mixed" in r:
            goals.append(Target(f"`{r['fixture']}` mixed stream p99 / p50",
                                div(r["mixed"][1], r["mixed"][0]), "<=", 3.0))
    return "\n\n".join([
        f"score_instance p50 / p99 in us ({data['clock']} clock, at most {data['rounds']} calls "
        "per stream):\n\n" + table(
            ["fixture", "clean", "dirty", "mixed (5% dirty)", "odd (fallback)",
             "row kernel share clean / dirty", "dirty rows"], body),
        targets(goals, "issue 8")])


def micro(data: dict) -> str:
    body = [[f"`{b['name']}`", num(b["stats"]["min"] * 1e6), num(b["stats"]["median"] * 1e6),
             b["stats"]["rounds"]] for b in data["benchmarks"]]
    return table(["benchmark", "min us", "median us", "rounds"], body)


def pyspark(data: dict) -> str:
    parts = []
    loads = data["load"]
    goals = []
    if loads:
        speed = sorted(r["speedup"] for r in loads)
        parts.append(
            f"Load, {len(loads)} pipelines, median of {data['args']['load_repeats']} loads, "
            f"warm JVM: PySpark / servelib min {ratio(speed[0])}, median "
            f"{ratio(statistics.median(speed))}, max {ratio(speed[-1])}; "
            f"{sum(s >= 50 for s in speed)} of {len(speed)} at least 50x.\n\n<details><summary>"
            "every pipeline</summary>\n\n" + table(
                ["pipeline", "stages", "servelib ms", "PySpark ms", "PySpark / servelib"],
                [[f"`{r['case']}`", r["stages"], num(r["servelib_s"] * 1e3, 2),
                  num(r["pyspark_s"] * 1e3), ratio(r["speedup"])] for r in loads])
            + "\n\n</details>")
        goals.append(Target("load, slowest pipeline: PySpark / servelib", speed[0], ">=", 50.0))
    rows = []
    for case, r in data["row"].items():
        rows.append([f"`{case}` one row, p50 / p99", f"{num(r['servelib_p50_us'])} / "
                     f"{num(r['servelib_p99_us'])} us", f"{num(r['pyspark_p50_ms'])} / "
                     f"{num(r['pyspark_p99_ms'])} ms",
                     ratio(div(r["pyspark_p50_ms"] * 1e3, r["servelib_p50_us"]))])
        if case == "demo_lr_pipeline":
            goals.append(Target("`demo_lr_pipeline` one row p50", r["servelib_p50_us"], "<=",
                                25.0, "us"))
    for case, b in data["batch"].items():
        rows.append([f"`{case}` batch {b['rows']:,} rows", f"{num(b['servelib_rows_per_s'], 0)}"
                     " rows/s", f"{num(b['pyspark_rows_per_s'], 0)} rows/s", ratio(b["speedup"])])
        goals.append(Target(f"`{case}` batch, servelib / PySpark", b["speedup"], ">=", 10.0))
    parts.append(table(["what", "servelib", "PySpark", "PySpark / servelib"], rows))
    parts.append(targets(goals, "issue 2"))
    return "\n\n".join(parts)
