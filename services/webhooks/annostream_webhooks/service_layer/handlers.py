"""Handlers of the webhooks API: register, read, change and delete webhooks; list and re-send deliveries. Every one
needs the administer permission in the webhook's team; another team's webhook answers like an unknown id."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from annostream_kernel.authz import Owner, authorize, authorize_team
from annostream_kernel.errors import FailedPrecondition, InvalidArgument, NotFound
from annostream_kernel.ids import new_id
from annostream_kernel.limits import MAX_ID_LENGTH, bad_text, check_text
from annostream_kernel.policy import Permission

from ..domain.commands import CreateWebhook, UpdateWebhook
from ..domain.delivery import Delivery, DeliveryState
from ..domain.model import Webhook
from .ports import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
TargetCheck = Callable[[str], Awaitable[None]]
MAX_PAGE, DEFAULT_PAGE = 500, 100
MAX_WEBHOOKS_PER_TEAM = 50


def missing_webhook(webhook_id: str) -> NotFound:
    """What an unknown (or another team's) webhook id gets."""
    return NotFound(f"no webhook {webhook_id!r}", field="webhook_id")


def _page_size(size: int) -> int:
    if size < 0 or size > MAX_PAGE:
        raise InvalidArgument(f"must be between 0 and {MAX_PAGE}", field="page_size")
    return size or DEFAULT_PAGE


def encode_token(last_id: str) -> str:
    """An opaque page token after `last_id`."""
    return base64.urlsafe_b64encode(last_id.encode()).decode()


def decode_token(token: str) -> str:
    """Invert encode_token; a bad token is INVALID_ARGUMENT."""
    try:
        last_id = base64.urlsafe_b64decode(token.encode()).decode() if token else ""
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument("is not a token this list returned", field="page_token") from exc
    if len(last_id) > MAX_ID_LENGTH or bad_text(last_id) is not None:  # e.g. a NUL PostgreSQL cannot compare
        raise InvalidArgument("is not a token this list returned", field="page_token")
    return last_id


@dataclass
class WebhookHandlers:
    """The API's use cases over a unit of work and the target-address check."""

    uow: UowFactory
    check_target: TargetCheck
    dispatch_channel: str

    async def _owned(self, uow: UnitOfWork, webhook_id: str, *, for_update: bool = False) -> Webhook:
        if not webhook_id:
            raise InvalidArgument("is required", field="webhook_id")
        check_text(webhook_id, "webhook_id", max_length=MAX_ID_LENGTH)
        webhook = await uow.webhooks.get(webhook_id, for_update=for_update)
        missing = missing_webhook(webhook_id)
        if webhook is None:
            raise missing
        authorize(Permission.ADMINISTER, Owner(webhook.team), missing=missing, what=f"webhook {webhook_id}")
        return webhook

    async def create(self, cmd: CreateWebhook) -> Webhook:
        """Register a webhook after its URL's host passed the address policy."""
        authorize_team(Permission.ADMINISTER, cmd.team)
        await self.check_target(cmd.url)
        webhook = Webhook(
            webhook_id=new_id("wh_"),
            team=cmd.team,
            url=cmd.url,
            secret=cmd.secret,
            created_by=cmd.created_by,
            description=cmd.description,
            event_types=cmd.event_types,
            subject_filter=cmd.subject_filter,
        )
        async with self.uow() as uow:
            if await uow.webhooks.count(cmd.team) >= MAX_WEBHOOKS_PER_TEAM:
                raise FailedPrecondition(
                    f"team {cmd.team!r} already has {MAX_WEBHOOKS_PER_TEAM} webhooks (the most a team may have)",
                    field="team",
                )
            stored = await uow.webhooks.add(webhook)
            await uow.commit()
        return stored

    async def get(self, webhook_id: str) -> Webhook:
        """One webhook of the caller's teams."""
        async with self.uow() as uow:
            return await self._owned(uow, webhook_id)

    async def list_webhooks(self, team: str, page_size: int, page_token: str) -> tuple[list[Webhook], str]:
        """A page of the team's webhooks and the next page's token ("" at the end)."""
        authorize_team(Permission.ADMINISTER, team)
        size, after = _page_size(page_size), decode_token(page_token)
        async with self.uow() as uow:
            rows = await uow.webhooks.page(team, after, size + 1)
        return rows[:size], encode_token(rows[size - 1].webhook_id) if len(rows) > size else ""

    async def update(self, change: UpdateWebhook) -> Webhook:
        """Change a webhook (a new URL passes the address policy first)."""
        async with self.uow() as uow:
            await self._owned(uow, change.webhook_id)
        if change.url is not None:
            await self.check_target(change.url)
        async with self.uow() as uow:
            current = await self._owned(uow, change.webhook_id, for_update=True)
            stored = await uow.webhooks.save(current.apply(change))
            await uow.commit()
        return stored

    async def delete(self, webhook_id: str) -> None:
        """Delete a webhook with its deliveries."""
        async with self.uow() as uow:
            await self._owned(uow, webhook_id, for_update=True)
            await uow.webhooks.delete(webhook_id)
            await uow.commit()

    async def deliveries(
        self, webhook_id: str, state: DeliveryState | None, page_size: int, page_token: str
    ) -> tuple[list[Delivery], str]:
        """A page of the webhook's deliveries (newest first) and the next page's token."""
        size, before = _page_size(page_size), decode_token(page_token)
        async with self.uow() as uow:
            await self._owned(uow, webhook_id)
            rows = await uow.deliveries.page(webhook_id, state, before or None, size + 1)
        return rows[:size], encode_token(rows[size - 1].delivery_id) if len(rows) > size else ""

    async def resend(self, webhook_id: str, delivery_id: str) -> Delivery:
        """Queue a delivered or dead-lettered delivery again, behind what its stream's queue holds."""
        if not delivery_id:
            raise InvalidArgument("is required", field="delivery_id")
        check_text(delivery_id, "delivery_id", max_length=MAX_ID_LENGTH)
        async with self.uow() as uow:
            await self._owned(uow, webhook_id)
            found = await uow.deliveries.get(webhook_id, delivery_id)
            if found is None:
                raise NotFound(f"no delivery {delivery_id!r} of webhook {webhook_id!r}", field="delivery_id")
            queue = [(webhook_id, found.stream_id)]
            await uow.deliveries.lock_queues(queue)
            found = await uow.deliveries.get(webhook_id, delivery_id)  # read again under the queue's lock
            if found is None:
                raise NotFound(f"no delivery {delivery_id!r} of webhook {webhook_id!r}", field="delivery_id")
            found.ensure_resendable()
            await uow.deliveries.requeue(delivery_id)
            await uow.deliveries.promote(queue)
            await uow.deliveries.wake_dispatchers(self.dispatch_channel)
            resent = await uow.deliveries.get(webhook_id, delivery_id)
            await uow.commit()
        assert resent is not None
        return resent
