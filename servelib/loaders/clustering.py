"""Loaders for KMeansModel, BisectingKMeansModel and GaussianMixtureModel.

Saved data: KMeans (Spark >= 2.0, also 4.x) one row per center ``clusterIdx: int,
clusterCenter: vector`` (Spark 1.6: one row ``clusterCenters: array<vector>``); GaussianMixture
one row ``weights: array<double>, mus: array<vector>, sigmas: array<matrix>``; BisectingKMeans
nests the RDD-based model under ``data/``: ``data/metadata`` (JSON with ``rootId`` and, from
format 2.0, ``distanceMeasure``) and ``data/data`` rows ``index, size, center, norm, cost,
height, children`` (a tree: negative indices are inner nodes, leaves hold the cluster index).
"""

from __future__ import annotations

import json

import numpy as np

from servelib.loaders.context import StageContext
from servelib.loaders.parquet import field, read_data, to_matrix, to_vector
from servelib.transformers.clustering.gaussian_mixture import (
    GaussianMixtureModel,
    covariance_constants,
)
from servelib.transformers.clustering.bisecting_kmeans import BisectingKMeansModel
from servelib.transformers.clustering.kmeans import KMeansModel

_MEASURES = ("euclidean", "cosine")


def _cosine(ctx: StageContext, measure: str | None = None) -> bool:
    name = measure or ctx.param("distanceMeasure", "euclidean")
    if name not in _MEASURES:
        raise ctx.error(f"unknown distanceMeasure {name!r}; Spark knows {_MEASURES}")
    return name == "cosine"


def _columns(ctx: StageContext) -> dict[str, str]:
    return {"features_col": ctx.param("featuresCol", "features"),
            "prediction_col": ctx.param("predictionCol", "prediction")}


def load_kmeans(ctx: StageContext) -> KMeansModel:
    table = ctx.data()
    if "clusterIdx" in table.column_names:
        rows = sorted(table.to_pylist(), key=lambda r: r["clusterIdx"])
        if [r["clusterIdx"] for r in rows] != list(range(len(rows))):
            raise ctx.error("clusterIdx must number the centers 0..k-1")
        vecs = [to_vector(r["clusterCenter"], ctx.path) for r in rows]
    else:  # Spark 1.6
        row = ctx.data_row()
        vecs = [to_vector(v, ctx.path) for v in field(row, "clusterCenters", ctx.path)]
    if not vecs or len({v.shape[0] for v in vecs}) != 1:
        raise ctx.error("cluster centers must be non-empty and of one size")
    centers = np.vstack(vecs)
    return KMeansModel.build(ctx.uid, centers, _cosine(ctx), **_columns(ctx),
                             info=ctx.info(k=centers.shape[0], num_features=centers.shape[1]))


def load_bisecting_kmeans(ctx: StageContext) -> BisectingKMeansModel:
    meta_dir = ctx.mfs.join(ctx.path, "data", "metadata")
    parts = [n for n in ctx.mfs.list(meta_dir) if n.startswith("part-")]
    if not parts:
        raise ctx.error("data/metadata holds no part file")
    meta = json.loads(ctx.mfs.read_text(ctx.mfs.join(meta_dir, sorted(parts)[0])).splitlines()[0])
    rows = {r["index"]: r for r in read_data(ctx.mfs, ctx.path, "data/data").to_pylist()}
    root = meta.get("rootId")
    if root not in rows:
        raise ctx.error(f"rootId {root} is not a node of the saved tree")
    order = [root]  # node ids: breadth-first from the root
    for node in order:
        for child in rows[node]["children"] or ():
            if child not in rows or child in order:
                raise ctx.error(f"node {node} has a missing or repeated child {child}")
            order.append(child)
    ids = {index: i for i, index in enumerate(order)}
    centers = np.vstack([to_vector(rows[n]["center"], ctx.path) for n in order])
    norms = np.array([float(rows[n]["norm"]) for n in order])
    children = tuple(tuple(ids[c] for c in rows[n]["children"] or ()) for n in order)
    leaf = tuple(-1 if children[i] else int(n) for i, n in enumerate(order))
    return BisectingKMeansModel(
        ctx.uid, **_columns(ctx), cosine=_cosine(ctx, meta.get("distanceMeasure")),
        centers=centers, center_norms=norms, children=children, leaf_index=leaf,
        info=ctx.info(k=sum(1 for c in children if not c), num_features=centers.shape[1]))


def load_gaussian_mixture(ctx: StageContext) -> GaussianMixtureModel:
    row = ctx.data_row()
    weights = tuple(float(w) for w in field(row, "weights", ctx.path))
    means = [to_vector(m, ctx.path) for m in field(row, "mus", ctx.path)]
    sigmas = [to_matrix(s, ctx.path) for s in field(row, "sigmas", ctx.path)]
    if not weights or not len(weights) == len(means) == len(sigmas):
        raise ctx.error(f"{len(weights)} weights, {len(means)} means, {len(sigmas)} covariances")
    d = means[0].shape[0]
    if any(m.shape != (d,) for m in means) or any(s.shape != (d, d) for s in sigmas):
        raise ctx.error("means and covariance matrices disagree in dimension")
    roots, consts = [], []
    for s in sigmas:
        try:
            r, u = covariance_constants(s)
        except ValueError as exc:
            raise ctx.error(str(exc)) from exc
        roots.append(r)
        consts.append(u)
    return GaussianMixtureModel(
        ctx.uid, **_columns(ctx), probability_col=ctx.param("probabilityCol", "probability"),
        weights=weights, means=np.vstack(means), roots=np.stack(roots), constants=tuple(consts),
        info=ctx.info(k=len(weights), num_features=d))
