"""Which concrete version answers a request: versions, aliases and weighted splits.

A split is decided by a stable hash (BLAKE2b, not Python's per-process ``hash``) of the model,
the alias and the request key, so one key always lands on the same arm in every worker process
and after every restart, and the arms' shares follow the weights. A request without a key gets a
random arm.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from servelib.errors import ModelNotFound
from servelib.registry.spec import ModelConfig


def version_order(version: str) -> tuple[int, int | str]:
    """Numeric versions sort by number and after any other name; "10" is newer than "9"."""
    return (1, int(version)) if version.isdigit() else (0, version)


def stable_fraction(*parts: str) -> float:
    """A number in [0, 1) that depends only on ``parts``."""
    digest = hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def pick_arm(split: Mapping[str, float], fraction: float) -> str:
    total = sum(split.values())
    point = fraction * total
    arms = sorted(split.items(), key=lambda kv: version_order(kv[0]))
    for version, weight in arms:
        point -= weight
        if point < 0:
            return version
    return next(v for v, w in reversed(arms) if w > 0)  # rounding at the very top


@dataclass(frozen=True)
class ModelView:
    """What a model's folder holds at one moment: its versions and its model.json."""

    name: str
    versions: tuple[str, ...]  # oldest first
    config: ModelConfig

    def default_name(self) -> str:
        if self.config.default is not None:
            return self.config.default
        if "production" in self.config.aliases:
            return "production"
        if not self.versions:
            raise ModelNotFound(f"model {self.name!r} has no versions")
        return self.versions[-1]

    def resolve(self, requested: str | None, key: str | None = None) -> str:
        """The concrete version for ``requested`` (a version, an alias or None: the default)."""
        name = self.default_name() if requested is None else requested
        target = self.config.aliases.get(name, name)
        if not isinstance(target, str):
            fraction = (random.random() if key is None  # noqa: S311 - not security
                        else stable_fraction(self.name, name, key))
            target = pick_arm(target, fraction)
        if target not in self.versions:
            via = f" (alias {name!r})" if name != target else ""
            raise ModelNotFound(f"model {self.name!r} has no version {target!r}{via}; "
                                f"versions: {list(self.versions)}, "
                                f"aliases: {sorted(self.config.aliases)}")
        return target

    def targets(self) -> set[str]:
        """Every version the default and the aliases can send a request to."""
        out: set[str] = set()
        for name in (self.default_name(), *self.config.aliases):
            target = self.config.aliases.get(name, name)
            out.update([target] if isinstance(target, str) else
                       [v for v, w in target.items() if w > 0])
        return {v for v in out if v in self.versions}


def sort_versions(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted(names, key=version_order))
