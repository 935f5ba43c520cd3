"""Webhooks service settings (ANNOSTREAM_* environment)."""

from __future__ import annotations

from pydantic import Field, field_validator

from annostream_kernel.config import KernelSettings

from .domain.targets import IPNetwork, parse_networks


class WebhooksSettings(KernelSettings):
    """Settings of the webhooks service; its gRPC port defaults to 50055."""

    grpc_port: int = 50055
    webhook_allow_networks: str = Field(
        default="",
        description="Comma-separated CIDRs webhooks may target although they are not public (loopback, private,"
        " link-local...); empty = public addresses only.",
    )
    webhook_max_attempts: int = Field(default=12, ge=1, le=100, description="Attempts before a delivery is dead.")
    webhook_backoff_base_seconds: float = Field(
        default=2.0, gt=0, description="Delay after the first failed attempt; doubles after each (with ±20% jitter)."
    )
    webhook_backoff_max_seconds: float = Field(default=1800.0, gt=0, description="The longest delay between attempts.")
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=300, description="One attempt's time limit.")
    webhook_concurrency: int = Field(default=64, ge=1, le=10_000, description="Attempts in flight per process.")
    webhook_retention_days: float = Field(
        default=14.0, gt=0, description="How long delivered and dead-lettered deliveries stay listable."
    )

    @field_validator("webhook_allow_networks")
    @classmethod
    def _networks(cls, v: str) -> str:
        parse_networks(v)
        return v

    @property
    def allowed_networks(self) -> tuple[IPNetwork, ...]:
        """The networks of webhook_allow_networks."""
        return parse_networks(self.webhook_allow_networks)
