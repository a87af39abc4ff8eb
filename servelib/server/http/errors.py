"""The one table from servelib error statuses to HTTP codes, and the JSON error body.

Codes follow the gRPC <-> HTTP mapping of google.rpc.Code / grpc-gateway
(https://github.com/googleapis/googleapis/blob/master/google/rpc/code.proto). The body is
OIP's ``{"error": message}`` plus our ``status`` (and ``column``/``row`` when known).
"""

from __future__ import annotations

from typing import Any

from servelib.errors import InvalidInput, ServelibError

HTTP_CODES: dict[str, int] = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "RESOURCE_EXHAUSTED": 429,
    "INTERNAL": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


def http_code(exc: ServelibError) -> int:
    return HTTP_CODES.get(exc.status, 500)


def error_fields(exc: ServelibError) -> dict[str, Any]:
    """status, message and (when known) column and row: one row's error in a /v1 response."""
    fields: dict[str, Any] = {"status": exc.status, "message": str(exc)}
    if isinstance(exc, InvalidInput):
        fields.update({k: v for k, v in (("column", exc.column), ("row", exc.row))
                       if v is not None})
    return fields


def error_body(exc: ServelibError) -> dict[str, Any]:
    """A failed request's body."""
    fields = error_fields(exc)
    return {"error": fields.pop("message"), **fields}
