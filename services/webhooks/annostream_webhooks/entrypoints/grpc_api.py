"""Thin gRPC servicer of the webhooks service."""

from __future__ import annotations

from typing import Any

from annostream_kernel.authz import require_principal
from annostream_protos.webhooks.v1 import webhooks_service_pb2 as api
from annostream_protos.webhooks.v1 import webhooks_service_pb2_grpc as api_grpc

from ..domain.commands import UpdateWebhook
from ..domain.matching import validate_subject_filter
from ..domain.model import (
    create_command,
    parse_url,
    validate_description,
    validate_event_types,
    validate_secret,
)
from ..service_layer.handlers import WebhookHandlers
from .api_messages import delivery_msg, state_filter, webhook_msg


class WebhooksServicer(api_grpc.WebhooksServiceServicer):
    """annostream.webhooks.v1.WebhooksService."""

    def __init__(self, handlers: WebhookHandlers) -> None:
        self._h = handlers

    async def CreateWebhook(self, request: api.CreateWebhookRequest, context: Any) -> api.CreateWebhookResponse:
        caller = require_principal()
        cmd = create_command(
            caller.team,
            caller.user,
            request.url,
            request.secret,
            request.description,
            list(request.event_types),
            request.subject_filter,
        )
        webhook = await self._h.create(cmd)
        return api.CreateWebhookResponse(webhook=webhook_msg(webhook), secret=webhook.secret)

    async def GetWebhook(self, request: api.GetWebhookRequest, context: Any) -> api.GetWebhookResponse:
        return api.GetWebhookResponse(webhook=webhook_msg(await self._h.get(request.webhook_id)))

    async def ListWebhooks(self, request: api.ListWebhooksRequest, context: Any) -> api.ListWebhooksResponse:
        rows, token = await self._h.list_webhooks(require_principal().team, request.page_size, request.page_token)
        return api.ListWebhooksResponse(webhooks=[webhook_msg(w) for w in rows], next_page_token=token)

    async def UpdateWebhook(self, request: api.UpdateWebhookRequest, context: Any) -> api.UpdateWebhookResponse:
        has = request.HasField
        if has("url"):
            parse_url(request.url)
        change = UpdateWebhook(
            webhook_id=request.webhook_id,
            url=request.url if has("url") else None,
            description=validate_description(request.description) if has("description") else None,
            event_types=validate_event_types(list(request.event_types.names)) if has("event_types") else None,
            subject_filter=validate_subject_filter(request.subject_filter) if has("subject_filter") else None,
            secret=validate_secret(request.secret) if has("secret") else None,
            enabled=request.enabled if has("enabled") else None,
        )
        return api.UpdateWebhookResponse(webhook=webhook_msg(await self._h.update(change)))

    async def DeleteWebhook(self, request: api.DeleteWebhookRequest, context: Any) -> api.DeleteWebhookResponse:
        await self._h.delete(request.webhook_id)
        return api.DeleteWebhookResponse()

    async def ListDeliveries(self, request: api.ListDeliveriesRequest, context: Any) -> api.ListDeliveriesResponse:
        rows, token = await self._h.deliveries(
            request.webhook_id, state_filter(request.state), request.page_size, request.page_token
        )
        return api.ListDeliveriesResponse(deliveries=[delivery_msg(d) for d in rows], next_page_token=token)

    async def ResendDelivery(self, request: api.ResendDeliveryRequest, context: Any) -> api.ResendDeliveryResponse:
        delivery = await self._h.resend(request.webhook_id, request.delivery_id)
        return api.ResendDeliveryResponse(delivery=delivery_msg(delivery))
