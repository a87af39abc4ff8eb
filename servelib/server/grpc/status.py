"""The one table from servelib's error tree to gRPC status codes, and the handler wrapper that
applies it (plus the call's deadline) to every RPC."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from servelib.errors import ServelibError

log = logging.getLogger("servelib.grpc")

# ServelibError.status -> gRPC code. A status missing here is a bug in the error tree: INTERNAL.
STATUS_CODES: dict[str, grpc.StatusCode] = {
    "INVALID_ARGUMENT": grpc.StatusCode.INVALID_ARGUMENT,
    "NOT_FOUND": grpc.StatusCode.NOT_FOUND,
    "FAILED_PRECONDITION": grpc.StatusCode.FAILED_PRECONDITION,
    "UNIMPLEMENTED": grpc.StatusCode.UNIMPLEMENTED,
    "UNAVAILABLE": grpc.StatusCode.UNAVAILABLE,
    "UNAUTHENTICATED": grpc.StatusCode.UNAUTHENTICATED,
    "PERMISSION_DENIED": grpc.StatusCode.PERMISSION_DENIED,
    "RESOURCE_EXHAUSTED": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "DEADLINE_EXCEEDED": grpc.StatusCode.DEADLINE_EXCEEDED,
    "INTERNAL": grpc.StatusCode.INTERNAL,
}


def code_for(exc: ServelibError) -> grpc.StatusCode:
    return STATUS_CODES.get(exc.status, grpc.StatusCode.INTERNAL)


Req = TypeVar("Req")
Resp = TypeVar("Resp")
Handler = Callable[[Any, Req, grpc.aio.ServicerContext], Awaitable[Resp]]


def rpc(handler: Handler[Req, Resp]) -> Handler[Req, Resp]:
    """Run a servicer method within the call's deadline; map errors to a status with a message.

    ``asyncio.timeout`` (no extra task) stops waiting once the client's deadline passes, so a
    slow score answers DEADLINE_EXCEEDED instead of holding the call."""
    name = handler.__name__

    @functools.wraps(handler)
    async def wrapper(self: Any, request: Req, context: grpc.aio.ServicerContext) -> Resp:
        try:
            remaining = context.time_remaining()
            if remaining is None:
                return await handler(self, request, context)
            async with asyncio.timeout(max(remaining, 0.0)):
                return await handler(self, request, context)
        except ServelibError as exc:
            await context.abort(code_for(exc), str(exc))
        except TimeoutError:
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED,
                                f"{name}: the deadline passed before the answer was ready")
        except grpc.aio.AbortError:
            raise
        except Exception:  # noqa: BLE001 - one bad call must not leak a traceback to the client
            log.exception("%s failed", name)
            await context.abort(grpc.StatusCode.INTERNAL, f"{name}: internal error (see server log)")
        raise AssertionError("unreachable: abort raises")

    return wrapper
