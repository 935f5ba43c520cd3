"""Annotation service settings (ANNOSTREAM_* environment)."""

from __future__ import annotations

from annostream_kernel.config import PeerSettings


class AnnotationSettings(PeerSettings):
    """Settings of the annotation service; its gRPC port defaults to 50054."""

    grpc_port: int = 50054
