"""A consumer's poison event: recorded in `dead_letters` and passed over (its position stored), so one event that
keeps failing never blocks its stream (`EventConsumer`'s one-by-one path)."""

from __future__ import annotations

import asyncpg

from annostream_protos.events.v1 import envelope_pb2

from .bundles import Item
from .logs import get_logger

log = get_logger(__name__)


async def dead_letter(pool: asyncpg.Pool, durable: str, item: Item, exc: Exception) -> None:
    """Record `item` as dead-lettered for `durable` and move its stored position past it, in one transaction."""
    envelope = envelope_pb2.EventEnvelope.FromString(item.data) if item.data else envelope_pb2.EventEnvelope()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO dead_letters (consumer, stream_seq, event_id, type, error, payload)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            durable,
            item.seq,
            envelope.event_id,
            envelope.type,
            repr(exc)[:2000],
            item.data,
        )
        await conn.execute(
            "INSERT INTO consumer_positions (consumer, stream_seq) VALUES ($1, $2)"
            " ON CONFLICT (consumer) DO UPDATE SET stream_seq = GREATEST(consumer_positions.stream_seq, $2),"
            " updated_at = now()",
            durable,
            item.seq,
        )
    log.error(
        "event_dead_lettered",
        consumer=durable,
        stream_seq=item.seq,
        event_id=envelope.event_id,
        type=envelope.type,
        error=repr(exc),
    )
