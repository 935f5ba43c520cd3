"""Identifier helpers."""

from __future__ import annotations

import uuid

import uuid_utils


def uuid7() -> uuid.UUID:
    """Return a time-ordered UUIDv7 as a standard `uuid.UUID`."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


def new_id(prefix: str = "") -> str:
    """Return a new uuid7 string, optionally prefixed (e.g. "ds_")."""
    return f"{prefix}{uuid7().hex}"
