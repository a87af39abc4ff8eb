"""The transport under abuse: garbage on the wire, deadlines, health, reflection, TLS. After
each, the server keeps answering."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from servelib.client import Client, RemoteError
from tests.server.grpc.conftest import FRAUD_ROW, Running

PREDICT = "/servelib.v1.PredictionService/Predict"


def still_serving(address: str) -> None:
    with Client(address) as client:
        [p] = client.predict("fraud", [FRAUD_ROW])
    assert p.error is None


def test_garbage_message_bytes(running: Running) -> None:
    with grpc.insecure_channel(running.address) as channel:
        call = channel.unary_unary(PREDICT)  # no serializers: raw bytes on the wire
        for junk in (b"\xff\xfe\xfd garbage \x00\x01", b"\x0a\xff\xff\xff\xff\x0f"):
            with pytest.raises(grpc.RpcError) as err:
                call(junk, timeout=5)
            assert err.value.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.INVALID_ARGUMENT)
    still_serving(running.address)


def test_garbage_on_the_socket(running: Running) -> None:
    for junk in (b"GET / HTTP/1.1\r\n\r\n", bytes(range(256)) * 4):
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as sock:
            sock.sendall(junk)
            sock.settimeout(2)
            try:
                while sock.recv(4096):
                    pass
            except (TimeoutError, ConnectionResetError):
                pass
    still_serving(running.address)


def test_oversized_message(running: Running) -> None:
    big = {**FRAUD_ROW, "city": "x" * (2 << 20)}  # the fixture's limit is 1 MiB
    with Client(running.address) as client, pytest.raises(RemoteError) as err:
        client.predict("fraud", [big])
    assert err.value.code == "RESOURCE_EXHAUSTED"
    still_serving(running.address)


def test_deadline_shorter_than_the_score(running: Running) -> None:
    """The server stops waiting for the score when the caller's deadline passes."""
    plane = running.dataplane
    original = plane.predict
    cancelled = asyncio.Event()

    async def slow(request):
        try:
            await asyncio.sleep(2)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return await original(request)

    plane.predict = slow
    try:
        with Client(running.address, timeout=0.2) as client, pytest.raises(RemoteError) as err:
            client.predict("fraud", [FRAUD_ROW])
        assert err.value.code == "DEADLINE_EXCEEDED"
        running.run(asyncio.wait_for(cancelled.wait(), 2))
    finally:
        plane.predict = original
    still_serving(running.address)


def test_health_overall_and_per_service(running: Running) -> None:
    with grpc.insecure_channel(running.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "servelib.v1.PredictionService", "inference.GRPCInferenceService"):
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as err:
            stub.Check(health_pb2.HealthCheckRequest(service="nope"), timeout=5)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_lists_the_services(running: Running) -> None:
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
        ProtoReflectionDescriptorDatabase,
    )

    with grpc.insecure_channel(running.address) as channel:
        services = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    assert {"servelib.v1.PredictionService", "inference.GRPCInferenceService",
            "grpc.health.v1.Health"} <= services


def _self_signed(tmp: Path, name: str) -> tuple[Path, Path]:
    key, cert = tmp / f"{name}.key", tmp / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True,
                   timeout=60)
    return key, cert


def test_tls_and_mutual_tls(running: Running, tmp_path: Path) -> None:
    if subprocess.run(["which", "openssl"], capture_output=True).returncode:
        pytest.skip("openssl is not installed")
    from servelib.server.grpc import GrpcConfig, start_grpc_server

    key, cert = _self_signed(tmp_path, "server")
    ckey, ccert = _self_signed(tmp_path, "client")
    for client_ca in (None, ccert):
        config = GrpcConfig(port=0, tls_cert=str(cert), tls_key=str(key),
                            tls_client_ca=str(client_ca) if client_ca else None)
        server = running.run(start_grpc_server(running.dataplane, config))
        address = f"127.0.0.1:{server.port}"
        try:
            with Client(address, root_certificates=cert.read_bytes()) as client:
                if client_ca is None:
                    assert client.predict("fraud", [FRAUD_ROW])[0].error is None
                else:  # mTLS: a client without a certificate is turned away
                    with pytest.raises(RemoteError) as err:
                        client.predict("fraud", [FRAUD_ROW])
                    assert err.value.code == "UNAVAILABLE"
            if client_ca is not None:
                creds = grpc.ssl_channel_credentials(cert.read_bytes(), ckey.read_bytes(),
                                                     ccert.read_bytes())
                with grpc.secure_channel(address, creds) as channel:
                    health = health_pb2_grpc.HealthStub(channel)
                    assert health.Check(health_pb2.HealthCheckRequest(), timeout=5).status in (
                        health_pb2.HealthCheckResponse.NOT_SERVING,
                        health_pb2.HealthCheckResponse.SERVING)
        finally:
            running.run(server.server.stop(0))
