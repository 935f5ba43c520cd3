"""Iterator settings (ANNOSTREAM_* environment)."""

from __future__ import annotations

from pydantic import Field

from annostream_kernel.config import PeerSettings


class IteratorSettings(PeerSettings):
    """Settings of the iterator; its gRPC port defaults to 50053."""

    grpc_port: int = 50053
    lease_ttl_seconds: float = Field(default=600.0, gt=0, description="How long a frame stays leased.")
    progress_interval_seconds: float = Field(
        default=0.5, gt=0, description="How often changed progress is published as TaskProgressed (coalesced)."
    )
    review_interval_seconds: float = Field(
        default=0.2, gt=0, description="How often frames that entered review are announced (ReviewRequested)."
    )
