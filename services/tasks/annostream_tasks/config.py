"""Tasks service settings (ANNOSTREAM_* environment)."""

from __future__ import annotations

from annostream_kernel.config import PeerSettings


class TasksSettings(PeerSettings):
    """Settings of the tasks service; its gRPC port defaults to 50052."""

    grpc_port: int = 50052
