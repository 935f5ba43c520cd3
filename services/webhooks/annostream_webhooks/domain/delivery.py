"""Deliveries: their states, what an attempt's answer means, and when the next attempt comes (pure)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from annostream_kernel.errors import FailedPrecondition


class DeliveryState(StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"  # waiting for its turn in its stream, for its next attempt, or in flight
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # every attempt failed (dead-lettered); re-sending queues it again


@dataclass(frozen=True)
class Delivery:
    """One event on its way to one webhook."""

    delivery_id: str
    webhook_id: str
    event_id: str
    event_type: str
    subject: str
    stream_id: str
    stream_version: int
    state: DeliveryState
    attempts: int
    last_status: int
    last_error: str
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    completed_at: datetime | None

    def ensure_resendable(self) -> None:
        """Only a delivered or dead-lettered delivery is sent again (a pending one is still on its way)."""
        if self.state is DeliveryState.PENDING:
            raise FailedPrecondition(
                f"delivery {self.delivery_id} is still pending (attempt {self.attempts}); it is re-sent only once"
                " delivered or dead-lettered",
                field="delivery_id",
            )


@dataclass(frozen=True)
class Attempt:
    """What one POST gave: the HTTP status (0 when there was no answer) and why it failed ("" on success)."""

    status: int
    error: str = ""
    retry_after: float | None = None

    @property
    def succeeded(self) -> bool:
        """2xx is success; everything else (redirects included: they are not followed) is a failure."""
        return 200 <= self.status < 300 and not self.error


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits base * 2^(n-1) (at most `cap`), and the delivery is
    dead-lettered when attempt `max_attempts` fails."""

    max_attempts: int
    base_seconds: float
    cap_seconds: float
    jitter: float = 0.2

    def delay(self, attempts: int, retry_after: float | None = None, rand: random.Random | None = None) -> float:
        """Seconds before the next attempt after `attempts` failed ones (a receiver's Retry-After is honoured up to
        the cap)."""
        exp = min(self.cap_seconds, self.base_seconds * (2 ** max(0, attempts - 1)))
        spread = (rand or random).uniform(1 - self.jitter, 1 + self.jitter)
        delay = min(self.cap_seconds, exp * spread)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.cap_seconds))
        return float(delay)

    def exhausted(self, attempts: int) -> bool:
        """Whether a delivery that failed `attempts` times is dead-lettered."""
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class Claim:
    """A delivery claimed for one attempt, with what sending it needs and the head of its run."""

    head: str
    delivery_id: str
    webhook_id: str
    event_id: str
    stream_id: str
    attempt: int
    url: str
    secret: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    """What to record for a claim: its new state, the answer's status and error, and the delay before a retry."""

    claim: Claim
    state: DeliveryState
    status: int
    error: str
    delay: float = 0.0
