"""Which durables a new leader keeps and which it sets to start after the read model's position (durable.py)."""

from __future__ import annotations

import datetime

import pytest
from nats.js.api import AckPolicy, ConsumerConfig, ConsumerInfo, SequenceInfo

from annostream_kernel.durable import stale_reason

CONFIG = ConsumerConfig(durable_name="d", ack_policy=AckPolicy.ALL, max_ack_pending=100, filter_subject="s.>")


def _info(floor: int, pending: int = 0, **config: object) -> ConsumerInfo:
    fields = {"durable_name": "d", "ack_policy": AckPolicy.ALL, "max_ack_pending": 100, "filter_subject": "s.>"}
    return ConsumerInfo(
        name="d",
        stream_name="S",
        config=ConsumerConfig(**{**fields, **config}),  # type: ignore[arg-type]
        created=datetime.datetime.now(datetime.UTC),
        ack_floor=SequenceInfo(consumer_seq=floor, stream_seq=floor),
        num_ack_pending=pending,
    )


def test_a_durable_acked_up_to_the_stored_position_with_nothing_pending_is_kept() -> None:
    assert stale_reason(_info(7), CONFIG, 7, acks_ahead=False) is None


@pytest.mark.parametrize(
    ("info", "position", "acks_ahead", "reason"),
    [
        (_info(7, pending=3), 7, True, "messages_pending"),  # a gone leader's fetched messages
        (_info(5), 7, False, "ack_floor_is_not_the_position"),  # behind the read model
        (_info(9), 7, False, "ack_floor_is_not_the_position"),  # acked past what was applied
        (_info(7, filter_subject="s.a.>"), 7, False, "filters_changed"),
        (_info(7, ack_policy=AckPolicy.EXPLICIT), 7, False, "ack_window_changed"),
        (_info(7, max_ack_pending=10), 7, False, "ack_window_changed"),
    ],
)
def test_a_durable_that_cannot_go_on_from_the_stored_position_is_named_with_its_reason(
    info: ConsumerInfo, position: int, acks_ahead: bool, reason: str
) -> None:
    assert stale_reason(info, CONFIG, position, acks_ahead=acks_ahead) == reason


def test_a_durable_that_acks_batches_without_storing_their_position_may_be_acked_past_it() -> None:
    assert stale_reason(_info(9), CONFIG, 7, acks_ahead=True) is None
    assert stale_reason(_info(5), CONFIG, 7, acks_ahead=True) == "ack_floor_is_not_the_position"
