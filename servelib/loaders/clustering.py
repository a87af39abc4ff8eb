"""Loaders for KMeansModel, BisectingKMeansModel and GaussianMixtureModel.

Saved data: KMeans (Spark >= 2.0, also 4.x) one row per center ``clusterIdx: int,
clusterCenter: vector`` (Spark 1.6: one row ``clusterCenters: array<vector>``); GaussianMixture
one row ``weights: array<double>, mus: array<vector>, sigmas: array<matrix>``; BisectingKMeans
nests the RDD-based model under ``data/``: ``data/metadata`` (JSON with ``rootId`` and, from
format 2.0, ``distanceMeasure``) and ``data/data`` rows ``index, size, center, norm, cost,
height, children`` (a tree: negative indices are inner nodes, leaves hold the cluster index).

Spark source: https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/clustering/KMeans.scala
(and BisectingKMeans, GaussianMixture .scala; mllib/clustering/BisectingKMeansModel.scala for
the nested tree).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from servelib.loaders.context import StageContext
from servelib.loaders.metadata import parse_json
from servelib.loaders.params import BadValue, Fields, as_list, floats, mapping_fields, show
from servelib.loaders.parquet import matrix_parts, read_data, vector_parts
from servelib.transformers.clustering.bisecting_kmeans import BisectingKMeansModel
from servelib.transformers.clustering.gaussian_mixture import (
    GaussianMixtureModel,
    covariance_constants,
)
from servelib.transformers.clustering.kmeans import KMeansModel

_MEASURES = ("euclidean", "cosine")


def _data_dir(ctx: StageContext, folder: str = "data") -> str:
    return ctx.mfs.join(ctx.path, folder)


def _common(ctx: StageContext) -> dict[str, str]:
    """The columns; and ``k``, which scoring does not read but Spark's reader validates
    (ParamValidators.gt(1) in KMeans, BisectingKMeans and GaussianMixture)."""
    ctx.params.integer("k", 2, lo=2)
    return {"features_col": ctx.params.string("featuresCol", "features"),
            "prediction_col": ctx.params.string("predictionCol", "prediction")}


def _cosine(ctx: StageContext) -> bool:
    return ctx.params.string("distanceMeasure", "euclidean", choices=_MEASURES) == "cosine"


def _center(value: Any, limit: int) -> np.ndarray:
    center = vector_parts(value, limit)[0]
    if not np.isfinite(center).all():
        raise BadValue("holds a non-finite value")
    return center


def _stack(ctx: StageContext, vecs: list[np.ndarray], what: str, where: str) -> np.ndarray:
    if not vecs or len({v.shape[0] for v in vecs}) != 1 or not vecs[0].shape[0]:
        raise ctx.error(f"{what} must be non-empty and of one non-zero size", where)
    return np.vstack(vecs)


def load_kmeans(ctx: StageContext) -> KMeansModel:
    table = ctx.data()
    limit = ctx.limits.max_vector_size
    where = _data_dir(ctx)
    if "clusterIdx" in table.column_names:
        if "clusterCenter" not in table.column_names:
            raise ctx.error(f"data has columns {table.column_names}, no 'clusterCenter'", where)
        idx = table.column("clusterIdx").to_pylist()
        if sorted(i for i in idx if type(i) is int) != list(range(len(idx))):
            raise ctx.error(f"data column 'clusterIdx' must number the centers 0..k-1, got "
                            f"{show(idx)}", where)
        centers = table.column("clusterCenter").to_pylist()
        vecs = [None] * len(idx)
        for i, item in zip(idx, centers):
            try:
                vecs[i] = _center(item, limit)
            except BadValue as exc:
                raise ctx.error(f"data column 'clusterCenter' of cluster {i}: {exc}",
                                where) from None
    else:  # Spark 1.6
        vecs = ctx.data_fields().read(
            "clusterCenters", lambda v: [_center(c, limit) for c in as_list(v, ctx.limits.max_rows)])
    centers = _stack(ctx, vecs, "cluster centers", where)
    return KMeansModel.build(ctx.uid, centers, _cosine(ctx), **_common(ctx),
                             info=ctx.info(k=centers.shape[0], num_features=centers.shape[1]))


def _tree_metadata(ctx: StageContext) -> dict[str, Any]:
    """``data/metadata``: the RDD-based model's JSON (class, version, rootId, ...)."""
    meta_dir = _data_dir(ctx, "data/metadata")
    if not ctx.mfs.is_dir(meta_dir):
        raise ctx.error("no data/metadata/ directory", _data_dir(ctx))
    parts = sorted(n for n in ctx.mfs.list(meta_dir) if n.startswith("part-"))
    if not parts:
        raise ctx.error("data/metadata holds no part file", meta_dir)
    text = ctx.mfs.read_text(ctx.mfs.join(meta_dir, parts[0])).strip()
    meta = parse_json(text.splitlines()[0] if text else "", meta_dir, ctx.limits,
                      "tree metadata JSON")
    if not isinstance(meta, dict):
        raise ctx.error(f"tree metadata JSON is not an object: {show(meta)}", meta_dir)
    return meta


def _tree_node(ctx: StageContext, row: dict[str, Any], index: int, where: str
               ) -> tuple[np.ndarray, float, tuple[int, ...]]:
    limit = ctx.limits.max_vector_size
    node = mapping_fields(row, lambda msg: ctx.error(f"node {index}: {msg}", where), "column",
                          limit)
    center = node.read("center", lambda v: _center(v, limit))
    norm = node.double("norm", finite=True, lo=0.0)
    children = node.integers("children")
    return center, norm, children


def load_bisecting_kmeans(ctx: StageContext) -> BisectingKMeansModel:
    meta = _tree_metadata(ctx)
    where = _data_dir(ctx, "data/data")
    table = read_data(ctx.mfs, ctx.path, "data/data")
    nodes: dict[int, tuple[np.ndarray, float, tuple[int, ...]]] = {}
    for row in table.to_pylist():
        index = row.get("index")
        if isinstance(index, bool) or not isinstance(index, int) or index in nodes:
            raise ctx.error(f"column 'index': {show(index)} is not a distinct integer", where)
        nodes[index] = _tree_node(ctx, row, index, where)
    root = meta.get("rootId")
    if isinstance(root, bool) or root not in nodes:
        raise ctx.error(f"rootId {show(root)} is not a node of the saved tree",
                        _data_dir(ctx, "data/metadata"))
    order, seen = [root], {root}  # node ids: breadth-first from the root; each reached once
    for node in order:
        for child in nodes[node][2]:
            if child not in nodes or child in seen:
                raise ctx.error(f"node {node} has a missing or repeated child {child}", where)
            seen.add(child)
            order.append(child)
    ids = {index: i for i, index in enumerate(order)}
    children = tuple(tuple(ids[c] for c in nodes[n][2]) for n in order)
    leaf = tuple(-1 if children[i] else n for i, n in enumerate(order))
    leaves = sorted(n for n in leaf if n != -1)
    if leaves != list(range(len(leaves))):  # BisectingKMeans numbers its leaves 0..k-1
        raise ctx.error(f"leaf indices {leaves[:20]} are not 0..k-1", where)
    measure = meta.get("distanceMeasure")  # format 2.0; 1.0 is always Euclidean
    if measure is not None and measure not in _MEASURES:
        raise ctx.error(f"tree metadata distanceMeasure {show(measure)} is not one of "
                        f"{list(_MEASURES)}", _data_dir(ctx, "data/metadata"))
    centers = _stack(ctx, [nodes[n][0] for n in order], "node centers", where)
    return BisectingKMeansModel(
        ctx.uid, **_common(ctx),
        cosine=(measure or ctx.params.string("distanceMeasure", "euclidean",
                                             choices=_MEASURES)) == "cosine",
        centers=centers, center_norms=np.array([nodes[n][1] for n in order]),
        children=children, leaf_index=leaf,
        info=ctx.info(k=len(leaves), num_features=centers.shape[1]))


def _gaussians(ctx: StageContext, data: Fields) -> tuple[np.ndarray, list[np.ndarray],
                                                          list[np.ndarray]]:
    limit = ctx.limits.max_vector_size
    weights = data.read("weights", lambda v: floats(v, limit))
    means = data.read("mus", lambda v: [_center(m, limit) for m in as_list(v, limit)])

    def sigma(value: Any) -> np.ndarray:
        matrix = matrix_parts(value, limit)[0]
        if not np.isfinite(matrix).all():
            raise BadValue("a covariance matrix holds a non-finite value")
        return matrix
    sigmas = data.read("sigmas", lambda v: [sigma(s) for s in as_list(v, limit)])
    return weights, means, sigmas


def load_gaussian_mixture(ctx: StageContext) -> GaussianMixtureModel:
    weights, means, sigmas = _gaussians(ctx, ctx.data_fields())
    where = _data_dir(ctx)
    if not weights.shape[0] or not weights.shape[0] == len(means) == len(sigmas):
        raise ctx.error(f"{weights.shape[0]} weights, {len(means)} means, {len(sigmas)} "
                        "covariances", where)
    if not (np.isfinite(weights).all() and (weights >= 0).all()):
        raise ctx.error("data column 'weights' must hold finite numbers >= 0", where)
    d = means[0].shape[0]
    if any(m.shape != (d,) for m in means) or any(s.shape != (d, d) for s in sigmas):
        raise ctx.error("means and covariance matrices disagree in dimension", where)
    roots, consts = [], []
    for s in sigmas:
        try:
            r, u = covariance_constants(s)
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise ctx.error(f"data column 'sigmas': {exc}", where) from None
        roots.append(r)
        consts.append(u)
    return GaussianMixtureModel(
        ctx.uid, **_common(ctx),
        probability_col=ctx.params.string("probabilityCol", "probability"),
        weights=tuple(weights.tolist()), means=np.vstack(means), roots=np.stack(roots),
        constants=tuple(consts), info=ctx.info(k=len(weights), num_features=d))
