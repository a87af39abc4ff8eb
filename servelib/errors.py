"""One error tree for servelib; every error knows the status a transport should map it to.

::

    ServelibError                      (status INTERNAL)
    ├── ModelLoadError                 (FAILED_PRECONDITION) a model directory/file is missing or corrupt
    │   └── UnsupportedStage           (UNIMPLEMENTED) a Spark class servelib cannot score exactly
    ├── InvalidInput                   (INVALID_ARGUMENT) a row/column is wrong for a stage
    │   └── RowSkipped                 (INVALID_ARGUMENT) Spark would drop this row (handleInvalid="skip")
    ├── ModelNotFound                  (NOT_FOUND) unknown model, version or alias, or a bad name
    ├── ModelUnavailable               (UNAVAILABLE) the model could not be loaded, or the server drains
    ├── StoreUnavailable               (UNAVAILABLE) an online feature store is down, slow or broken
    └── Unauthenticated                (UNAUTHENTICATED) a missing or wrong admin token
"""

from __future__ import annotations

from collections.abc import Iterable


class ServelibError(Exception):
    """Base of every error servelib raises on purpose."""

    status = "INTERNAL"


class ModelLoadError(ServelibError):
    """A model directory or one of its files is missing, unreadable or not what Spark writes."""

    status = "FAILED_PRECONDITION"

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{message} (path: {path})" if path else message)


class UnsupportedStage(ModelLoadError):
    """The stage's Spark class has no exact servelib implementation."""

    status = "UNIMPLEMENTED"

    def __init__(
        self,
        spark_class: str,
        path: str | None,
        supported: Iterable[str] = (),
        reason: str | None = None,
    ) -> None:
        self.spark_class = spark_class
        self.supported = sorted(supported)
        why = f": {reason}" if reason else ""
        listing = f"; supported classes: {', '.join(self.supported)}" if self.supported else ""
        super().__init__(f"unsupported Spark stage {spark_class}{why}{listing}", path)


class InvalidInput(ServelibError):
    """An input row or column cannot be scored by a stage; names the column and the stage."""

    status = "INVALID_ARGUMENT"

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        stage: str | None = None,
        row: int | None = None,
    ) -> None:
        self.column = column
        self.stage = stage
        self.row = row
        where = []
        if column is not None:
            where.append(f"column {column!r}")
        if stage is not None:
            where.append(f"stage {stage}")
        if row is not None:
            where.append(f"row {row}")
        self.reason = message
        super().__init__(f"{message} [{', '.join(where)}]" if where else message)


class RowSkipped(InvalidInput):
    """Spark would drop this row (handleInvalid="skip"); a single-row request has no answer."""


class ModelNotFound(ServelibError):
    """No model, version or alias of that name in the repository (or the name is not valid)."""

    status = "NOT_FOUND"


class ModelUnavailable(ServelibError):
    """The model exists but nothing can serve it: its load failed, or the server is draining."""

    status = "UNAVAILABLE"


class Unauthenticated(ServelibError):
    """An admin call without the right bearer token."""

    status = "UNAUTHENTICATED"


class StoreUnavailable(ServelibError):
    """An online feature store is down, slow or its circuit breaker is open; names the store."""

    status = "UNAVAILABLE"
