"""PostgreSQL repositories of the webhooks service: webhooks, deliveries (queues per webhook and stream), owners."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from annostream_kernel.db import Conn
from annostream_kernel.uow import PgUnitOfWork

from ..domain.delivery import Delivery, DeliveryState
from ..domain.matching import Subscription
from ..domain.model import Webhook
from .owners import OwnerBook

DELIVERY_COLUMNS = (
    "d.delivery_id, d.webhook_id, d.event_id, p.type AS event_type, p.subject, d.stream_id, p.stream_version,"
    " d.state, d.attempts, d.last_status, d.last_error, d.created_at, d.last_attempt_at,"
    " CASE WHEN d.state = 'pending' THEN d.next_attempt_at END AS next_attempt_at, d.completed_at"
)
DELIVERY_FROM = "deliveries d JOIN payloads p USING (event_id)"

# The fan-out of a stream that announces no owners has nothing to do for a batch when no enabled webhook takes any of
# its event types ($4): the kernel then only stores the position (`ConsumerSpec.idle_when`), in the same snapshot as
# this condition, i.e. with the webhooks the fan-out's own read would have seen. Subject filters and teams are left
# to the fan-out (an enabled webhook taking one of the types sends the batch the usual way).
NO_WEBHOOK_TAKES = "NOT EXISTS (SELECT 1 FROM webhooks WHERE enabled AND (event_types = '{}' OR event_types && $4))"

# Queues are (webhook, stream) pairs. Readiness changes under a transaction-scoped advisory lock per queue, taken
# in key order (no deadlock between two transactions locking several): see migrations/0001_webhooks.sql.
LOCK_QUEUES_SQL = (
    "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(w || chr(31) || s, 7) AS k"
    " FROM unnest($1::text[], $2::text[]) AS q(w, s) ORDER BY 1) AS keys"
)
# Make the oldest pending delivery of each queue ready (no-op when it already is, or the queue is empty).
PROMOTE_SQL = (
    "WITH q AS (SELECT DISTINCT w, s FROM unnest($1::text[], $2::text[]) AS q(w, s)),"
    " heads AS (SELECT h.delivery_id FROM q CROSS JOIN LATERAL (SELECT d.delivery_id, d.ready FROM deliveries d"
    "   WHERE d.webhook_id = q.w AND d.stream_id = q.s AND d.state = 'pending' ORDER BY d.seq LIMIT 1) h"
    "   WHERE NOT h.ready)"
    " UPDATE deliveries d SET ready = true FROM heads WHERE d.delivery_id = heads.delivery_id"
)


def _webhook(r: asyncpg.Record) -> Webhook:
    return Webhook(
        webhook_id=r["webhook_id"],
        team=r["team"],
        url=r["url"],
        secret=r["secret"],
        created_by=r["created_by"],
        description=r["description"],
        event_types=tuple(r["event_types"]),
        subject_filter=r["subject_filter"],
        enabled=r["enabled"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )


def delivery_of(r: asyncpg.Record) -> Delivery:
    """A delivery row (DELIVERY_COLUMNS) as the domain's Delivery."""
    return Delivery(
        delivery_id=r["delivery_id"],
        webhook_id=r["webhook_id"],
        event_id=r["event_id"],
        event_type=r["event_type"],
        subject=r["subject"],
        stream_id=r["stream_id"],
        stream_version=r["stream_version"],
        state=DeliveryState(r["state"]),
        attempts=r["attempts"],
        last_status=r["last_status"],
        last_error=r["last_error"],
        created_at=r["created_at"],
        last_attempt_at=r["last_attempt_at"],
        next_attempt_at=r["next_attempt_at"],
        completed_at=r["completed_at"],
    )


async def lock_queues(conn: Conn, queues: Sequence[tuple[str, str]]) -> None:
    """Take the (webhook, stream) queues' advisory locks for the rest of the transaction."""
    if queues:
        await conn.execute(LOCK_QUEUES_SQL, [q[0] for q in queues], [q[1] for q in queues])


async def promote(conn: Conn, queues: Sequence[tuple[str, str]]) -> None:
    """Make each queue's oldest pending delivery ready (call with the queues locked)."""
    if queues:
        await conn.execute(PROMOTE_SQL, [q[0] for q in queues], [q[1] for q in queues])


class WebhookRepository:
    """Webhooks table."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def add(self, w: Webhook) -> Webhook:
        """Insert a webhook; returns it with its timestamps."""
        r = await self.conn.fetchrow(
            "INSERT INTO webhooks (webhook_id, team, url, description, event_types, subject_filter, secret, enabled,"
            " created_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING *",
            w.webhook_id,
            w.team,
            w.url,
            w.description,
            list(w.event_types),
            w.subject_filter,
            w.secret,
            w.enabled,
            w.created_by,
        )
        assert r is not None
        return _webhook(r)

    async def get(self, webhook_id: str, *, for_update: bool = False) -> Webhook | None:
        """One webhook, or None."""
        sql = "SELECT * FROM webhooks WHERE webhook_id = $1" + (" FOR UPDATE" if for_update else "")
        r = await self.conn.fetchrow(sql, webhook_id)
        return _webhook(r) if r else None

    async def count(self, team: str) -> int:
        """How many webhooks the team has."""
        return int(await self.conn.fetchval("SELECT count(*) FROM webhooks WHERE team = $1", team))

    async def page(self, team: str, after: str, limit: int) -> list[Webhook]:
        """The team's webhooks after `after` (by id: registration order)."""
        rows = await self.conn.fetch(
            "SELECT * FROM webhooks WHERE team = $1 AND webhook_id > $2 ORDER BY webhook_id LIMIT $3",
            team,
            after,
            limit,
        )
        return [_webhook(r) for r in rows]

    async def save(self, w: Webhook) -> Webhook:
        """Store a changed webhook; returns it with its new updated_at."""
        r = await self.conn.fetchrow(
            "UPDATE webhooks SET url = $2, description = $3, event_types = $4, subject_filter = $5, secret = $6,"
            " enabled = $7, updated_at = now() WHERE webhook_id = $1 RETURNING *",
            w.webhook_id,
            w.url,
            w.description,
            list(w.event_types),
            w.subject_filter,
            w.secret,
            w.enabled,
        )
        assert r is not None
        return _webhook(r)

    async def delete(self, webhook_id: str) -> None:
        """Remove a webhook and its deliveries."""
        await self.conn.execute("DELETE FROM webhooks WHERE webhook_id = $1", webhook_id)

    async def subscriptions(self) -> list[Subscription]:
        """Every enabled webhook, as the fan-out matches events against it."""
        rows = await self.conn.fetch(
            "SELECT webhook_id, team, event_types, subject_filter, created_at FROM webhooks WHERE enabled"
        )
        return [
            Subscription(r["webhook_id"], r["team"], frozenset(r["event_types"]), r["subject_filter"], r["created_at"])
            for r in rows
        ]


class DeliveryRepository:
    """Deliveries and their payloads."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def get(self, webhook_id: str, delivery_id: str) -> Delivery | None:
        """One delivery of the webhook, or None."""
        r = await self.conn.fetchrow(
            f"SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_FROM} WHERE d.delivery_id = $1 AND d.webhook_id = $2",
            delivery_id,
            webhook_id,
        )
        return delivery_of(r) if r else None

    async def page(
        self, webhook_id: str, state: DeliveryState | None, before: str | None, limit: int
    ) -> list[Delivery]:
        """The webhook's deliveries, newest first, older than `before` (an id), optionally of one state."""
        where, args = ["d.webhook_id = $1"], list[Any]([webhook_id])
        if state is not None:
            args.append(state.value)
            where.append(f"d.state = ${len(args)}")
        if before:
            args.append(before)
            where.append(f"d.delivery_id < ${len(args)}")
        args.append(limit)
        rows = await self.conn.fetch(
            f"SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_FROM} WHERE {' AND '.join(where)}"
            f" ORDER BY d.delivery_id DESC LIMIT ${len(args)}",
            *args,
        )
        return [delivery_of(r) for r in rows]

    async def requeue(self, delivery_id: str) -> None:
        """Queue a finished delivery again, behind whatever its queue holds (a fresh `seq`), with fresh attempts."""
        await self.conn.execute(
            "UPDATE deliveries SET state = 'pending', ready = false, attempts = 0, seq = nextval('delivery_seq'),"
            " next_attempt_at = now(), completed_at = NULL WHERE delivery_id = $1 AND state <> 'pending'",
            delivery_id,
        )

    async def lock_queues(self, queues: Sequence[tuple[str, str]]) -> None:
        """Take the queues' advisory locks for the rest of the transaction."""
        await lock_queues(self.conn, queues)

    async def promote(self, queues: Sequence[tuple[str, str]]) -> None:
        """Make each queue's oldest pending delivery ready (call with the queues locked)."""
        await promote(self.conn, queues)

    async def wake_dispatchers(self, channel: str) -> None:
        """Signal the dispatchers (at commit) that deliveries are ready."""
        await self.conn.execute("SELECT pg_notify($1, '')", channel)

    async def queue(self, payloads: list[tuple[Any, ...]], deliveries: list[tuple[str, str, str, str]]) -> None:
        """Store rendered events (event_id, type, subject, stream_id, stream_version, body) and their deliveries
        (delivery_id, webhook_id, event_id, stream_id), queued in the given order."""
        cols = list(zip(*payloads, strict=True))
        await self.conn.execute(
            "INSERT INTO payloads (event_id, type, subject, stream_id, stream_version, body)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bytea[])"
            " ON CONFLICT (event_id) DO NOTHING",
            *[list(c) for c in cols],
        )
        cols = list(zip(*deliveries, strict=True))
        await self.conn.execute(
            "INSERT INTO deliveries (delivery_id, webhook_id, event_id, stream_id, seq)"
            " SELECT i, w, e, s, nextval('delivery_seq')"
            " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS x(i, w, e, s, n)"
            " ORDER BY n ON CONFLICT (webhook_id, event_id) DO NOTHING",
            *[list(c) for c in cols],
        )


class WebhooksUnitOfWork(PgUnitOfWork):
    """One transaction with the webhooks service's repositories."""

    @property
    def webhooks(self) -> WebhookRepository:
        """Webhooks in this transaction."""
        return WebhookRepository(self.conn)

    @property
    def deliveries(self) -> DeliveryRepository:
        """Deliveries in this transaction."""
        return DeliveryRepository(self.conn)


class FanOutRepositories:
    """The fan-out's repositories over a consumer's connection (its transaction is the consumer's)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.owners = OwnerBook(conn)

    @property
    def webhooks(self) -> WebhookRepository:
        """Webhooks in the consumer's transaction."""
        return WebhookRepository(self.conn)

    @property
    def deliveries(self) -> DeliveryRepository:
        """Deliveries in the consumer's transaction."""
        return DeliveryRepository(self.conn)
