"""Commands of the webhooks service (imperative)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CreateWebhook:
    """Register a webhook for `team` (the caller's acting team)."""

    team: str
    created_by: str
    url: str
    secret: str
    description: str = ""
    event_types: tuple[str, ...] = ()
    subject_filter: str = ""


@dataclass(frozen=True)
class UpdateWebhook:
    """Change the fields that are not None."""

    webhook_id: str
    url: str | None = None
    description: str | None = None
    event_types: tuple[str, ...] | None = None
    subject_filter: str | None = None
    secret: str | None = None
    enabled: bool | None = field(default=None)
