"""A model repository: ``<root>/<model>/<version>/`` folders on any pyarrow filesystem.

Each version folder is what Spark's ``PipelineModel.save()`` wrote, plus an optional serving spec
(``serving.json`` / ``serving.yaml``); each model folder may hold ``model.json`` / ``model.yaml``
(aliases, splits, default). See spec.py for both formats. Every name is checked by names.py
before it becomes a path, so a request never reads outside ``root``.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

import servelib
from servelib.errors import ModelNotFound
from servelib.loaders.fs import ModelFS
from servelib.registry.footprint import footprint
from servelib.registry.loaded import LoadedModel, check_spec
from servelib.registry.names import check_name, is_name
from servelib.registry.routing import ModelView, sort_versions
from servelib.registry.spec import (
    ModelConfig,
    ServingSpec,
    parse_config,
    parse_document,
    parse_spec,
)
from servelib.transformers.pipeline import PipelineModel

_SPEC_FILES = ("serving.json", "serving.yaml", "serving.yml")
_CONFIG_FILES = ("model.json", "model.yaml", "model.yml")
# servelib.load may grow a limits= argument (hardening); pass one only when it exists
_LOAD_TAKES_LIMITS = "limits" in inspect.signature(servelib.load).parameters


class Repository:
    def __init__(self, uri: str, *, limits: Any = None) -> None:
        self.uri = uri
        self.mfs, self.root = ModelFS.open(uri)
        self.limits = limits

    def _model_dir(self, name: str) -> str:
        path = self.mfs.join(self.root, check_name(name))
        if not self.mfs.is_dir(path):
            raise ModelNotFound(f"no model {name!r} in repository {self.uri}")
        return path

    def models(self) -> list[str]:
        return [n for n in self.mfs.list(self.root)
                if is_name(n) and self.mfs.is_dir(self.mfs.join(self.root, n))]

    def view(self, name: str) -> ModelView:
        """The model's versions and model.json, as they are now."""
        folder = self._model_dir(name)
        versions = [n for n in self.mfs.list(folder)
                    if is_name(n) and self.mfs.is_dir(self.mfs.join(folder, n))]
        config = self._read(folder, _CONFIG_FILES)
        return ModelView(name, sort_versions(versions),
                         parse_config(config[1], config[0]) if config else ModelConfig())

    def _read(self, folder: str, names: tuple[str, ...]) -> tuple[str, Any] | None:
        for file in names:
            path = self.mfs.join(folder, file)
            if self.mfs.fs.get_file_info(path).is_file:
                return path, parse_document(self.mfs.read_text(path), path)
        return None

    def spec(self, name: str, version: str) -> ServingSpec:
        folder = self.mfs.join(self._model_dir(name), check_name(version, "version"))
        found = self._read(folder, _SPEC_FILES)
        return parse_spec(found[1], found[0]) if found else ServingSpec()

    def load(self, name: str, version: str) -> LoadedModel:
        """Read, validate and build one version (blocking: run it off the event loop)."""
        start = time.perf_counter()
        folder = self.mfs.join(self._model_dir(name), check_name(version, "version"))
        if not self.mfs.is_dir(folder):
            raise ModelNotFound(f"model {name!r} has no version {version!r}")
        spec = self.spec(name, version)
        part = spec.partitioning
        folders = [""] if part is None else sorted(
            {*part.models.values(), *([part.fallback] if part.fallback else [])})
        pipelines = {sub: self._pipeline(self.mfs.join(folder, sub) if sub else folder, spec)
                     for sub in folders}
        return LoadedModel(name, version, folder, spec, pipelines,
                           memory_bytes=footprint(pipelines),
                           load_seconds=time.perf_counter() - start)

    def _pipeline(self, path: str, spec: ServingSpec) -> PipelineModel:
        # back to a URI spelled like the root (keeps hdfs://host:port and ?query options)
        base, sep, query = self.uri.partition("?") if "://" in self.uri else (self.uri, "", "")
        uri = base.rstrip("/") + path[len(self.root.rstrip("/")):] + sep + query
        if _LOAD_TAKES_LIMITS:
            model = servelib.load(uri, limits=self.limits)  # type: ignore[call-arg]
        else:
            model = servelib.load(uri)
        check_spec(spec, model, path)
        scalars = {c: t for c, t in spec.inputs.items() if t != "vector"}
        if scalars:
            model = model.with_input_types(scalars)
            model._kernel  # noqa: B018 - build the one-row path here, off the event loop
        return model
