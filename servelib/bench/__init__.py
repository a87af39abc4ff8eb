"""`servelib bench`: an open-loop gRPC load generator for servelib and any OIP server."""
