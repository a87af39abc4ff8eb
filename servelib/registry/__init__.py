"""Serving side of servelib: a repository of model versions, routing, and the in-memory registry.

See repository.py (layout), spec.py (serving.json and model.json), routing.py (aliases and
splits), registry.py (lazy loads, memory budget, hot deploy) and footprint.py (memory measure).
"""

from servelib.registry.loaded import LoadedModel
from servelib.registry.registry import Registry
from servelib.registry.repository import Repository
from servelib.registry.spec import ModelConfig, ServingSpec

__all__ = ["LoadedModel", "ModelConfig", "Registry", "Repository", "ServingSpec"]
