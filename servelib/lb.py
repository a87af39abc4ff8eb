"""``servelib lb-config nginx``: an nginx config that shards models over servelib instances.

gRPC calls are routed by consistent hashing on the ``x-model-id`` metadata (an HTTP/2 header,
which ``servelib.client`` sets), so each model's requests land on one instance and each instance
loads only its share of the models. When an instance cannot be reached, nginx retries the call on
the next upstream in the hash ring (``grpc_next_upstream error timeout``) and keeps it out for
``fail_timeout``; the survivors load the moved models lazily on their first request. A call
already sent to an instance that dies fails (gRPC calls are POSTs, which nginx never re-sends).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class NginxConfig:
    instances: Sequence[str]             # host:port of each servelib gRPC listener
    listen: str = "127.0.0.1:8080"
    worker_processes: int = 1
    fail_timeout: int = 10               # seconds an unreachable instance stays out
    connect_timeout: str = "1s"
    read_timeout: str = "60s"
    keepalive: int = 64                  # idle upstream connections kept per nginx worker
    pid: str | None = None               # paths for running nginx as a non-root user
    error_log: str | None = None
    temp_dir: str | None = None


def nginx_config(c: NginxConfig) -> str:
    if not c.instances:
        raise ValueError("at least one instance (host:port) is needed")
    for address in c.instances:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"instance {address!r} is not host:port")
    servers = "\n".join(f"        server {a} max_fails=1 fail_timeout={c.fail_timeout}s;"
                        for a in c.instances)
    top = [f"worker_processes {c.worker_processes};"]
    if c.pid:
        top.append(f"pid {c.pid};")
    top.append(f"error_log {c.error_log or 'stderr'} warn;")
    temp = ""
    if c.temp_dir:
        temp = "".join(f"    {kind}_temp_path {c.temp_dir}/{kind};\n"
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""# Written by `servelib lb-config nginx`: gRPC sharded by model id over servelib instances.
{chr(10).join(top)}

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
{temp}
    upstream servelib_grpc {{
        # one model -> one instance; adding or losing an instance moves only its share
        hash $http_x_model_id consistent;
{servers}
        keepalive {c.keepalive};
    }}

    server {{
        listen {c.listen} http2;

        location / {{
            grpc_pass grpc://servelib_grpc;
            grpc_connect_timeout {c.connect_timeout};
            grpc_read_timeout {c.read_timeout};
            grpc_send_timeout {c.read_timeout};
            # an instance that refuses or drops the connection: try the next one in the ring
            grpc_next_upstream error timeout;
            grpc_next_upstream_tries {len(c.instances)};
        }}
    }}
}}
"""
