"""Model, version, alias and partition names: the only strings a request turns into paths.

A name is one path segment of letters, digits, ``_ - .`` (not starting with a dot), so no request
can reach outside the repository: no ``..``, no separator, no absolute path, no NUL, no URI.
"""

from __future__ import annotations

import re

from servelib.errors import ModelNotFound

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}")


def is_name(value: object) -> bool:
    return isinstance(value, str) and _NAME.fullmatch(value) is not None


def check_name(value: object, what: str = "model") -> str:
    """``value`` if it is a valid name, else ModelNotFound naming it (never touches a path)."""
    if not is_name(value):
        raise ModelNotFound(f"invalid {what} name {value!r}: use letters, digits, '_', '-', '.' "
                            "(one path segment, not starting with '.')")
    return value  # type: ignore[return-value]
