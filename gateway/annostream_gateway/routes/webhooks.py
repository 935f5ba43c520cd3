"""Webhooks: a team's HTTP endpoints that receive its events as signed CloudEvents (docs/webhooks.md), and their
deliveries. Team admins only (the webhooks service checks it)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, Field

from annostream_kernel.grpc_client import call
from annostream_kernel.limits import MAX_ID_LENGTH
from annostream_protos.webhooks.v1 import webhooks_service_pb2 as wh

from ..clients import Clients
from ..contract import COMMON, errors
from ..schemas import Strict
from .deps import clients, identity

router = APIRouter(prefix="/api/v1", tags=["webhooks"], responses=errors(*COMMON))
# The webhooks service's rules (services/webhooks domain/model.py, matching.py), declared for the spec; the service
# enforces them (400 naming the field) whatever a client sends.
Url = Annotated[str, Field(min_length=1, max_length=2048)]
Description = Annotated[str, Field(max_length=500)]
Secret = Annotated[str, Field(min_length=16, max_length=256, pattern="^[!-~]+$")]
SubjectFilter = Annotated[str, Field(max_length=1024)]
EventTypes = Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=100)]
PageToken = Annotated[str, Query(max_length=4 * MAX_ID_LENGTH)]
C = Annotated[Clients, Depends(clients)]
User = Annotated[str, Depends(identity)]
W = "/webhooks/{webhook_id}"
DeliveryStateName = Literal["pending", "delivered", "dead"]
STATES: dict[DeliveryStateName, wh.DeliveryState] = {
    "pending": wh.DELIVERY_STATE_PENDING,
    "delivered": wh.DELIVERY_STATE_DELIVERED,
    "dead": wh.DELIVERY_STATE_DEAD,
}
STATE_NAMES: dict[wh.DeliveryState, DeliveryStateName] = {v: k for k, v in STATES.items()}


class CreateWebhookBody(Strict):
    url: Url = Field(description="http(s) URL; its host must resolve to public addresses (see docs/webhooks.md).")
    description: Description = ""
    event_types: EventTypes = Field(default_factory=list, description="Event types to receive; empty = every type.")
    subject_filter: SubjectFilter = Field(
        default="", description="NATS-style subject filter (`*`, `>`); empty = every one."
    )
    secret: Secret | None = Field(default=None, description="Signing secret (16..256 characters); omitted = generated.")


class UpdateWebhookBody(Strict):
    url: Url | None = None
    description: Description | None = None
    event_types: EventTypes | None = Field(default=None, description="Replaces the list; [] = every type.")
    subject_filter: SubjectFilter | None = None
    secret: Secret | None = None
    enabled: bool | None = None


class WebhookOut(BaseModel):
    webhook_id: str
    team: str
    url: str
    description: str
    event_types: list[str]
    subject_filter: str
    enabled: bool
    created_by: str
    created_at: str | None
    updated_at: str | None
    secret_hint: str = Field(description="The signing secret's last 4 characters.")


class CreatedWebhookOut(WebhookOut):
    secret: str = Field(description="The signing secret: answered only here, keep it.")


class WebhookListOut(BaseModel):
    webhooks: list[WebhookOut]
    next_page_token: str | None


class DeliveryOut(BaseModel):
    delivery_id: str
    webhook_id: str
    event_id: str = Field(description="The CloudEvent id: receivers de-duplicate by it.")
    event_type: str
    subject: str
    stream_id: str
    stream_version: int
    state: DeliveryStateName
    attempts: int
    last_status: int | None = Field(description="HTTP status of the last answer (null: no answer).")
    last_error: str
    created_at: str | None
    last_attempt_at: str | None
    next_attempt_at: str | None
    completed_at: str | None


class DeliveryListOut(BaseModel):
    deliveries: list[DeliveryOut]
    next_page_token: str | None


def _ts(value: Timestamp) -> str | None:
    return value.ToDatetime().isoformat() + "Z" if value.seconds or value.nanos else None


def _webhook(w: wh.Webhook) -> WebhookOut:
    return WebhookOut(
        webhook_id=w.webhook_id,
        team=w.team,
        url=w.url,
        description=w.description,
        event_types=list(w.event_types),
        subject_filter=w.subject_filter,
        enabled=w.enabled,
        created_by=w.created_by,
        created_at=_ts(w.created_at),
        updated_at=_ts(w.updated_at),
        secret_hint=w.secret_hint,
    )


def _delivery(d: wh.Delivery) -> DeliveryOut:
    return DeliveryOut(
        delivery_id=d.delivery_id,
        webhook_id=d.webhook_id,
        event_id=d.event_id,
        event_type=d.event_type,
        subject=d.subject,
        stream_id=d.stream_id,
        stream_version=d.stream_version,
        state=STATE_NAMES.get(d.state, "pending"),
        attempts=d.attempts,
        last_status=d.last_status or None,
        last_error=d.last_error,
        created_at=_ts(d.created_at),
        last_attempt_at=_ts(d.last_attempt_at),
        next_attempt_at=_ts(d.next_attempt_at),
        completed_at=_ts(d.completed_at),
    )


@router.post("/webhooks", status_code=201, responses=errors(409, 413))
async def create_webhook(body: CreateWebhookBody, c: C, _user: User) -> CreatedWebhookOut:
    """Register a webhook for the acting team (team admins); the answer carries the signing secret, once."""
    req = wh.CreateWebhookRequest(
        url=body.url,
        description=body.description,
        event_types=body.event_types,
        subject_filter=body.subject_filter,
        secret=body.secret or "",
    )
    resp = await call(c.webhooks.CreateWebhook, req, timeout=c.timeout)
    return CreatedWebhookOut(**_webhook(resp.webhook).model_dump(), secret=resp.secret)


@router.get("/webhooks")
async def list_webhooks(
    c: C, _user: User, page_size: Annotated[int, Query(ge=0, le=500)] = 100, page_token: PageToken = ""
) -> WebhookListOut:
    """The acting team's webhooks, oldest first."""
    req = wh.ListWebhooksRequest(page_size=page_size, page_token=page_token)
    resp = await call(c.webhooks.ListWebhooks, req, timeout=c.timeout)
    return WebhookListOut(webhooks=[_webhook(w) for w in resp.webhooks], next_page_token=resp.next_page_token or None)


@router.get(W, responses=errors(404))
async def get_webhook(webhook_id: str, c: C, _user: User) -> WebhookOut:
    """One webhook (without its secret)."""
    resp = await call(c.webhooks.GetWebhook, wh.GetWebhookRequest(webhook_id=webhook_id), timeout=c.timeout)
    return _webhook(resp.webhook)


@router.patch(W, responses=errors(404, 413))
async def update_webhook(webhook_id: str, body: UpdateWebhookBody, c: C, _user: User) -> WebhookOut:
    """Change the fields the body names (URL, filters, secret, description, enabled); a disabled webhook queues
    nothing new and its pending deliveries wait until it is enabled again."""
    req = wh.UpdateWebhookRequest(webhook_id=webhook_id)
    for name in ("url", "description", "subject_filter", "secret", "enabled"):
        if (value := getattr(body, name)) is not None:
            setattr(req, name, value)
    if body.event_types is not None:
        req.event_types.CopyFrom(wh.EventTypes(names=body.event_types))
    resp = await call(c.webhooks.UpdateWebhook, req, timeout=c.timeout)
    return _webhook(resp.webhook)


@router.delete(W, status_code=204, responses=errors(404))
async def delete_webhook(webhook_id: str, c: C, _user: User) -> Response:
    """Delete a webhook with its deliveries."""
    await call(c.webhooks.DeleteWebhook, wh.DeleteWebhookRequest(webhook_id=webhook_id), timeout=c.timeout)
    return Response(status_code=204)


@router.get(W + "/deliveries", responses=errors(404))
async def list_deliveries(
    webhook_id: str,
    c: C,
    _user: User,
    state: DeliveryStateName | None = None,
    page_size: Annotated[int, Query(ge=0, le=500)] = 100,
    page_token: PageToken = "",
) -> DeliveryListOut:
    """The webhook's deliveries, newest first: state, attempts, the last answer's status and error."""
    req = wh.ListDeliveriesRequest(
        webhook_id=webhook_id,
        state=STATES[state] if state else wh.DELIVERY_STATE_UNSPECIFIED,
        page_size=page_size,
        page_token=page_token,
    )
    resp = await call(c.webhooks.ListDeliveries, req, timeout=c.timeout)
    return DeliveryListOut(
        deliveries=[_delivery(d) for d in resp.deliveries], next_page_token=resp.next_page_token or None
    )


@router.post(W + "/deliveries/{delivery_id}/resend", status_code=202, responses=errors(404, 409))
async def resend_delivery(webhook_id: str, delivery_id: str, c: C, _user: User) -> DeliveryOut:
    """Send a delivered or dead-lettered delivery again (queued behind what its stream already has pending)."""
    req = wh.ResendDeliveryRequest(webhook_id=webhook_id, delivery_id=delivery_id)
    resp = await call(c.webhooks.ResendDelivery, req, timeout=c.timeout)
    return _delivery(resp.delivery)
