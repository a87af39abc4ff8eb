#!/usr/bin/env bash
# Set up .venv with servelib and run the demo (examples/demo.py): score in process, then serve the
# bundled model repository over gRPC, call it and shut it down. No JVM needed.
#   bash scripts/demo.sh [demo.py args, e.g. --calls 20000]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/_env.sh

ensure_venv
install_servelib
say "python examples/demo.py $*"
exec "$VENV/bin/python" examples/demo.py "$@"
