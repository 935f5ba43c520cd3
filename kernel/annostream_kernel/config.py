"""Settings base: pydantic-settings with the ANNOSTREAM_ prefix; invalid config fails at start."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_SCHEMA_RE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class KernelSettings(BaseSettings):
    """Settings every component shares; components subclass it and add their own fields."""

    model_config = SettingsConfigDict(env_prefix="ANNOSTREAM_", extra="ignore", frozen=True)

    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        description="PostgreSQL DSN; each service uses its own schema in this database.",
    )
    nats_url: str = Field(default="nats://127.0.0.1:4222", description="NATS server URL(s), comma-separated.")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    grpc_host: str = "127.0.0.1"
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    shutdown_grace_seconds: float = Field(default=10.0, gt=0, description="Drain time on SIGTERM.")
    health_interval_seconds: float = Field(default=2.0, gt=0)
    metrics_host: str = Field(default="127.0.0.1", description="Address a service serves its metrics on.")
    metrics_port: int = Field(default=0, ge=0, le=65535, description="Port of a service's /metrics (0: off).")
    metrics_interval_seconds: float = Field(
        default=5.0, gt=0, description="How often lags, dead letters and pool sizes are sampled for the metrics."
    )
    db_pool_min: int = Field(default=1, ge=0)
    db_pool_max: int = Field(default=10, ge=1)
    relay_batch: int = Field(default=500, ge=1, le=10_000)
    relay_poll_seconds: float = Field(default=1.0, gt=0)
    consumer_batch: int = Field(default=100, ge=1, le=10_000)
    consumer_max_attempts: int = Field(default=5, ge=1, description="Deliveries before an event is dead-lettered.")
    consumer_linger_seconds: float = Field(
        default=0.02, ge=0, le=5, description="Pause after a partial batch (busy streams apply in bigger batches)."
    )
    relay_linger_seconds: float = Field(
        default=0.002, ge=0, le=1, description="Pause after a wake-up, to publish several commits at once."
    )
    stream_replicas: int = Field(default=1, ge=1, le=5, description="JetStream replicas of streams this creates.")
    consumer_delay_seconds: str = Field(
        default="",
        description="For tests only: seconds a consumer waits before applying each fetched batch, to make it lag"
        " on purpose: `2` (every consumer of the process) or `durable=seconds,...` (e.g. `iterator-tasks=1`).",
    )

    @field_validator("database_url")
    @classmethod
    def _dsn(cls, v: str) -> str:
        if not v.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return v

    @field_validator("consumer_delay_seconds")
    @classmethod
    def _delays(cls, v: str) -> str:
        parse_delays(v)
        return v

    def consumer_delay(self, durable: str) -> float:
        """Seconds the consumer `durable` waits before each batch (0 unless set for a test)."""
        delays = parse_delays(self.consumer_delay_seconds)
        return delays.get(durable, delays.get("", 0.0))

    @field_validator("nats_url")
    @classmethod
    def _nats(cls, v: str) -> str:
        for url in v.split(","):
            if not url.strip().startswith(("nats://", "tls://", "ws://", "wss://")):
                raise ValueError(f"not a NATS URL: {url!r}")
        return v


def parse_delays(text: str) -> dict[str, float]:
    """`2` → {"": 2.0}; `a=1,b=0.5` → {"a": 1.0, "b": 0.5}; ValueError on anything else."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.rpartition("=")
        try:
            seconds = float(value)
        except ValueError:
            raise ValueError(f"not seconds: {part!r} (give `2` or `durable=seconds,...`)") from None
        if not 0 <= seconds <= 20:  # below the consumers' ack wait (30 s): a held batch is not redelivered
            raise ValueError(f"must be between 0 and 20 seconds: {part!r}")
        out[name.strip()] = seconds
    return out


def validate_schema_name(name: str) -> str:
    """Return `name` if it is a safe lower-case SQL identifier, else raise ValueError."""
    if not _SCHEMA_RE.fullmatch(name):
        raise ValueError(f"invalid schema name {name!r}")
    return name


class PeerSettings(KernelSettings):
    """Addresses (host:port) of every gRPC service, for components that call their peers."""

    datasets_addr: str = "127.0.0.1:50051"
    tasks_addr: str = "127.0.0.1:50052"
    iterator_addr: str = "127.0.0.1:50053"
    annotation_addr: str = "127.0.0.1:50054"
    webhooks_addr: str = "127.0.0.1:50055"
    peer_timeout_seconds: float = Field(default=10.0, gt=0)
