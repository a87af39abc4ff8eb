"""What Spark's ClassificationModel and ProbabilisticClassificationModel do for every classifier.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/classification/Classifier.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/classification/ProbabilisticClassifier.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/impl/Utils.scala (softmax)

transform() appends rawPrediction, then probability, then prediction; a column whose param is ""
is skipped (all three "" makes transform a no-op). prediction comes from rawPrediction when that
column is produced, else from probability, else from ``predict(features)`` -- models override
these three differently (LogisticRegression's binomial threshold), so each path is kept.
Without thresholds the prediction is ``Vector.argmax`` (first maximum; a NaN never wins unless it
is entry 0); with thresholds it is the first maximum of ``p / t`` (``p / 0`` is +inf, or NaN when
p == 0, and NaN never wins). A null feature vector fails Spark's UDF (NPE): InvalidInput.
Sums over features run left to right (``np.cumsum``): that is Spark's order for sparse features
and sparse coefficients, and it gives the same bits for one row as for a batch.
The row kernel (``ClassificationModel.row_kernel``) takes the same three paths over one row of
Python floats, from per-model hooks; :func:`compile_linear` does linear_sums' additions as
straight-line Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from servelib.sparse_column import CsrColumn
from servelib.transformers.attributes import Attribute, AttributeGroup, Attrs
from servelib.transformers.base import OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.sparse_linear import sparse_linear_sums
from servelib.vectors import EntriesVector, VectorColumn, pooled, row_values, vector_of_row

MIN_DOUBLE = -np.finfo(np.float64).max  # Scala's Double.MinValue, softmax's starting maximum
MIN_DOUBLE_ROW = float(MIN_DOUBLE)
_CHUNK = 1 << 17  # doubles per temporary (rows x features) block: it stays in cache
_LOOP_FEATURES = 256
RowRule = Callable[[list[float]], float]  # one row's rawPrediction or probability -> prediction


def linear_sums(
    x: np.ndarray | CsrColumn,
    w: np.ndarray,
    b: np.ndarray,
    stored: np.ndarray | None = None,
    b_first: bool = False,
) -> np.ndarray:
    """``b + w @ x`` per row, summed left to right like Spark's sparse BLAS loops.

    ``stored`` masks the coefficients a sparse Spark matrix/vector holds: only those take part,
    so a NaN/inf feature facing an unstored coefficient is ignored, as in Spark. ``b_first``:
    a column-major sparse matrix (CSC) adds every product onto the intercept in turn; other
    layouts sum the products, then add the intercept. A CsrColumn is summed over its stored
    entries (:mod:`servelib.transformers.sparse_linear`), with the same bits.

    Rows go in blocks whose products stay in cache; up to ``_LOOP_FEATURES`` features the
    left-to-right sum is one vector addition per feature across the block's rows."""
    if isinstance(x, CsrColumn):
        return sparse_linear_sums(x, w, b, stored, b_first, linear_sums)
    n, d = x.shape
    c = w.shape[0]
    out = np.empty((n, c))
    if d == 0:
        out[:] = b
        return out
    step = max(1, _CHUNK // d)
    for k in range(c):
        weights = w[k]
        unstored = None if stored is None or stored[k].all() else ~stored[k]
        for start in range(0, n, step):
            prod = x[start : start + step] * weights  # (rows, features)
            if unstored is not None:
                prod[:, unstored] = 0.0
            if b_first:
                prod[:, 0] += b[k]
            if d > _LOOP_FEATURES:
                total = np.add.accumulate(prod, axis=1, out=prod)[:, -1]
            else:  # a feature at a time: as accumulate adds, without writing each partial sum
                total = prod[:, 0].copy()
                for j in range(1, d):
                    total += prod[:, j]
            out[start : start + step, k] = total if b_first else total + b[k]
    return out


def pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two columns side by side (cheaper than np.stack for the one-row path)."""
    out = np.empty((a.shape[0], 2))
    out[:, 0] = a
    out[:, 1] = b
    return out


def signed_pair(m: np.ndarray) -> np.ndarray:
    """``pair(-m, m)`` without the temporary ``-m``, in pyarrow's pool (vectors.pooled)."""
    out = pooled(2 * m.shape[0], np.float64).reshape(-1, 2)
    np.negative(m, out=out[:, 0])
    out[:, 1] = m
    return out


def spark_argmax(m: np.ndarray) -> np.ndarray:
    """DenseVector.argmax per row: first index whose value beats all before it (``>``)."""
    nan = np.isnan(m)
    if not nan.any():
        return np.argmax(m, axis=1).astype(np.float64)
    idx = np.argmax(np.where(nan, -np.inf, m), axis=1)
    idx[nan[:, 0]] = 0  # NaN at entry 0 is never beaten
    return idx.astype(np.float64)


def row_argmax(values: list[float]) -> float:
    """:func:`spark_argmax` of one row of Python floats (NaN compares False, so it never wins)."""
    best = 0
    top = values[0]
    if top != top:
        return 0.0  # NaN at entry 0 is never beaten
    for i in range(1, len(values)):
        if values[i] > top:
            best, top = i, values[i]
    return float(best)


def exp_row(x: float) -> float:
    """NumPy's exp of one Python float (the batch path's bits, which libm's may not be);
    overflow gives inf quietly, as the batch path's ``errstate`` does."""
    if x < 700.0:
        return float(np.exp(x))
    with np.errstate(over="ignore"):
        return float(np.exp(x))


def row_threshold_argmax(p: list[float], thresholds: Sequence[float]) -> float:
    """:func:`threshold_argmax` of one row of Python floats (``p / ±0.0`` as NumPy gives it)."""
    best, top = 0, -math.inf
    for i, (v, t) in enumerate(zip(p, thresholds)):
        if t != 0.0:
            s = v / t
        else:  # NumPy: +-inf by the signs of p and t, NaN for 0 / 0 and NaN / 0
            s = math.copysign(math.inf, v) * math.copysign(1.0, t) if v == v and v else math.nan
        if s > top:  # NaN never wins (-inf in NumPy); ties keep the first
            best, top = i, s
    return float(best)


def threshold_argmax(p: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """probability2prediction with thresholds: first maximum of p / t, strictly above -inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = p / thresholds
    scaled[np.isnan(scaled)] = -np.inf
    return np.argmax(scaled, axis=1).astype(np.float64)  # all -inf -> 0, as Spark's argMax


def softmax(raw: np.ndarray) -> np.ndarray:
    """Utils.softmax: max from Double.MinValue ignoring NaN, exp(x - max), times 1/sum."""
    mx = np.fmax.reduce(raw, axis=1, initial=MIN_DOUBLE)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(raw - mx[:, None])
        total = np.add.accumulate(e, axis=1)[:, -1]  # left to right, like Spark's loop
        out = e * (1.0 / total)[:, None]
        inf = np.isposinf(raw)
        if inf.any():  # Spark scales the row by 0.0 and puts 1.0 at the first +inf
            rows = np.flatnonzero(inf.any(axis=1))
            out[rows] = raw[rows] * 0.0
            out[rows, np.argmax(inf[rows], axis=1)] = 1.0
    return out


def softmax_row(raw: list[float]) -> list[float]:
    """:func:`softmax` of one row of Python floats."""
    mx = MIN_DOUBLE_ROW
    for v in raw:
        if v > mx:  # fmax ignores NaN; the sign of a zero maximum cannot change exp(x - max)
            mx = v
    e = [exp_row(v - mx) for v in raw]
    total = e[0]
    for v in e[1:]:
        total += v
    inv = 1.0 / total if total else math.inf  # NumPy's 1 / 0 (all entries -inf or tiny)
    out = [v * inv for v in e]
    if mx == math.inf:
        out = [v * 0.0 for v in raw]
        out[raw.index(math.inf)] = 1.0
    return out


# Products per model beyond which the row path declines: one costs ~0.1 us in the compiled
# function, so past ~1000 the NumPy path is as fast, and compiling takes tens of milliseconds.
ROW_TERMS_LIMIT = 1024
_RETURNS = {"pair": "[-m0, m0]", "one": "m0"}  # else the list of every class's result


def compile_linear(
    weights: np.ndarray,
    bias: Sequence[float],
    stored: np.ndarray | None = None,
    b_first: bool = False,
    columns: Sequence[int] | None = None,
    returns: str = "list",
    keep_nan: bool = False,
) -> Callable[[list[float]], Any] | None:
    """:func:`linear_sums` for one row of Python floats, as one straight-line function; None
    for a model too large to gain from it (ROW_TERMS_LIMIT).

    The caller checks the row's length. ``columns``: the row entry each weight column multiplies
    (default: entry j for column j). The function returns the list of per-class results, or
    for one class ``"pair"``: ``[-m, m]``, ``"one"``: ``m``. Each product is a statement
    ``s += x * w`` (a long ``a + b + ...`` would nest too deep to compile); Python's float ``+``
    and ``*`` are NumPy's IEEE ones, here in the same order. An unstored coefficient adds the
    constant 0.0, as the zeroed product does (it turns a -0.0 sum into 0.0; a run of them acts
    as one). Every result is the one IEEE rounding of the same operations, except that NaN +
    NaN keeps one operand's sign and payload, and which one depends on the operand order each C
    compiler picked (NumPy's and CPython's differ). So a NaN result gives None (the row takes
    the batch path), unless ``keep_nan``: for a caller whose outputs depend only on where NaNs
    are, not on their bits (the conformance suite compares a NaN as NaN)."""
    c, d = weights.shape
    cols = list(range(d)) if columns is None else [int(j) for j in columns]
    w = weights.tolist()
    keep = np.ones((c, d), bool).tolist() if stored is None else stored.tolist()
    b = [float(v) for v in bias]
    names: dict[str, Any] = {}

    def lit(v: float) -> str:
        if math.isfinite(v):
            return f"({v!r})"
        name = f"C{len(names)}"
        names[name] = v
        return name

    body = []
    for k in range(c):
        if d == 0:
            body.append(f"    m{k} = {lit(b[k])}")
            continue
        terms = [f"x{cols[j]} * {lit(w[k][j])}" if keep[k][j] else "0.0" for j in range(d)]
        terms = [t for j, t in enumerate(terms) if t != "0.0" or j < 2 or terms[j - 1] != "0.0"]
        if b_first:
            terms[0] = f"{terms[0]} + {lit(b[k])}"
        body += [f"    s{k} = {terms[0]}", *(f"    s{k} += {t}" for t in terms[1:])]
        body.append(f"    m{k} = s{k}" if b_first else f"    m{k} = s{k} + {lit(b[k])}")
    if len(body) > ROW_TERMS_LIMIT:
        return None
    used = sorted({cols[j] for k in range(c) for j in range(d) if keep[k][j]})
    lines = ["def linear(x):", *(f"    x{j} = x[{j}]" for j in used), *body,
             *([] if keep_nan else [f"    if {' or '.join(f'm{k} != m{k}' for k in range(c))}:",
                                   "        return None"]),
             f"    return {_RETURNS.get(returns, '[' + ', '.join(f'm{k}' for k in range(c)) + ']')}"]
    exec(compile("\n".join(lines), "<servelib linear>", "exec"), names)  # noqa: S102
    return names["linear"]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ClassificationModel(OnlineTransformer):
    """Columns and prediction rules shared by Spark's classifiers; subclasses give the math."""

    features_col: str = "features"
    prediction_col: str = "prediction"
    raw_prediction_col: str = "rawPrediction"
    probability_col: str = ""  # "" for classifiers without probabilities (LinearSVC)
    num_classes: int = 2
    num_features: int = 0
    thresholds: tuple[float, ...] | None = None  # the thresholds param, when defined
    # predict_raw reads a CsrColumn as it comes (linear_sums does), not its dense matrix
    sparse_features: ClassVar[bool] = False

    # ---- what each model defines -----------------------------------------------------------
    def predict_raw(self, x: np.ndarray, batch: Batch) -> np.ndarray:
        raise NotImplementedError

    def raw_to_probability(self, raw: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def raw_to_prediction(self, raw: np.ndarray) -> np.ndarray:
        if self.thresholds is None:
            return spark_argmax(raw)
        return self.probability_to_prediction(self.raw_to_probability(raw))

    def probability_to_prediction(self, prob: np.ndarray) -> np.ndarray:
        if self.thresholds is None:
            return spark_argmax(prob)
        return threshold_argmax(prob, np.asarray(self.thresholds, dtype=np.float64))

    def predict(self, raw: np.ndarray) -> np.ndarray:
        """predict(features) when neither rawPrediction nor probability is produced."""
        return self.raw_to_prediction(raw)

    def accepts_size(self, size: int) -> bool:
        return size == self.num_features

    # ---- shared machinery ------------------------------------------------------------------
    def input_columns(self) -> Sequence[str]:
        return (self.features_col,)

    def output_columns(self) -> Sequence[str]:
        cols = (self.raw_prediction_col, self.probability_col, self.prediction_col)
        return tuple(c for c in cols if c)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        out: dict[str, Any] = {}
        for col in (self.raw_prediction_col, self.probability_col):
            if col:
                out[col] = AttributeGroup(size=self.num_classes)
        if self.prediction_col:
            out[self.prediction_col] = Attribute(
                "nominal", name=self.prediction_col, num_values=self.num_classes
            )
        return out

    def features(self, batch: Batch) -> np.ndarray | CsrColumn:
        col = batch.vectors(self.features_col, self.name)
        if col.null is not None and col.null.any():
            raise invalid("null feature vector", self, self.features_col, batch,
                          int(np.argmax(col.null)))
        if len(col) and not self.accepts_size(col.size):
            raise invalid(
                f"feature vector has size {col.size} but the model expects {self.num_features}",
                self, self.features_col, batch, 0,
            )
        return col if self.sparse_features and isinstance(col, CsrColumn) else col.dense

    def score_columns(self, batch: Batch) -> Scored:
        if not (self.raw_prediction_col or self.probability_col or self.prediction_col):
            batch.vectors(self.features_col, self.name)  # Spark still checks the column's type
            return Scored({})
        features = self.features(batch)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # IEEE, as the JVM
            raw = self.predict_raw(features, batch)
            return Scored(self.columns_from_raw(raw, self.predict))

    def columns_from_raw(
        self, raw: np.ndarray, predict: Callable[[np.ndarray], np.ndarray]
    ) -> dict[str, Any]:
        """rawPrediction, probability and prediction columns, as Spark's
        ProbabilisticClassificationModel.transform derives them; ``predict(raw)`` is used only
        when neither raw nor probability is produced."""
        out: dict[str, Any] = {}
        prob = None
        if self.raw_prediction_col:
            out[self.raw_prediction_col] = VectorColumn.of_dense(raw)
        if self.probability_col:
            prob = self.raw_to_probability(raw)
            out[self.probability_col] = VectorColumn.of_dense(prob)
        if self.prediction_col:
            if self.raw_prediction_col:
                pred = self.raw_to_prediction(raw)
            elif prob is not None:
                pred = self.probability_to_prediction(prob)
            else:
                pred = predict(raw)
            out[self.prediction_col] = pred
        return out

    # ---- the row kernel: columns_from_raw for one row of Python floats ------------------------
    def raw_row(self) -> Callable[[list[float]], list[float] | None] | None:
        """predict_raw for one row of an accepted size, as Python floats (None: the row takes
        score_columns); None when the model has no row path."""
        return None

    def raw_row_entries(self) -> Callable[[dict[int, float]], list[float] | None] | None:
        """predict_raw for one row given as a sparse vector's entries (``EntriesVector.entries``:
        HashingTF's and CountVectorizer's rows, whose dense list of 2^18 slots would cost more
        than the model), or None for the row to take score_columns; None when the model has
        no such path."""
        return None

    def probability_row(self, raw: list[float]) -> list[float]:
        """raw_to_probability for one row."""
        return softmax_row(raw)

    def prediction_rules(self) -> tuple[RowRule, RowRule, RowRule]:
        """raw_to_prediction, probability_to_prediction and predict for one row."""
        if self.thresholds is None:
            return row_argmax, row_argmax, row_argmax
        ts, probability = list(self.thresholds), self.probability_row

        def from_probability(prob: list[float]) -> float:
            return row_threshold_argmax(prob, ts)

        def from_raw(raw: list[float]) -> float:
            return from_probability(probability(raw))

        return from_raw, from_probability, from_raw

    def row_columns(self) -> Callable[[dict, list[float], Callable[[], float]], None]:
        """columns_from_raw for one row: writes rawPrediction, probability and prediction
        into the row's values; ``predict()`` is called only when neither raw nor probability
        is produced (models differ there: trees use their leaves)."""
        raw_col, prob_col, pred_col = (self.raw_prediction_col, self.probability_col,
                                       self.prediction_col)
        probability = self.probability_row
        from_raw, from_probability, _ = self.prediction_rules()

        def write(values: dict, raw: list[float], predict: Callable[[], float]) -> None:
            if raw_col:
                values[raw_col] = vector_of_row(raw, False)
            if prob_col:
                prob = probability(raw)
                values[prob_col] = vector_of_row(prob, False)
                if pred_col:
                    values[pred_col] = from_raw(raw) if raw_col else from_probability(prob)
            elif pred_col:
                values[pred_col] = from_raw(raw) if raw_col else predict()

        return write

    def row_kernel(self) -> RowKernel | None:
        """columns_from_raw over raw_row, probability_row and prediction_rules; models without
        raw_row, null or non-vector features and sizes Spark rejects take score_columns."""
        raw_of, raw_of_entries = self.raw_row(), self.raw_row_entries()
        if raw_of is None and raw_of_entries is None:
            return None
        features = self.features_col
        if not (self.raw_prediction_col or self.probability_col or self.prediction_col):
            return lambda values: row_values(values.get(features)) is not None  # type check
        write = self.row_columns()
        predict = self.prediction_rules()[2]
        n, accepts = self.num_features, self.accepts_size

        def score(values: dict) -> bool:
            vec = values.get(features)
            if raw_of_entries is not None and vec.__class__ is EntriesVector:
                if vec.size != n and not accepts(vec.size):
                    return False
                raw = raw_of_entries(vec.entries)
            else:
                x = None if raw_of is None else row_values(vec)
                if x is None or (len(x) != n and not accepts(len(x))):
                    return False
                raw = raw_of(x)
            if raw is None:
                return False
            write(values, raw, lambda: predict(raw))
            return True

        return score
