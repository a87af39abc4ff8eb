"""Small PNG plots next to BENCHMARKS.md (matplotlib, Agg): the latency percentile spectrum of
the service rows, and rows/s bars of the production pipelines. Each returns the files it wrote."""

from __future__ import annotations

import math
from pathlib import Path

DPI = 80  # 560 x 320 pixels: a few tens of KB, well under the 100 KB a plot may take


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def service_spectrum(data: dict, out: Path) -> list[Path]:
    """Latency against percentile (x: 1/(1-p) on a log axis, as HdrHistogram plots it)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4), dpi=DPI)
    for row in data["rows"].values():
        points = [(float(p), ms) for p, ms in row.get("spectrum", {}).items() if float(p) < 100]
        if points:
            ax.plot([1 / (1 - p / 100) for p, _ in points], [ms for _, ms in points],
                    marker="o", markersize=3, label=row["label"])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ticks = [50, 90, 99, 99.9, 99.99]
    ax.set_xticks([1 / (1 - p / 100) for p in ticks], [f"p{p:g}" for p in ticks])
    ax.set_ylabel("latency ms (from intended send time)")
    ax.set_title(f"open loop at {data['rate']:,.0f} req/s", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    path = out / "service_spectrum.png"
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return [path]


def fastpath_batch(data: dict, out: Path) -> list[Path]:
    """transform rows/s per pipeline: servelib (all outputs, outputs=), onnxruntime, PySpark."""
    plt = _pyplot()
    rows = data["args"]["rows"]
    series = {"servelib": "batch_servelib_s", "servelib outputs=": "batch_servelib_outputs_s",
              "onnxruntime 1 thread": "batch_onnx_s", "PySpark local[2]": "batch_pyspark_s"}
    cases = list(data["cases"])
    fig, ax = plt.subplots(figsize=(7, 4), dpi=DPI)
    width = 0.8 / len(series)
    for k, (label, key) in enumerate(series.items()):
        values = [rows / data["cases"][c][key] if data["cases"][c].get(key) else math.nan
                  for c in cases]
        ax.bar([i + k * width for i in range(len(cases))], values, width, label=label)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(cases))],
                  [c.removeprefix("prod_") for c in cases], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("rows/s")
    ax.set_title(f"transform, {rows:,} serving rows", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(True, axis="y", which="both", alpha=0.3)
    path = out / "fastpath_batch.png"
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return [path]


PLOTS = {"service": service_spectrum, "fastpath": fastpath_batch}
