"""The prediction service: one DataPlane (all request logic) behind thin gRPC and HTTP adapters."""
