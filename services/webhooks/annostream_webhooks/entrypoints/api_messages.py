"""The gRPC edge of the webhooks service: domain ↔ API messages."""

from __future__ import annotations

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.protobuf import timestamp
from annostream_protos.webhooks.v1 import webhooks_service_pb2 as api

from ..domain.delivery import Delivery, DeliveryState
from ..domain.model import Webhook

STATES = {
    DeliveryState.PENDING: api.DELIVERY_STATE_PENDING,
    DeliveryState.DELIVERED: api.DELIVERY_STATE_DELIVERED,
    DeliveryState.DEAD: api.DELIVERY_STATE_DEAD,
}
STATE_OF: dict[int, DeliveryState] = {v: k for k, v in STATES.items()}


def webhook_msg(w: Webhook) -> api.Webhook:
    """A webhook as its message (never with the secret: only its last 4 characters)."""
    return api.Webhook(
        webhook_id=w.webhook_id,
        team=w.team,
        url=w.url,
        description=w.description,
        event_types=list(w.event_types),
        subject_filter=w.subject_filter,
        enabled=w.enabled,
        created_by=w.created_by,
        created_at=timestamp(w.created_at),
        updated_at=timestamp(w.updated_at),
        secret_hint=w.secret_hint,
    )


def delivery_msg(d: Delivery) -> api.Delivery:
    """A delivery as its message."""
    return api.Delivery(
        delivery_id=d.delivery_id,
        webhook_id=d.webhook_id,
        event_id=d.event_id,
        event_type=d.event_type,
        subject=d.subject,
        stream_id=d.stream_id,
        stream_version=d.stream_version,
        state=STATES[d.state],
        attempts=d.attempts,
        last_status=d.last_status,
        last_error=d.last_error,
        created_at=timestamp(d.created_at),
        last_attempt_at=timestamp(d.last_attempt_at),
        next_attempt_at=timestamp(d.next_attempt_at),
        completed_at=timestamp(d.completed_at),
    )


def state_filter(value: int) -> DeliveryState | None:
    """The state ListDeliveries filters on (None = every state)."""
    if value == api.DELIVERY_STATE_UNSPECIFIED:
        return None
    if value not in STATE_OF:
        raise InvalidArgument(f"unknown value {value}", field="state")
    return STATE_OF[value]
