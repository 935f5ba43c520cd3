"""The dispatcher: claims ready deliveries, POSTs them signed, records what the receivers answered (retry with
backoff, dead-letter after the last attempt), and wakes on new deliveries. Every replica runs one; claims are
leases, so they never send one delivery at once, and a queue's next delivery is ready only once its predecessor
finished (order per stream)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Protocol

import asyncpg

from annostream_kernel.logs import get_logger
from annostream_kernel.loops import woken_or_timed_out

from ..domain.delivery import Attempt, Claim, DeliveryState, Outcome, RetryPolicy
from .ports import DispatchQueue, Signer

log = get_logger(__name__)
HOUSEKEEPING_SECONDS = 60.0
MIN_WAIT_SECONDS = 0.01  # a due delivery another replica is claiming right now is not worth a busy loop


class Poster(Protocol):
    """What sends one attempt (adapters.http.Sender)."""

    async def post(self, url: str, headers: list[tuple[bytes, bytes]], body: bytes) -> Attempt:
        """POST the body; never raises for the receiver's failure."""
        ...


@dataclass(frozen=True)
class DispatchSettings:
    """How many attempts run at once, how long a claim holds, how often to look for due retries, what to keep."""

    concurrency: int = 64
    lease_seconds: float = 40.0
    run_length: int = 20
    poll_seconds: float = 5.0
    retention_days: float = 14.0


def outcome_of(claim: Claim, attempt: Attempt, policy: RetryPolicy) -> Outcome:
    """Delivered on 2xx; else dead after the last attempt, or pending with the backoff delay."""
    if attempt.succeeded:
        return Outcome(claim, DeliveryState.DELIVERED, attempt.status, "")
    if policy.exhausted(claim.attempt):
        return Outcome(claim, DeliveryState.DEAD, attempt.status, attempt.error)
    delay = policy.delay(claim.attempt, attempt.retry_after)
    return Outcome(claim, DeliveryState.PENDING, attempt.status, attempt.error, delay)


class Dispatcher:
    """One process's delivery loop (a kernel worker)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        store: DispatchQueue,
        headers: Signer,
        poster: Poster,
        policy: RetryPolicy,
        channel: str,
        settings: DispatchSettings = DispatchSettings(),
    ) -> None:
        self._pool, self._store, self._poster, self._policy = pool, store, poster, policy
        self._headers = headers
        self._channel, self._s = channel, settings
        self._wake = asyncio.Event()
        self._recorded = asyncio.Event()
        self._inflight: dict[str, tuple[asyncio.Task[None], list[Claim]]] = {}  # run head → its task, until recorded
        self._outcomes: list[Outcome] = []
        self.sent = self.finished = 0

    async def run(self) -> None:
        """Dispatch until cancelled; gives back unfinished claims and records finished ones on the way out."""
        recorder = asyncio.create_task(self._record_loop(), name="webhooks-recorder")
        listener = await self._pool.acquire()
        try:
            await listener.add_listener(self._channel, self._on_notify)
            await self._loop()
        finally:
            recorder.cancel()
            await self._stop(listener)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
        while True:
            try:
                free = self._s.concurrency - len(self._inflight)
                self._wake.clear()
                runs = await self._store.claim(free, self._s.lease_seconds, self._s.run_length) if free > 0 else []
                for run in runs:
                    self._inflight[run[0].head] = (asyncio.create_task(self._send(run)), run)
                if free > 0 and len(runs) == free:
                    continue  # more may be due: claim again as soon as a slot frees (the send wakes us)
                if time.monotonic() > housekeeping:
                    housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
                    if gone := await self._store.forget(self._s.retention_days):
                        log.info("webhook_deliveries_forgotten", count=gone)
                wait = self._s.poll_seconds
                if free > 0 and (due := await self._store.next_due()) is not None:
                    wait = min(wait, max(MIN_WAIT_SECONDS, due))  # a retry's backoff ends: claim it then
                await woken_or_timed_out(self._wake, wait)  # not wait_for: it can drop the stop (kernel loops.py)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:  # database outage: retry
                log.warning("webhook_dispatch_error", error=repr(exc))
                await asyncio.sleep(self._s.poll_seconds)

    async def _send(self, run: list[Claim]) -> None:
        """Send a run in order, stopping at its first failure: what follows it is given back, unsent."""
        outcomes: list[Outcome] = []
        for claim in run:
            try:
                attempt = await self._poster.post(claim.url, self._headers(claim), claim.body)
            except Exception as exc:  # a bug, not the receiver: count it as a failed attempt, keep the slot usable
                log.exception("webhook_send_failed", delivery_id=claim.delivery_id)
                attempt = Attempt(0, f"internal error: {exc!r}"[:300])
            self.sent += 1
            outcomes.append(outcome_of(claim, attempt, self._policy))
            if not attempt.succeeded:
                break
        if len(outcomes) < len(run):
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):  # else: lease runs out
                await self._store.release(run[len(outcomes) :])
        self._outcomes.extend(outcomes)
        self._recorded.set()

    async def _record_loop(self) -> None:
        while True:
            await self._recorded.wait()
            self._recorded.clear()
            await self._record_now()

    async def _record_now(self) -> None:
        batch, self._outcomes = self._outcomes, []
        if not batch:
            return
        try:
            self.finished += await self._store.record(batch)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("webhook_record_error", error=repr(exc), outcomes=len(batch))
            self._outcomes[:0] = batch  # keep them: recorded on the next try (a lease may run out: then re-sent)
            await asyncio.sleep(self._s.poll_seconds)
            self._recorded.set()
            return
        for o in batch:
            self._inflight.pop(o.claim.head, None)
            if o.state is DeliveryState.DEAD:
                log.warning("webhook_delivery_dead", delivery_id=o.claim.delivery_id, error=o.error)
        self._wake.set()  # finished deliveries readied their queues' next ones; slots are free

    async def _stop(self, listener: asyncpg.pool.PoolConnectionProxy) -> None:
        unfinished = [c for t, run in self._inflight.values() if not t.done() for c in run]
        for task, _ in self._inflight.values():
            task.cancel()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):
                await self._record_now()
                await self._store.release(unfinished)
        try:
            async with asyncio.timeout(5):
                await listener.remove_listener(self._channel, self._on_notify)
            await self._pool.release(listener, timeout=5)
        except Exception:
            listener.terminate()
            await self._pool.release(listener)
