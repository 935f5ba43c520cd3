"""Servicer decorators for read-your-writes: a NotFound that a lagging consumer may explain is the answer only once
the service has caught up with the producer (kernel `catch_up.CatchUp`); the request then runs once more.

The decorated methods must store nothing before they raise the miss (a unary method rolls its transaction back; a
stream is run again only if it has not sent a message yet), so the second run is the only one that acts.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, TypeVar, cast

from .errors import NotFound

Method = TypeVar("Method", bound=Callable[..., Awaitable[Any]])
Stream = TypeVar("Stream", bound=Callable[..., AsyncIterator[Any]])


class CatchesUp(Protocol):
    """What the decorators need of kernel `CatchUp`."""

    async def caught_up(self, remaining: float | None = None) -> None:
        """Return once the consumer has applied every change its producer acknowledged before the call."""
        ...


Missed = Callable[[NotFound], bool]  # whether a miss may be the consumer's lag (else it is answered as it is)
Finder = Callable[[Any], CatchesUp | None]  # the servicer's catch-up (None: answer every miss as it is)


def _remaining(context: Any) -> float | None:
    return context.time_remaining() if context is not None else None


def retried_after_catch_up(missed: Missed, catch_up: Finder) -> Callable[[Method], Method]:
    """Decorate a unary servicer method: a miss `missed` accepts runs the request once more after catching up."""

    def decorate(method: Method) -> Method:
        @functools.wraps(method)
        async def run(self: Any, request: Any, context: Any) -> Any:
            try:
                return await method(self, request, context)
            except NotFound as err:
                up = catch_up(self)
                if up is None or not missed(err):
                    raise
                await up.caught_up(_remaining(context))
            return await method(self, request, context)

        return cast(Method, run)

    return decorate


def stream_retried_after_catch_up(missed: Missed, catch_up: Finder) -> Callable[[Stream], Stream]:
    """`retried_after_catch_up` for a response stream: only a miss before its first message runs it once more."""

    def decorate(method: Stream) -> Stream:
        @functools.wraps(method)
        async def run(self: Any, request: Any, context: Any) -> AsyncIterator[Any]:
            sent = False
            try:
                async for message in method(self, request, context):
                    sent = True
                    yield message
                return
            except NotFound as err:
                up = catch_up(self)
                if sent or up is None or not missed(err):
                    raise
                await up.caught_up(_remaining(context))
            async for message in method(self, request, context):
                yield message

        return cast(Stream, run)

    return decorate
