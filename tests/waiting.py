"""Waiting for what the services learn from events, in tests that talk to them through the SDK."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from annostream_sdk import NotFound

T = TypeVar("T")


def eventually(fn: Callable[[], T], timeout: float = 30.0) -> T:
    """fn() once it stops answering NotFound (the services learn new objects from events)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except NotFound:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
