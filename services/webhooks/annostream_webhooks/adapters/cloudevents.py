"""An annostream event as a CloudEvents 1.0 JSON message (structured content mode), and its signature.

The body is rendered once per event (every webhook gets the same bytes); each attempt signs it with the
webhook's secret and a fresh timestamp: `Annostream-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>">` (docs/webhooks.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.message import Message

from annostream_kernel.events import TYPE_URL_PREFIX
from annostream_protos.events.v1 import (  # noqa: F401 - importing registers the payload types
    annotation_pb2,
    datasets_pb2,
    envelope_pb2,
    iterator_pb2,
    review_pb2,
    tasks_pb2,
)

from ..domain.delivery import Claim

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
SIGNATURE_HEADER = "Annostream-Signature"
SPEC_VERSION = "1.0"
_classes: dict[str, type[Message] | None] = {}


def _payload_class(type_url: str) -> type[Message] | None:
    name = type_url.removeprefix(TYPE_URL_PREFIX)
    if name not in _classes:
        try:
            descriptor = descriptor_pool.Default().FindMessageTypeByName(name)
            _classes[name] = message_factory.GetMessageClass(descriptor)
        except KeyError:
            _classes[name] = None
    return _classes[name]


def event_type(subject: str, envelope: envelope_pb2.EventEnvelope) -> str:
    """The CloudEvents `type`: the subject's stream prefix and the event type, e.g.
    `annostream.annotation.v1.RoiCreated`."""
    return ".".join([*subject.split(".")[:3], envelope.type])


def cloud_event(subject: str, envelope: envelope_pb2.EventEnvelope) -> dict[str, Any]:
    """The CloudEvent of an event: context attributes, annostream's extensions and the payload as `data` (its
    proto3 JSON mapping with the proto field names, every field present); a payload of a type this release does
    not know goes as `data_base64` (its protobuf bytes)."""
    service = subject.split(".")[1] if subject.count(".") >= 2 else envelope.producer
    event: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": envelope.event_id,
        "source": f"/annostream/{service}",
        "type": event_type(subject, envelope),
        "subject": envelope.stream_id,
        "time": envelope.occurred_at.ToJsonString(),
        "streamversion": envelope.stream_version,
        "schemaversion": envelope.schema_version,
        "natssubject": subject,
        "actor": envelope.actor,
        "correlationid": envelope.correlation_id,
    }
    if envelope.task_id:
        event["taskid"] = envelope.task_id
    cls = _payload_class(envelope.payload.type_url)
    if cls is None:
        event["datacontenttype"] = "application/protobuf"
        event["dataschema"] = envelope.payload.type_url
        event["data_base64"] = base64.b64encode(envelope.payload.value).decode()
        return event
    message = cls.FromString(envelope.payload.value)
    event["datacontenttype"] = "application/json"
    event["data"] = json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    return event


def render(subject: str, envelope: envelope_pb2.EventEnvelope) -> bytes:
    """The CloudEvent as compact UTF-8 JSON bytes (what every attempt sends)."""
    return json.dumps(cloud_event(subject, envelope), separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Annostream-Signature` header value: `t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def headers_for(claim: Claim, now: int | None = None) -> list[tuple[bytes, bytes]]:
    """The headers of one attempt: content type, the signature over timestamp and body, and the ids."""
    ts = int(time.time()) if now is None else now
    return [
        (b"Content-Type", CONTENT_TYPE.encode()),
        (SIGNATURE_HEADER.encode(), signature(claim.secret, ts, claim.body).encode()),
        (b"Annostream-Event-Id", claim.event_id.encode()),
        (b"Annostream-Webhook-Id", claim.webhook_id.encode()),
        (b"Annostream-Delivery-Id", claim.delivery_id.encode()),
        (b"Annostream-Delivery-Attempt", str(claim.attempt).encode()),
    ]
