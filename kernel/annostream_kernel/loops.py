"""Background loops of a service: a tick run again and again, a failed tick logged and the next one run as usual,
and a stop at cancellation.

Cancellation subtlety: some libraries (nats-py's request, asyncpg in a few paths) catch the CancelledError of a
task being stopped and raise their own error instead. A loop that goes on after errors would then run on (and log
the stop as a failure); `raise_if_cancelling` treats an error raised while the task is being cancelled as the
cancellation it hides. And Python 3.11's `asyncio.wait_for` drops a cancellation that arrives in the turn its
awaitable completes (it returns the result instead; fixed in 3.12): a loop waiting for a wake-up with it runs on
after its stop when a wake-up lands at the same moment. Loops wait with `woken_or_timed_out` (`asyncio.timeout`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from .logs import get_logger

log = get_logger(__name__)


def raise_if_cancelling(exc: Exception) -> None:
    """Raise CancelledError (from `exc`) when the current task is being cancelled: `exc` hides that cancellation."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from exc


async def woken_or_timed_out(wake: asyncio.Event, timeout: float) -> bool:
    """Wait until `wake` is set (True) or `timeout` seconds passed (False); a cancellation is never dropped."""
    try:
        async with asyncio.timeout(timeout):
            await wake.wait()
    except TimeoutError:
        return False
    return True


async def tick_forever(tick: Callable[[], Awaitable[object]], pause: Callable[[], float], failed: str) -> None:
    """Run `tick` until cancelled, `pause()` seconds after each run; a failed run is logged as the event `failed`
    (with its traceback) and the next one comes as usual."""
    while True:
        try:
            await tick()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise_if_cancelling(exc)
            log.exception(failed)
        await asyncio.sleep(pause())
