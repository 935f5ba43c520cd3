"""Client methods for webhooks: a team's HTTP endpoints receiving its events as signed CloudEvents, and their
deliveries (team admins; docs/webhooks.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from .models_tasks import CreatedWebhook, Delivery, DeliveryPage, Webhook, WebhookPage
from .transport import Transport


class WebhooksApi:
    """Register, change and remove webhooks; list and re-send deliveries."""

    _t: Transport

    def create_webhook(
        self,
        url: str,
        *,
        event_types: Sequence[str] = (),
        subject_filter: str = "",
        secret: str | None = None,
        description: str = "",
    ) -> CreatedWebhook:
        """Register a webhook for the acting team; the answer carries the signing secret, once."""
        body = {
            "url": url,
            "event_types": list(event_types),
            "subject_filter": subject_filter,
            "secret": secret,
            "description": description,
        }
        return CreatedWebhook.model_validate(self._t.json("create_webhook", json=body))

    def list_webhooks(self, *, page_size: int = 100, page_token: str | None = None) -> WebhookPage:
        """The team's webhooks, oldest first."""
        params = {"page_size": page_size, "page_token": page_token}
        return WebhookPage.model_validate(self._t.json("list_webhooks", params=params))

    def get_webhook(self, webhook_id: str) -> Webhook:
        """One webhook (without its secret)."""
        return Webhook.model_validate(self._t.json("get_webhook", {"webhook_id": webhook_id}))

    def update_webhook(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        subject_filter: str | None = None,
        secret: str | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> Webhook:
        """Change the given fields (a disabled webhook queues nothing new)."""
        given: dict[str, Any] = {
            "url": url,
            "event_types": None if event_types is None else list(event_types),
            "subject_filter": subject_filter,
            "secret": secret,
            "description": description,
            "enabled": enabled,
        }
        body = {k: v for k, v in given.items() if v is not None}
        return Webhook.model_validate(self._t.json("update_webhook", {"webhook_id": webhook_id}, json=body))

    def delete_webhook(self, webhook_id: str) -> None:
        """Delete a webhook with its deliveries."""
        self._t.send("delete_webhook", {"webhook_id": webhook_id})

    def list_deliveries(
        self,
        webhook_id: str,
        *,
        state: Literal["pending", "delivered", "dead"] | None = None,
        page_size: int = 100,
        page_token: str | None = None,
    ) -> DeliveryPage:
        """The webhook's deliveries, newest first: state, attempts, last status and error."""
        params = {"state": state, "page_size": page_size, "page_token": page_token}
        return DeliveryPage.model_validate(self._t.json("list_deliveries", {"webhook_id": webhook_id}, params=params))

    def resend_delivery(self, webhook_id: str, delivery_id: str) -> Delivery:
        """Send a delivered or dead-lettered delivery again."""
        path = {"webhook_id": webhook_id, "delivery_id": delivery_id}
        return Delivery.model_validate(self._t.json("resend_delivery", path))
