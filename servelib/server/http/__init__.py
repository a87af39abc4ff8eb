"""HTTP transport: a Starlette app over the DataPlane (run by uvicorn; see app.py for routes)."""

from servelib.server.http.app import create_app

__all__ = ["create_app"]
