"""gRPC transport: thin adapters from protobuf messages to the DataPlane and back.

Two services share one ``grpc.aio`` server: ``servelib.v1.PredictionService`` (:mod:`.v1`) and the
Open Inference Protocol v2 ``inference.GRPCInferenceService`` (:mod:`.oip`), plus
``grpc.health.v1`` and server reflection (:mod:`.server`). Protobuf classes never leave this
package: handlers convert to and from the DataPlane's dataclasses and map errors once
(:mod:`.status`). The generated code in ``gen/`` is written by ``scripts/gen_protos.py`` only.
"""

from servelib.server.grpc.server import GrpcConfig, start_grpc_server

__all__ = ["GrpcConfig", "start_grpc_server"]
