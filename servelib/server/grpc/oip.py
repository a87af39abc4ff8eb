"""Open Inference Protocol v2 ``inference.GRPCInferenceService`` over the DataPlane.

A client that follows ModelMetadata can call any model without knowing it is Spark: one named
input tensor per pipeline input column, typed as ModelMetadata declares. OIP has no per-row
error, so a row that cannot be scored fails the whole request with its status and row number.
"""

from __future__ import annotations

import grpc

import servelib
from servelib.errors import ServelibError
from servelib.server.dataplane import DataPlane, PredictRequest
from servelib.server.grpc.gen import grpc_service_pb2 as pb
from servelib.server.grpc.gen import grpc_service_pb2_grpc as pb_grpc
from servelib.server.grpc.status import rpc
from servelib.server.grpc.tensors import add_output, rows_from_tensors


class RowFailed(ServelibError):
    """One row's error restated with model, version and row number, keeping its status."""

    def __init__(self, model: str, version: str, row: int, error: ServelibError) -> None:
        self.status = error.status
        super().__init__(f"model {model!r} version {version}, row {row}: {error}")


class InferenceService(pb_grpc.GRPCInferenceServiceServicer):
    def __init__(self, dataplane: DataPlane) -> None:
        self.dataplane = dataplane

    @rpc
    async def ServerLive(self, request: pb.ServerLiveRequest, context: grpc.aio.ServicerContext
                         ) -> pb.ServerLiveResponse:
        return pb.ServerLiveResponse(live=self.dataplane.live())

    @rpc
    async def ServerReady(self, request: pb.ServerReadyRequest, context: grpc.aio.ServicerContext
                          ) -> pb.ServerReadyResponse:
        return pb.ServerReadyResponse(ready=self.dataplane.ready())

    @rpc
    async def ModelReady(self, request: pb.ModelReadyRequest, context: grpc.aio.ServicerContext
                         ) -> pb.ModelReadyResponse:
        ready = await self.dataplane.model_ready(request.name, request.version or None)
        return pb.ModelReadyResponse(ready=ready)

    @rpc
    async def ServerMetadata(self, request: pb.ServerMetadataRequest,
                             context: grpc.aio.ServicerContext) -> pb.ServerMetadataResponse:
        return pb.ServerMetadataResponse(name="servelib", version=servelib.__version__)

    @rpc
    async def ModelMetadata(self, request: pb.ModelMetadataRequest,
                            context: grpc.aio.ServicerContext) -> pb.ModelMetadataResponse:
        meta = await self.dataplane.model_metadata(request.name, request.version or None)
        tensor = pb.ModelMetadataResponse.TensorMetadata
        return pb.ModelMetadataResponse(
            name=meta.name, versions=meta.versions, platform=meta.platform,
            inputs=[tensor(name=t.name, datatype=t.datatype, shape=t.shape) for t in meta.inputs],
            outputs=[tensor(name=t.name, datatype=t.datatype, shape=t.shape) for t in meta.outputs],
        )

    @rpc
    async def ModelInfer(self, request: pb.ModelInferRequest, context: grpc.aio.ServicerContext
                         ) -> pb.ModelInferResponse:
        version = request.model_version or None
        rows = rows_from_tensors(request, await self._vector_inputs(request, version))
        outputs = [o.name for o in request.outputs] or None
        resp = await self.dataplane.predict(PredictRequest(
            model=request.model_name, instances=rows, version=version, outputs=outputs,
            request_id=request.id or None))
        for i, result in enumerate(resp.results):
            if result.error is not None:
                raise RowFailed(resp.model, resp.version, i, result.error)
        out = pb.ModelInferResponse(model_name=resp.model, model_version=resp.version,
                                    id=request.id)
        names = outputs or (list(resp.results[0].outputs or {}) if resp.results else [])
        raw = bool(request.raw_input_contents)
        for name in names:
            add_output(out, name, [r.outputs[name] for r in resp.results], raw)
        return out

    async def _vector_inputs(self, request: pb.ModelInferRequest, version: str | None) -> set[str]:
        """Input columns declared as vectors; asked only when a [batch, 1] tensor is ambiguous."""
        if not any(len(t.shape) == 2 and t.shape[1] == 1 for t in request.inputs):
            return set()
        meta = await self.dataplane.model_metadata(request.model_name, version)
        return {t.name for t in meta.inputs if len(t.shape) == 2}
