"""Merging the client processes' histograms and telling what they measured: offered vs achieved
rate, percentiles (corrected and uncorrected), errors by status, whether the generator kept up;
as a table, JSON, and PNG plots (percentile spectrum; latency against rate for sweeps)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO

PERCENTILES = (50.0, 90.0, 99.0, 99.9)
def merge(results: Sequence[dict[str, Any]], max_lag_ms: float = 1.0) -> dict[str, Any]:
    """One summary of the processes' results; the generator is the bottleneck when it sent
    later than ``max_lag_ms`` at p99, fell short of the offered rate, or hit its cap."""
    from hdrh.histogram import HdrHistogram

    from servelib.bench.loadgen import histogram

    errors = [r["error"] for r in results if "error" in r]
    if errors:
        raise ConnectionError(errors[0])
    hists = {}
    for kind in ("corrected", "uncorrected", "lag"):
        h = histogram()
        for r in results:
            h.add(HdrHistogram.decode(r[kind]))
        hists[kind] = h
    statuses: Counter[str] = Counter()
    for r in results:
        statuses.update(r["statuses"])
    seconds = results[0]["measured_seconds"]
    completed = sum(statuses.values())
    offered = sum(r["offered"] for r in results)
    lag_p99 = hists["lag"].get_value_at_percentile(99.0)
    achieved = completed / seconds if seconds else 0.0
    summary = {
        "offered_rate": offered,
        "achieved_rate": achieved,
        "requests": completed,
        "errors": {k: v for k, v in statuses.items() if k != "OK"},
        "corrected_ms": _percentiles(hists["corrected"]),
        "uncorrected_ms": _percentiles(hists["uncorrected"]),
        "generator_lag_p99_ms": lag_p99 / 1000,
        "generator_bound": lag_p99 > max_lag_ms * 1000 or achieved < 0.95 * offered
        or statuses.get("CLIENT_SATURATED", 0) > 0,
    }
    summary["_hists"] = hists
    return summary


def _percentiles(h: Any) -> dict[str, float]:
    out = {f"p{p:g}": h.get_value_at_percentile(p) / 1000 for p in PERCENTILES}
    out["max"] = h.get_max_value() / 1000
    return out


def public(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if not k.startswith("_")}


def print_table(rows: Sequence[dict[str, Any]], out: TextIO) -> None:
    head = (f"{'offered/s':>10} {'achieved/s':>10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
            f"{'p99.9 ms':>9} {'max ms':>8}  errors")
    print(head, file=out)
    for s in rows:
        c = s["corrected_ms"]
        errors = ", ".join(f"{k}={v}" for k, v in sorted(s["errors"].items())) or "-"
        print(f"{s['offered_rate']:>10.0f} {s['achieved_rate']:>10.0f} {c['p50']:>8.3f} "
              f"{c['p90']:>8.3f} {c['p99']:>8.3f} {c['p99.9']:>9.3f} {c['max']:>8.3f}  {errors}",
              file=out)
        u = s["uncorrected_ms"]
        print(f"{'':>21} uncorrected p50 {u['p50']:.3f}  p99 {u['p99']:.3f}  max {u['max']:.3f}",
              file=out)
        if s["generator_bound"]:
            print(f"{'':>21} WARNING: the generator could not keep up (send lag p99 "
                  f"{s['generator_lag_p99_ms']:.3f} ms): add --processes or lower the rate; "
                  "these figures understate what the server can do", file=out)


def plot_spectrum(summary: dict[str, Any], path: str) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for kind in ("corrected", "uncorrected"):
        h = summary["_hists"][kind]
        xs, ys = [], []
        for item in h.get_percentile_iterator(5):
            p = item.percentile_level_iterated_to
            if p >= 100.0:
                break
            xs.append(1.0 / (1.0 - p / 100.0))
            ys.append(item.value_iterated_to / 1000)
        ax.plot(xs, ys, label=kind)
    ax.set_xscale("log")
    ticks = [1, 2, 10, 100, 1000, 10000]
    ax.set_xticks(ticks, ["0%", "50%", "90%", "99%", "99.9%", "99.99%"])
    ax.set_xlabel("percentile")
    ax.set_ylabel("latency (ms)")
    ax.set_title(f"latency at {summary['offered_rate']:.0f} req/s offered")
    ax.legend()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def plot_sweep(rows: Sequence[dict[str, Any]], slo_ms: float, path: str) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    rates = [r["offered_rate"] for r in rows]
    for key in ("p50", "p99"):
        ax.plot(rates, [r["corrected_ms"][key] for r in rows], marker="o", label=key)
    ax.axhline(slo_ms, linestyle="--", color="grey", label=f"SLO {slo_ms:g} ms")
    ax.set_xlabel("offered rate (req/s)")
    ax.set_ylabel("latency (ms)")
    ax.set_yscale("log")
    ax.legend()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
