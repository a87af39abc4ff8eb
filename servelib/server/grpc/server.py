"""One ``grpc.aio`` server: both prediction services, health, reflection, limits and TLS."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from servelib.server.grpc.gen import grpc_service_pb2, grpc_service_pb2_grpc
from servelib.server.grpc.gen import prediction_pb2, prediction_pb2_grpc
from servelib.server.grpc.oip import InferenceService
from servelib.server.grpc.v1 import PredictionService

if TYPE_CHECKING:
    from servelib.server.dataplane import DataPlane

SERVICES = (
    prediction_pb2.DESCRIPTOR.services_by_name["PredictionService"].full_name,
    grpc_service_pb2.DESCRIPTOR.services_by_name["GRPCInferenceService"].full_name,
)


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
    prediction_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionService(dataplane), server)
    grpc_service_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(
        InferenceService(dataplane), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICES, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    address = f"{config.host}:{config.port}"
    credentials = _credentials(config)
    port = (server.add_secure_port(address, credentials) if credentials
            else server.add_insecure_port(address))
    await server.start()
    for name in ("", *SERVICES):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    return GrpcServer(server, health_servicer, port)
