"""The committed generated package is exactly what scripts/gen_protos.py writes from proto/."""

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from servelib.server.grpc.gen import prediction_pb2_grpc

ROOT = Path(__file__).resolve().parents[3]


def test_generated_code_matches_protos() -> None:
    pytest.importorskip("grpc_tools")
    if version("grpcio-tools") != prediction_pb2_grpc.GRPC_GENERATED_VERSION:
        pytest.skip(f"grpcio-tools {version('grpcio-tools')} is not the version that generated "
                    f"the package ({prediction_pb2_grpc.GRPC_GENERATED_VERSION}, pinned in setup.cfg)")
    done = subprocess.run([sys.executable, "scripts/gen_protos.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
