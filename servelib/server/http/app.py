"""The HTTP API: a thin Starlette adapter over the DataPlane (JSON in and out, errors mapped
once in errors.py). Routes:

    POST /v1/models/{name}[/versions/{v}]:predict     {"instances": [...], "keys"?, "outputs"?,
                                                       "request_id"?} -> per-row results
    GET  /v1/models                                    every model and version with its state
    GET  /v1/models/{name}[/versions/{v}]              metadata with the model record
    POST /v1/admin/models/{name}[/versions/{v}]:load   (Authorization: Bearer TOKEN)
    POST /v1/admin/models/{name}[/versions/{v}]:unload
    POST /v1/admin/refresh                             re-read the repository now (as polling)
    GET  /v2  /v2/health/live  /v2/health/ready        Open Inference Protocol REST
    GET  /v2/models/{name}[/versions/{v}][/ready]
    POST /v2/models/{name}[/versions/{v}]/infer
    GET  /metrics                                      Prometheus text format

JSON value encoding (NaN, infinities, null, vectors): codec.py.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import servelib
from servelib.errors import InvalidInput, ServelibError
from servelib.server.dataplane import DataPlane, PredictRequest, TensorSpec
from servelib.server.http.codec import decode_instance, encode_value, parse_body
from servelib.server.http.errors import error_body, error_fields, http_code
from servelib.server.http.oip import requested_outputs, response_json, rows_from_json

log = logging.getLogger("servelib.http")
Handler = Callable[[DataPlane, Request], Awaitable[Response]]


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


async def _body(request: Request, limit: int) -> Any:
    size = request.headers.get("content-length")
    if size is not None and size.isdigit() and int(size) > limit:
        raise InvalidInput(f"request body of {size} bytes is over the limit of {limit}")
    body = await request.body()
    if len(body) > limit:
        raise InvalidInput(f"request body of {len(body)} bytes is over the limit of {limit}")
    data = parse_body(body)
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object")
    return data


def _target(request: Request) -> tuple[str, str | None]:
    p = request.path_params
    return p["name"], p.get("version")


async def predict(plane: DataPlane, request: Request) -> Response:
    name, version = _target(request)
    body = await _body(request, request.app.state.max_body)
    instances = body.get("instances")
    if not isinstance(instances, list):
        raise InvalidInput(f"model {name!r}: 'instances' must be a list of objects",
                           column="instances")
    keys, outputs = body.get("keys"), body.get("outputs")
    if keys is not None and not (isinstance(keys, list) and all(
            k is None or isinstance(k, str) for k in keys)):
        raise InvalidInput("'keys' must be a list of strings or nulls", column="keys")
    if outputs is not None and not (isinstance(outputs, list) and all(
            isinstance(o, str) for o in outputs)):
        raise InvalidInput("'outputs' must be a list of column names", column="outputs")
    request_id = body.get("request_id") or request.headers.get("x-request-id")
    response = await plane.predict(PredictRequest(
        name, [decode_instance(x, i) for i, x in enumerate(instances)], version, keys, outputs,
        request_id if isinstance(request_id, str) else None))
    results = [{"outputs": {k: encode_value(v) for k, v in r.outputs.items()}}
               if r.error is None else {"error": error_fields(r.error)}
               for r in response.results]
    return _json({"model": response.model, "version": response.version, "results": results,
                  "prediction_ids": response.prediction_ids})


async def list_models(plane: DataPlane, request: Request) -> Response:
    return _json({"models": [dataclasses.asdict(s) for s in await plane.list_models()]})


async def metadata_v1(plane: DataPlane, request: Request) -> Response:
    return _json(encode_value_tree(dataclasses.asdict(await plane.model_metadata(
        *_target(request)))))


def encode_value_tree(value: Any) -> Any:
    """Metadata records may hold NaN (a param, an importance): strict JSON all the way down."""
    if isinstance(value, dict):
        return {k: encode_value_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_value_tree(v) for v in value]
    return encode_value(value)


async def admin(plane: DataPlane, request: Request) -> Response:
    plane.check_admin(request.headers.get("authorization"))
    name, version = _target(request)
    if request.path_params["action"] == "load":
        status = await plane.load_model(name, version)
    elif request.path_params["action"] == "unload":
        status = await plane.unload_model(name, version)
    else:
        return _json({"error": "unknown admin action", "status": "NOT_FOUND"}, 404)
    return _json(dataclasses.asdict(status), 503 if status.state == "FAILED" else 200)


async def refresh(plane: DataPlane, request: Request) -> Response:
    plane.check_admin(request.headers.get("authorization"))
    return _json({"problems": await plane.refresh()})


async def server_metadata(plane: DataPlane, request: Request) -> Response:
    return _json({"name": "servelib", "version": servelib.__version__, "extensions": []})


async def live(plane: DataPlane, request: Request) -> Response:
    return _json({"live": plane.live()}, 200 if plane.live() else 503)


async def ready(plane: DataPlane, request: Request) -> Response:
    return _json({"ready": plane.ready()}, 200 if plane.ready() else 503)


async def model_ready(plane: DataPlane, request: Request) -> Response:
    name, version = _target(request)
    ok = await plane.model_ready(name, version)
    return _json({"name": name, "ready": ok}, 200 if ok else 503)


async def metadata_v2(plane: DataPlane, request: Request) -> Response:
    meta = await plane.model_metadata(*_target(request))
    return _json({"name": meta.name, "versions": meta.versions, "platform": meta.platform,
                  "inputs": [_spec(t) for t in meta.inputs],
                  "outputs": [_spec(t) for t in meta.outputs]})


def _spec(t: TensorSpec) -> dict[str, Any]:
    return {"name": t.name, "datatype": t.datatype, "shape": list(t.shape)}


async def infer(plane: DataPlane, request: Request) -> Response:
    name, version = _target(request)
    body = await _body(request, request.app.state.max_body)
    meta = await plane.model_metadata(name, version)
    rows = rows_from_json(body, {t.name for t in meta.inputs if len(t.shape) == 2})
    wanted = requested_outputs(body)
    request_id = body.get("id") if isinstance(body.get("id"), str) else None
    response = await plane.predict(PredictRequest(name, rows, version, outputs=wanted,
                                                  request_id=request_id))
    typed = {t.name: t for t in meta.outputs}
    specs = [typed.get(n, TensorSpec(n, "FP64", (-1,))) for n in wanted] if wanted \
        else meta.outputs
    return _json(response_json(response, specs, request_id))


async def metrics(plane: DataPlane, request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(plane.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def _both(path: str) -> list[str]:
    """A model route, and the same under /versions/{version}."""
    head, _, tail = path.partition("{name}")
    return [f"{head}{{name}}{tail}", f"{head}{{name}}/versions/{{version}}{tail}"]


def create_app(plane: DataPlane, *, max_body_bytes: int = 16 * 1024 * 1024,
               manage_lifecycle: bool = False) -> Starlette:
    """The HTTP app over ``plane``. With ``manage_lifecycle`` the app's lifespan starts and
    closes the plane (standalone use); servelib serve does that itself for gRPC and HTTP."""

    def route(path: str, handler: Handler, method: str) -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(plane, request)
            except ServelibError as exc:
                return _json(error_body(exc), http_code(exc))
            except Exception:  # noqa: BLE001 - a bug answers 500 and the server keeps serving
                log.exception("%s %s failed", request.method, request.url.path)
                return _json({"error": "internal error (see the server log)",
                              "status": "INTERNAL"}, 500)

        return Route(path, endpoint, methods=[method])

    table: list[tuple[list[str], Handler, str]] = [
        (_both("/v1/models/{name}:predict"), predict, "POST"),
        (["/v1/models"], list_models, "GET"),
        (_both("/v1/models/{name}"), metadata_v1, "GET"),
        (_both("/v1/admin/models/{name}:{action}"), admin, "POST"),
        (["/v1/admin/refresh"], refresh, "POST"),
        (["/v2"], server_metadata, "GET"),
        (["/v2/health/live"], live, "GET"),
        (["/v2/health/ready"], ready, "GET"),
        (_both("/v2/models/{name}/ready"), model_ready, "GET"),
        (_both("/v2/models/{name}"), metadata_v2, "GET"),
        (_both("/v2/models/{name}/infer"), infer, "POST"),
        (["/metrics"], metrics, "GET"),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_lifecycle:
            await plane.start()
        yield
        if manage_lifecycle:
            await plane.close()

    app = Starlette(routes=[route(p, h, m) for paths, h, m in table for p in paths],
                    lifespan=lifespan)
    app.state.max_body = max_body_bytes
    return app
