"""Settings fail fast on bad configuration."""

import pytest
from pydantic import ValidationError

from annostream_kernel.config import KernelSettings, validate_schema_name


def test_bad_database_url_fails_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOSTREAM_DATABASE_URL", "mysql://nope")
    with pytest.raises(ValidationError, match="database_url"):
        KernelSettings()


def test_bad_port_fails_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOSTREAM_GRPC_PORT", "99999")
    with pytest.raises(ValidationError, match="grpc_port"):
        KernelSettings()


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOSTREAM_NATS_URL", "nats://a:1,nats://b:2")
    assert KernelSettings().nats_url == "nats://a:1,nats://b:2"


def test_schema_names_must_be_plain_identifiers() -> None:
    assert validate_schema_name("datasets") == "datasets"
    with pytest.raises(ValueError, match="invalid schema"):
        validate_schema_name("x; DROP TABLE y")
