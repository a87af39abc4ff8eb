"""What `servelib monitor` shows: a table, JSON, PNG charts of each metric over time, and
Prometheus gauges of the latest window (served over HTTP or written for a textfile collector)."""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TextIO

from servelib.monitoring.live import WindowReport

_SKIP = {"count"}


def as_json(reports: Sequence[WindowReport]) -> list[dict[str, Any]]:
    from servelib.jsonrows import to_json

    return [to_json({"model": r.model, "version": r.version, "window_start": r.start.isoformat(),
                     "task": r.task, "metrics": r.metrics, "drift_psi": r.drift})
            for r in reports]


def print_table(reports: Sequence[WindowReport], out: TextIO) -> None:
    for r in reports:
        metrics = "  ".join(f"{k}={_fmt(v)}" for k, v in r.metrics.items())
        print(f"{r.model} v{r.version}  {r.start:%Y-%m-%d %H:%M}Z  {r.task}  {metrics}", file=out)
        worst = sorted(((v, k) for k, v in r.drift.items() if v is not None), reverse=True)[:5]
        if worst:
            print("    drift (PSI): " + "  ".join(f"{k}={v:.3f}" for v, k in worst), file=out)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.4g}"


def charts(reports: Sequence[WindowReport], folder: str) -> list[str]:
    """One PNG per metric: its value per window, a line per model version."""
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("--charts needs matplotlib: pip install matplotlib") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(folder, exist_ok=True)
    series: dict[str, dict[str, list[tuple[Any, float]]]] = defaultdict(lambda: defaultdict(list))
    for r in reports:
        for name, value in r.metrics.items():
            if name not in _SKIP and value is not None and math.isfinite(value):
                series[name][f"{r.model} v{r.version}"].append((r.start, value))
    written = []
    for name, lines in sorted(series.items()):
        fig, ax = plt.subplots(figsize=(7, 3.5))
        for label, points in sorted(lines.items()):
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
        ax.set_title(name)
        ax.set_xlabel("window start (UTC)")
        ax.legend(fontsize="small")
        fig.autofmt_xdate()
        path = os.path.join(folder, f"{name}.png")
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    return written


def gauges(reports: Sequence[WindowReport]) -> Any:
    """A prometheus CollectorRegistry with the latest window's values per model version."""
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()
    metric = Gauge("servelib_live_metric", "latest window's live accuracy metric",
                   ["model", "version", "metric"], registry=registry)
    drift = Gauge("servelib_live_drift_psi", "latest window's population stability index",
                  ["model", "version", "feature"], registry=registry)
    latest: dict[tuple[str, str], WindowReport] = {}
    for r in reports:
        latest[(r.model, r.version)] = r  # reports come in time order per model version
    for (model, version), r in latest.items():
        for name, value in r.metrics.items():
            if value is not None:
                metric.labels(model, version, name).set(value)
        for feature, value in r.drift.items():
            if value is not None:
                drift.labels(model, version, feature).set(value)
    return registry
