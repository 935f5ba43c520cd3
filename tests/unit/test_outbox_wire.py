"""The relay's directly written bytes equal what protobuf and nats-py produce for the same event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from nats.aio.client import Client as NatsClient

from annostream_kernel.events import StoredEvent
from annostream_kernel.ids import uuid7
from annostream_kernel.outbox_wire import envelope_bytes, headers_for, hpub
from annostream_protos.events.v1 import envelope_pb2

TEXT = st.text(max_size=300)


def _event(**kw: object) -> StoredEvent:
    base: dict[str, object] = {
        "position": 7,
        "event_id": uuid7(),
        "stream_id": "frame:ver_1:f00001",
        "stream_version": 3,
        "type": "annostream.events.v1.RoiCreated",
        "schema_version": 1,
        "payload": b"\x0a\x03abc" * 40,
        "subject": "annostream.annotation.v1.frame.ver_1.f00001.RoiCreated",
        "actor": "tester",
        "task_id": "",
        "correlation_id": "corr-1",
        "occurred_at": datetime(2026, 12, 3, 10, 0, 0, 123456, tzinfo=UTC),
        "traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    }
    base.update(kw)
    return StoredEvent(**base)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    stream_id=TEXT,
    stream_version=st.integers(0, 2**63 - 1),
    schema_version=st.integers(0, 2**32 - 1),
    payload=st.binary(max_size=20_000),
    actor=TEXT,
    task_id=TEXT,
    correlation_id=TEXT,
    producer=TEXT,
    type_name=st.sampled_from(["annostream.events.v1.RoiCreated", "annostream.events.v1.FrameSaved", "X", ""]),
    occurred_at=st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.sampled_from([UTC, None])
    ),
)
def test_the_written_envelope_is_byte_for_byte_what_protobuf_serializes(
    stream_id: str,
    stream_version: int,
    schema_version: int,
    payload: bytes,
    actor: str,
    task_id: str,
    correlation_id: str,
    producer: str,
    type_name: str,
    occurred_at: datetime,
) -> None:
    e = _event(
        stream_id=stream_id,
        stream_version=stream_version,
        schema_version=schema_version,
        payload=payload,
        actor=actor,
        task_id=task_id,
        correlation_id=correlation_id,
        type=type_name,
        occurred_at=occurred_at,
    )
    assert envelope_bytes(e, producer) == e.envelope(producer).SerializeToString()
    assert envelope_pb2.EventEnvelope.FromString(envelope_bytes(e, producer)) == e.envelope(producer)


def test_an_envelope_of_another_time_zone_or_before_1970_keeps_its_instant() -> None:
    for when in (datetime(1969, 7, 20, 20, 17, 40, 5, tzinfo=timezone(timedelta(hours=-5))), datetime(2030, 1, 1)):
        e = _event(occurred_at=when)
        assert envelope_bytes(e, "p") == e.envelope("p").SerializeToString()


async def _nats_py_command(e: StoredEvent, payload: bytes) -> bytes:
    nc = NatsClient()  # never connected: its publish path only queues the command it builds
    await nc._send_publish(e.subject, "", payload, len(payload), headers_for(e))
    return b"".join(nc._pending)


async def test_the_written_publish_command_is_byte_for_byte_what_nats_py_sends() -> None:
    events = [
        _event(),
        _event(traceparent=""),
        _event(correlation_id=" spaced\r\nout ", stream_id="frame:ver_ü:f 1"),
        _event(payload=b""),
    ]
    for e in events:
        data = envelope_bytes(e, "annotation")
        assert hpub(e, data) == await _nats_py_command(e, data)


def test_a_subject_nats_py_would_refuse_is_left_to_nats_py() -> None:
    assert hpub(_event(subject="a b"), b"x") is None
    assert hpub(_event(subject=""), b"x") is None
