"""``servelib.v1.PredictionService``: protobuf <-> DataPlane types, nothing else."""

from __future__ import annotations

import json

import grpc

from servelib.errors import InvalidInput, ServelibError
from servelib.server.dataplane import DataPlane, ModelStatus, PredictRequest, PredictResponse
from servelib.server.grpc.gen import prediction_pb2 as pb
from servelib.server.grpc.gen import prediction_pb2_grpc as pb_grpc
from servelib.server.grpc.status import rpc
from servelib.server.grpc.values import from_value, to_value


def admin_token(context: grpc.aio.ServicerContext) -> str | None:
    """The bearer token of ``authorization: Bearer <token>`` call metadata, if any."""
    for key, value in context.invocation_metadata() or ():
        if key == "authorization" and isinstance(value, str) and value.startswith("Bearer "):
            return value[len("Bearer "):]
    return None


def _error(exc: ServelibError) -> pb.Error:
    return pb.Error(code=exc.status, message=str(exc), column=getattr(exc, "column", None) or "",
                    stage=getattr(exc, "stage", None) or "")


def _status(s: ModelStatus) -> pb.ModelStatus:
    return pb.ModelStatus(name=s.name, version=s.version, state=s.state, reason=s.reason,
                          memory_bytes=s.memory_bytes)


def response_message(resp: PredictResponse) -> pb.PredictResponse:
    out = pb.PredictResponse(model=resp.model, version=resp.version)
    for result, prediction_id in zip(resp.results, resp.prediction_ids, strict=True):
        msg = out.results.add(prediction_id=prediction_id)
        if result.error is not None:
            msg.error.CopyFrom(_error(result.error))
            continue
        outputs = msg.outputs
        for column, value in (result.outputs or {}).items():
            to_value(value, outputs[column], column)
    return out


class PredictionService(pb_grpc.PredictionServiceServicer):
    def __init__(self, dataplane: DataPlane) -> None:
        self.dataplane = dataplane

    @rpc
    async def Predict(self, request: pb.PredictRequest, context: grpc.aio.ServicerContext
                      ) -> pb.PredictResponse:
        instances = []
        keys: list[str | None] = []
        for i, instance in enumerate(request.instances):
            try:
                instances.append({c: from_value(v, c) for c, v in instance.features.items()})
            except InvalidInput as exc:
                raise InvalidInput(f"model {request.model!r}, instance {i}: {exc.reason}",
                                   column=exc.column) from exc
            keys.append(instance.key or None)
        resp = await self.dataplane.predict(PredictRequest(
            model=request.model,
            instances=instances,
            version=request.version or None,
            keys=keys if any(keys) else None,
            outputs=list(request.outputs) or None,
            request_id=request.request_id or None,
        ))
        return response_message(resp)

    @rpc
    async def GetModelMetadata(self, request: pb.GetModelMetadataRequest,
                               context: grpc.aio.ServicerContext) -> pb.GetModelMetadataResponse:
        meta = await self.dataplane.model_metadata(request.model, request.version or None)
        return pb.GetModelMetadataResponse(
            name=meta.name, versions=meta.versions, platform=meta.platform,
            inputs=[pb.TensorSpec(name=t.name, datatype=t.datatype, shape=t.shape)
                    for t in meta.inputs],
            outputs=[pb.TensorSpec(name=t.name, datatype=t.datatype, shape=t.shape)
                     for t in meta.outputs],
            record_json=json.dumps(meta.record, default=str, sort_keys=True),
        )

    @rpc
    async def ListModels(self, request: pb.ListModelsRequest, context: grpc.aio.ServicerContext
                         ) -> pb.ListModelsResponse:
        return pb.ListModelsResponse(models=[_status(s) for s in await self.dataplane.list_models()])

    @rpc
    async def LoadModel(self, request: pb.LoadModelRequest, context: grpc.aio.ServicerContext
                        ) -> pb.ModelStatus:
        self.dataplane.check_admin(admin_token(context))
        return _status(await self.dataplane.load_model(request.model, request.version or None))

    @rpc
    async def UnloadModel(self, request: pb.UnloadModelRequest, context: grpc.aio.ServicerContext
                          ) -> pb.ModelStatus:
        self.dataplane.check_admin(admin_token(context))
        return _status(await self.dataplane.unload_model(request.model, request.version or None))
