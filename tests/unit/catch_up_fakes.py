"""A catch-up stand-in for the read-your-writes decorator tests (kernel `miss_retry`)."""

from __future__ import annotations


class AlreadyThere:
    """A catch-up whose consumer is already at the producer's position when asked (the race: the event arrived
    between the miss and the call); it records each call's time left."""

    def __init__(self) -> None:
        self.calls: list[float | None] = []

    async def caught_up(self, remaining: float | None = None) -> None:
        self.calls.append(remaining)
