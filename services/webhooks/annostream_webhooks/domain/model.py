"""Webhooks: the aggregate, its commands and their invariants (pure: no I/O)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import SplitResult, urlsplit

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import check_text

from .commands import CreateWebhook, UpdateWebhook
from .matching import EVENT_TYPES, validate_subject_filter

MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 500
MIN_SECRET_LENGTH, MAX_SECRET_LENGTH = 16, 256
MAX_EVENT_TYPES = len(EVENT_TYPES)
SECRET_PREFIX = "whsec_"


@dataclass(frozen=True)
class Webhook:
    """A team's HTTP endpoint and which of the team's events it receives."""

    webhook_id: str
    team: str
    url: str
    secret: str
    created_by: str
    description: str = ""
    event_types: tuple[str, ...] = ()
    subject_filter: str = ""
    enabled: bool = True
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def secret_hint(self) -> str:
        """The secret's last 4 characters (enough to tell two secrets apart, not to sign)."""
        return self.secret[-4:]

    def apply(self, change: UpdateWebhook) -> Webhook:
        """This webhook with the fields `change` sets (validated already)."""
        return replace(
            self,
            url=self.url if change.url is None else change.url,
            description=self.description if change.description is None else change.description,
            event_types=self.event_types if change.event_types is None else change.event_types,
            subject_filter=self.subject_filter if change.subject_filter is None else change.subject_filter,
            secret=self.secret if change.secret is None else change.secret,
            enabled=self.enabled if change.enabled is None else change.enabled,
        )


def parse_url(url: str, field: str = "url") -> SplitResult:
    """The URL split into parts if it is an absolute http(s) URL a webhook may target (the address policy is checked
    separately, after DNS resolution); else InvalidArgument naming `field`."""
    check_text(url, field, max_length=MAX_URL_LENGTH)
    if not url:
        raise InvalidArgument("is required", field=field)
    if any(c.isspace() for c in url):
        raise InvalidArgument("must not contain whitespace", field=field)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidArgument(f"is not a valid URL ({exc})", field=field) from exc
    if parts.scheme not in ("http", "https"):
        raise InvalidArgument("must be an http:// or https:// URL", field=field)
    if not parts.hostname:
        raise InvalidArgument("must name a host", field=field)
    if parts.username is not None or parts.password is not None:
        raise InvalidArgument("must not carry credentials (user:password@); put a token in the path", field=field)
    if parts.fragment:
        raise InvalidArgument("must not have a #fragment", field=field)
    if port == 0:
        raise InvalidArgument("port must be 1..65535", field=field)
    return parts


def validate_secret(secret: str, field: str = "secret") -> str:
    """The secret if it is 16..256 printable ASCII characters; else InvalidArgument."""
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise InvalidArgument(f"must be {MIN_SECRET_LENGTH}..{MAX_SECRET_LENGTH} characters", field=field)
    if not all(" " < c <= "~" for c in secret):
        raise InvalidArgument("must be printable ASCII without spaces", field=field)
    return secret


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and 32 random bytes, URL-safe base64."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def validate_event_types(names: list[str], field: str = "event_types") -> tuple[str, ...]:
    """Known event type names, de-duplicated in the given order; else InvalidArgument naming the bad one."""
    out: list[str] = []
    for i, name in enumerate(names):
        if name not in EVENT_TYPES:
            raise InvalidArgument(f"unknown event type {name[:100]!r} (see docs/webhooks.md)", field=f"{field}[{i}]")
        if name not in out:
            out.append(name)
    return tuple(out)


def validate_description(text: str, field: str = "description") -> str:
    """A description of at most 500 characters."""
    return check_text(text, field, max_length=MAX_DESCRIPTION_LENGTH)


def create_command(
    team: str, user: str, url: str, secret: str, description: str, event_types: list[str], subject_filter: str
) -> CreateWebhook:
    """A validated CreateWebhook (a missing secret is generated)."""
    parse_url(url)
    return CreateWebhook(
        team=team,
        created_by=user,
        url=url,
        secret=validate_secret(secret) if secret else new_secret(),
        description=validate_description(description),
        event_types=validate_event_types(event_types),
        subject_filter=validate_subject_filter(subject_filter),
    )
