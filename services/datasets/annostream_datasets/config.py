"""Datasets service settings (ANNOSTREAM_* environment)."""

from __future__ import annotations

from annostream_kernel.config import PeerSettings


class DatasetsSettings(PeerSettings):
    """Settings of the datasets service; its gRPC port defaults to 50051."""

    grpc_port: int = 50051
