"""Gateway settings (ANNOSTREAM_* environment)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from annostream_kernel.config import PeerSettings


class GatewaySettings(PeerSettings):
    """HTTP listen address and identity mode; peers' addresses come from PeerSettings."""

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    dev_auth: bool = Field(
        default=True,
        description="true: identity from the X-Annostream-User header (dev); false: only from X-Auth-Request-User,"
        " set by an authenticating proxy (401 without it).",
    )
    metrics_on_http: bool = Field(
        default=True,
        description="Also answer GET /metrics on the public HTTP port (local use). false in production, where the"
        " gateway serves its metrics on ANNOSTREAM_METRICS_PORT like every service and /metrics is 404 to the world.",
    )
    web_dir: str = Field(default="", description="Directory of the built web UI (default: web/dist of the checkout).")
    media_roots: str = Field(
        default="",
        description="Comma-separated directories whose files the gateway may serve for file:// frame sources"
        " (nothing is served when empty).",
    )

    @property
    def media_root_paths(self) -> list[Path]:
        """The configured media roots, resolved (symlinks followed)."""
        return [Path(p.strip()).resolve() for p in self.media_roots.split(",") if p.strip()]
