"""One ``grpc.aio`` server: both prediction services, health, reflection, limits and TLS."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import DecodeError
from google.protobuf.message_factory import GetMessageClass
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from servelib.server.grpc.gen import grpc_service_pb2, prediction_pb2
from servelib.server.grpc.oip import InferenceService
from servelib.server.grpc.v1 import PredictionService

if TYPE_CHECKING:
    from servelib.server.dataplane import DataPlane

PREDICTION = prediction_pb2.DESCRIPTOR.services_by_name["PredictionService"]
INFERENCE = grpc_service_pb2.DESCRIPTOR.services_by_name["GRPCInferenceService"]
SERVICES = (PREDICTION.full_name, INFERENCE.full_name)


@dataclass(frozen=True)
class GrpcConfig:
    host: str = "127.0.0.1"
    port: int = 8001
    max_message_bytes: int = 16 * 1024 * 1024
    reuse_port: bool = False          # several worker processes on one port
    tls_cert: str | None = None       # PEM files; with tls_client_ca, clients must present a cert
    tls_key: str | None = None
    tls_client_ca: str | None = None


@dataclass
class GrpcServer:
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    port: int

    async def serving(self) -> None:
        """SERVING for the whole server and each service (they start NOT_SERVING)."""
        for name in ("", *SERVICES):  # "" is the whole server
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def drain(self, grace: float) -> None:
        """NOT_SERVING for every service, refuse new calls, let in-flight ones finish."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)


def _method_handler(method: MethodDescriptor, servicer: object) -> grpc.RpcMethodHandler:
    """What the generated ``add_*_to_server`` builds, except that the request is parsed inside
    the handler: bytes that are not the request message get INVALID_ARGUMENT, not UNKNOWN."""
    parse = GetMessageClass(method.input_type).FromString
    behaviour = getattr(servicer, method.name)

    async def call(raw: bytes, context: grpc.aio.ServicerContext) -> object:
        try:
            request = parse(raw)
        except DecodeError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"{method.full_name}: the request is not a valid "
                                f"{method.input_type.full_name} message ({exc})")
        return await behaviour(request, context)

    return grpc.unary_unary_rpc_method_handler(
        call, response_serializer=GetMessageClass(method.output_type).SerializeToString)


def _add_service(server: grpc.aio.Server, service: ServiceDescriptor, servicer: object) -> None:
    handlers = {m.name: _method_handler(m, servicer) for m in service.methods}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service.full_name,
                                                                          handlers),))
    server.add_registered_method_handlers(service.full_name, handlers)


def _credentials(config: GrpcConfig) -> grpc.ServerCredentials | None:
    if not (config.tls_cert or config.tls_key):
        return None
    if not (config.tls_cert and config.tls_key):
        raise ValueError("TLS needs both a certificate and a key")
    pair = (Path(config.tls_key).read_bytes(), Path(config.tls_cert).read_bytes())
    ca = Path(config.tls_client_ca).read_bytes() if config.tls_client_ca else None
    return grpc.ssl_server_credentials([pair], root_certificates=ca,
                                       require_client_auth=ca is not None)


async def start_grpc_server(dataplane: DataPlane, config: GrpcConfig) -> GrpcServer:
    options = [
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_send_message_length", config.max_message_bytes),
        ("grpc.so_reuseport", int(config.reuse_port)),
    ]
    server = grpc.aio.server(options=options)
    _add_service(server, PREDICTION, PredictionService(dataplane))
    _add_service(server, INFERENCE, InferenceService(dataplane))
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICES, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    address = f"{config.host}:{config.port}"
    credentials = _credentials(config)
    try:
        port = (server.add_secure_port(address, credentials) if credentials
                else server.add_insecure_port(address))
    except RuntimeError as exc:  # grpc's "failed to bind": the port is taken
        raise OSError(f"cannot listen for gRPC on {address}: {exc}") from exc
    await server.start()
    for name in ("", *SERVICES):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    return GrpcServer(server, health_servicer, port)
