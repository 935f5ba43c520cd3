"""A subject handler's batch decodes an event's envelope only when the handler reads it, once."""

from __future__ import annotations

from nats.aio.msg import Msg

from annostream_kernel.delivered import Delivered
from annostream_protos.events.v1 import envelope_pb2


def _msg(i: int, data: bytes | None = None) -> Msg:
    env = envelope_pb2.EventEnvelope(event_id=f"e{i}", type="RoiMoved")
    return Msg(None, subject=f"annostream.annotation.v1.s{i}", data=env.SerializeToString() if data is None else data)  # type: ignore[arg-type]


def test_subjects_are_read_without_decoding_and_an_envelope_is_decoded_once_when_asked() -> None:
    batch = Delivered.of_undecoded([_msg(0), _msg(1, b"\xff not an envelope"), _msg(2)])
    assert batch.subjects == [f"annostream.annotation.v1.s{i}" for i in range(3)]  # the bad one is never decoded
    first = batch.envelope(0)
    assert first.event_id == "e0" and batch.envelope(0) is first
    assert batch[2] == ("annostream.annotation.v1.s2", envelope_pb2.EventEnvelope(event_id="e2", type="RoiMoved"))
    assert len(batch) == 3 and [s for s, _ in batch[::2]] == [batch.subjects[0], batch.subjects[2]]


def test_decoded_events_go_in_as_they_are() -> None:
    env = envelope_pb2.EventEnvelope(event_id="x")
    batch = Delivered.of([("annostream.tasks.v1.t", env)])
    assert list(batch) == [("annostream.tasks.v1.t", env)] and batch.envelope(0) is env
