"""The relay's directly written publish commands equal what nats-py sends for the same event; the consumers read
a message's stream sequence as nats-py does."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from annostream_kernel.events import StoredEvent
from annostream_kernel.ids import uuid7
from annostream_kernel.outbox_wire import headers_for, hpub, parse_header_lines, use_fast_header_parser
from annostream_kernel.pull import stream_seq

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


async def _nats_py_command(e: StoredEvent, payload: bytes) -> bytes:
    nc = NatsClient()  # never connected: its publish path only queues the command it builds
    await nc._send_publish(e.subject, "", payload, len(payload), headers_for(e))
    return b"".join(nc._pending)


async def test_the_written_publish_command_is_byte_for_byte_what_nats_py_sends() -> None:
    events = [
        _event(),
        _event(traceparent="", correlation_id=""),
        _event(correlation_id=" spaced\r\nout ", stream_id="frame:ver_ü:f 1\n"),
        _event(payload=b""),
    ]
    for e in events:
        data = e.envelope("annotation").SerializeToString()
        assert hpub(e, data) == await _nats_py_command(e, data)


@settings(max_examples=300, deadline=None)
@given(stream_id=TEXT, correlation_id=TEXT, traceparent=TEXT, version=st.integers(0, 2**63 - 1), payload=st.binary())
async def test_any_header_values_are_written_as_nats_py_writes_them(
    stream_id: str, correlation_id: str, traceparent: str, version: int, payload: bytes
) -> None:
    e = _event(stream_id=stream_id, correlation_id=correlation_id, traceparent=traceparent, stream_version=version)
    assert hpub(e, payload) == await _nats_py_command(e, payload)


def test_a_subject_nats_py_would_refuse_is_left_to_nats_py() -> None:
    assert hpub(_event(subject="a b"), b"x") is None
    assert hpub(_event(subject=""), b"x") is None


def test_the_stream_sequence_is_read_from_either_form_of_the_ack_subject() -> None:
    v1 = "$JS.ACK.ANNOSTREAM_ANNOTATION.datasets-stats.1.4711.93.1764756000000000000.12"
    v2 = "$JS.ACK.hub.ACCHASH.ANNOSTREAM_ANNOTATION.datasets-stats.1.4712.93.1764756000000000000.12.tok"
    for reply, seq in ((v1, 4711), (v2, 4712)):
        msg = Msg(NatsClient(), subject="s", reply=reply, data=b"")
        assert stream_seq(msg) == seq == msg.metadata.sequence.stream


HEADER_LINE = st.tuples(
    st.one_of(st.sampled_from(["Nats-Msg-Id", "traceparent", " Spaced ", "bad name", "x\x1cy"]), TEXT),
    st.sampled_from([":", ": ", ":\t", ""]),
    st.one_of(TEXT, st.binary(max_size=60).map(lambda b: b.decode("latin-1"))),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(HEADER_LINE, max_size=8), st.binary(max_size=80))
def test_the_fast_header_parser_reads_every_block_as_nats_py_does(
    lines: list[tuple[str, str, str]], junk: bytes
) -> None:
    raw = (
        b"".join(f"{n}{sep}{v}".encode("utf-8", "surrogatepass") + b"\r\n" for n, sep, v in lines) + junk + b"\r\n\r\n"
    )
    assert parse_header_lines(raw) == NatsClient._parse_header_lines(raw)
    assert parse_header_lines(junk) == NatsClient._parse_header_lines(junk)


def test_a_connection_given_the_fast_header_parser_uses_it_where_nats_py_parses_headers() -> None:
    nc = NatsClient()
    use_fast_header_parser(nc)
    assert nc._parse_header_lines is parse_header_lines
    # nats-py looks the parser up on the instance when it processes a message's headers (pinned 2.16)
    assert "self._parse_header_lines(raw_headers)" in inspect.getsource(NatsClient._process_headers)
