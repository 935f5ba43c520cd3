"""Gateway settings (ANNOSTREAM_* environment)."""

from __future__ import annotations

from pydantic import Field

from annostream_kernel.config import PeerSettings


class GatewaySettings(PeerSettings):
    """HTTP listen address and identity mode; peers' addresses come from PeerSettings."""

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    dev_auth: bool = Field(default=True, description="Take identity from the X-Annostream-User header.")
