"""Live accuracy and drift measures over joined predictions and outcomes, in NumPy.

Each is a few lines of textbook arithmetic; computing them here keeps scikit-learn (tens of MB,
SciPy with it) out of the serving install. tests/monitoring/test_measures.py checks every one
against scikit-learn on the same data.

* regression: R² (1 - SS_res / SS_tot), RMSE, RMSLE (log1p of both; undefined below -1),
  MAE;
* classification: accuracy of the served ``prediction`` (so the served threshold is the one
  judged), log loss of the probability given to the observed label (clipped to [1e-15,
  1 - 1e-15]), ROC AUC of the positive-class probability (binary, ties counted half, as the
  Mann-Whitney statistic), precision and recall of class 1 (binary) or their macro averages;
* drift: population stability index, sum over bins of (a - e) * ln(a / e), with bin shares
  floored at 1e-4 so an empty bin does not make it infinite. Numbers are binned at the
  reference's deciles, strings and booleans by value.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

_EPS = 1e-15
_FLOOR = 1e-4


def regression(y: np.ndarray, pred: np.ndarray) -> dict[str, float | None]:
    err = pred - y
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    rmsle = None
    if np.all(y > -1) and np.all(pred > -1):
        rmsle = float(np.sqrt(np.mean((np.log1p(pred) - np.log1p(y)) ** 2)))
    return {
        "count": int(y.size),
        "r2": (1.0 - float(np.sum(err**2)) / ss_tot) if ss_tot > 0 else None,
        "rmse": float(np.sqrt(np.mean(err**2))),
        "rmsle": rmsle,
        "mae": float(np.mean(np.abs(err))),
    }


def classification(y: np.ndarray, pred: np.ndarray, prob: np.ndarray | None
                   ) -> dict[str, float | None]:
    """``y`` and ``pred`` class indices (floats as Spark writes them), ``prob`` (rows, classes)."""
    classes = np.unique(np.concatenate([y, pred]))
    out: dict[str, float | None] = {"count": int(y.size), "accuracy": float(np.mean(y == pred))}
    out["log_loss"] = None
    out["roc_auc"] = None
    if prob is not None and prob.ndim == 2 and prob.shape[1] > int(y.max()):
        p = np.clip(prob[np.arange(y.size), y.astype(int)], _EPS, 1 - _EPS)
        out["log_loss"] = float(-np.mean(np.log(p)))
        if prob.shape[1] == 2:
            out["roc_auc"] = roc_auc(y == 1, prob[:, 1])
    positives = [1.0] if set(classes.tolist()) <= {0.0, 1.0} else classes.tolist()
    precisions, recalls = [], []
    for c in positives:
        predicted, actual = pred == c, y == c
        hit = float(np.sum(predicted & actual))
        precisions.append(hit / predicted.sum() if predicted.any() else 0.0)
        recalls.append(hit / actual.sum() if actual.any() else 0.0)
    out["precision"] = float(np.mean(precisions))
    out["recall"] = float(np.mean(recalls))
    return out


def roc_auc(positive: np.ndarray, score: np.ndarray) -> float | None:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties half."""
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(score.size)
    sorted_scores = score[order]
    # average ranks over ties
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], score.size]
    for s, e in zip(starts.tolist(), ends.tolist()):
        ranks[order[s:e]] = (s + e + 1) / 2.0
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def psi(reference: Sequence, current: Sequence) -> float | None:
    """Population stability index of ``current`` against ``reference`` (None values skipped)."""
    ref = [v for v in reference if not _missing(v)]
    cur = [v for v in current if not _missing(v)]
    if not ref or not cur:
        return None
    if all(_is_number(v) for v in ref + cur):
        r = np.asarray(ref, dtype=float)
        c = np.asarray(cur, dtype=float)
        edges = np.unique(np.nanquantile(r, np.linspace(0.1, 0.9, 9)))
        r_share = np.bincount(np.searchsorted(edges, r, side="right"), minlength=edges.size + 1) / r.size
        c_share = np.bincount(np.searchsorted(edges, c, side="right"), minlength=edges.size + 1) / c.size
    else:
        keys = sorted({str(v) for v in ref + cur})
        rc, cc = Counter(map(str, ref)), Counter(map(str, cur))
        r_share = np.array([rc[k] / len(ref) for k in keys])
        c_share = np.array([cc[k] / len(cur) for k in keys])
    r_share = np.maximum(r_share, _FLOOR)
    c_share = np.maximum(c_share, _FLOOR)
    return float(np.sum((c_share - r_share) * np.log(c_share / r_share)))


def _missing(v: object) -> bool:
    return v is None or v == "NaN" or (isinstance(v, float) and math.isnan(v))


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
