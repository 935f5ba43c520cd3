"""A consumer's JetStream durable set, at take-over, to deliver the first message after the read model's position.

Why (the take-over rule): durables ack cumulatively (AckPolicy.ALL) and one process leads each. A leader that dies
(or stops, or loses its connection) holding delivered messages it has not applied leaves them pending on the
durable until `ack_wait` expires; meanwhile JetStream hands the next leader the messages after them, and that
leader's first ack would acknowledge the unapplied ones too: events silently missing from the read model. So a new
leader trusts only the position stored with its read model (`consumer_positions`): when the durable has messages
pending, does not end where that position does, has other filters or another window, it is deleted and created
again to start right after the position (DeliverPolicy.BY_START_SEQUENCE) — at once, without waiting for
`ack_wait`. Only the leader touches its durable.
"""

from __future__ import annotations

from dataclasses import replace

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy
from nats.js.errors import NotFoundError

from .logs import get_logger

log = get_logger(__name__)


def stale_reason(info: ConsumerInfo, config: ConsumerConfig, position: int, *, acks_ahead: bool) -> str | None:
    """Why the durable `info` cannot go on from `position` as it is (None: it can); `acks_ahead` allows an ack floor
    past the position (a durable that acks batches it has nothing to apply from without storing the position)."""
    floor = info.ack_floor.stream_seq if info.ack_floor else 0
    filters = sorted(info.config.filter_subjects or [info.config.filter_subject or ""])
    wanted = sorted(config.filter_subjects or [config.filter_subject or ""])
    if info.num_ack_pending:
        return "messages_pending"  # delivered to a leader that is gone: maybe never applied
    if floor < position or (floor > position and not acks_ahead):
        return "ack_floor_is_not_the_position"
    if filters != wanted:
        return "filters_changed"
    if info.config.ack_policy != AckPolicy.ALL or info.config.max_ack_pending != config.max_ack_pending:
        return "ack_window_changed"
    return None


async def bind_durable(
    js: JetStreamContext, stream: str, config: ConsumerConfig, position: int, *, acks_ahead: bool = False
) -> ConsumerInfo:
    """The durable `config.durable_name` of `stream`, ready to deliver the first message after `position` (the
    stream sequence the read model has applied): kept when it already is, else created (again) to start there."""
    durable = config.durable_name or ""
    try:
        info: ConsumerInfo = await js.consumer_info(stream, durable)
    except NotFoundError:
        reason: str | None = "created"
    else:
        reason = stale_reason(info, config, position, acks_ahead=acks_ahead)
        if reason is None:
            return info
        await js.delete_consumer(stream, durable)
    start = replace(config, deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=position + 1)
    created: ConsumerInfo = await js.add_consumer(stream, start)
    log.info("consumer_durable_set", consumer=durable, stream=stream, start_seq=position + 1, reason=reason)
    return created
