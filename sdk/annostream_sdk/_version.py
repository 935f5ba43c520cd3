"""The SDK's version: the HTTP API's (`info.version` of /openapi.json) and its path prefix."""

__version__ = "0.1.0"
API_PREFIX = "/api/v1"
