"""`annostream up` keeps its components running: one that dies is started again after a backoff, as a container
restart policy would; a component that keeps dying (a crash loop) makes `up` give up and say so."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0
CRASH_LOOP_RESTARTS = 5  # this many restarts within the window is a crash loop
CRASH_LOOP_WINDOW_SECONDS = 60.0


class Processes(Protocol):
    """What the supervisor needs of a running stack."""

    def exited(self) -> dict[str, int]:
        """The components whose process has exited, with their exit codes."""
        ...

    def restart(self, component: str) -> None:
        """Start the component's process again with the environment it had."""
        ...


class CrashLoop(RuntimeError):
    """A component died too often in a short time: restarting it again would not help."""


@dataclass
class _Component:
    restarts: deque[float] = field(default_factory=deque)
    due: float | None = None  # when the pending restart may run
    backoff: float = BACKOFF_FIRST_SECONDS


class Supervisor:
    """Restarts dead components with exponential backoff; raises CrashLoop on a crash loop."""

    def __init__(
        self,
        stack: Processes,
        say: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        *,
        restarts: int = CRASH_LOOP_RESTARTS,
        window: float = CRASH_LOOP_WINDOW_SECONDS,
    ) -> None:
        self._stack, self._say, self._clock = stack, say, clock
        self._restarts, self._window = restarts, window
        self._state: dict[str, _Component] = {}

    def check(self) -> None:
        """Look at every component once: schedule a restart for a newly dead one, run restarts that are due."""
        now = self._clock()
        for name, code in self._stack.exited().items():
            c = self._state.setdefault(name, _Component())
            while c.restarts and now - c.restarts[0] > self._window:
                c.restarts.popleft()
            if c.due is None:
                if len(c.restarts) >= self._restarts:
                    raise CrashLoop(
                        f"{name} exited with {code} {len(c.restarts) + 1} times within {self._window:.0f} s: giving up"
                    )
                if not c.restarts:
                    c.backoff = BACKOFF_FIRST_SECONDS
                c.due = now + c.backoff
                self._say(f"{name} exited with {code}; restarting in {c.backoff:.1f} s")
                c.backoff = min(c.backoff * 2, BACKOFF_MAX_SECONDS)
            if c.due <= now:
                c.due = None
                c.restarts.append(now)
                self._stack.restart(name)
                self._say(f"{name} restarted")
