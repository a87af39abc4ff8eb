"""servelib/server/app.py: the listening socket every HTTP connection is accepted from."""

from __future__ import annotations

import socket

from servelib.server.app import listening_socket


def test_accepted_connections_do_not_wait_for_nagle():
    """uvicorn writes a response's headers and body separately; without TCP_NODELAY the body
    waits for the client's delayed ACK (~40 ms per response)."""
    sock = listening_socket("127.0.0.1", 0, reuse_port=False)
    try:
        sock.listen()
        with socket.create_connection(sock.getsockname()) as _:
            accepted, _ = sock.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        sock.close()
