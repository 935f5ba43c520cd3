"""Small helpers for tests that call the running services over real gRPC."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import grpc
from grpc import aio

from annostream_kernel.grpc_errors import ERROR_DETAILS_KEY

USER_MD = (("x-annostream-user", "tester"), ("x-annostream-role", "admin"))  # an admin of its team


async def rpc_error(call: Any) -> aio.AioRpcError:
    """Await a call that must fail; return its error."""
    try:
        await call
    except aio.AioRpcError as err:
        return err
    raise AssertionError("call succeeded but should have failed")


def details(err: aio.AioRpcError) -> dict[str, Any]:
    """The JSON details trailer of a rejected call."""
    for key, value in err.trailing_metadata() or ():
        if key == ERROR_DETAILS_KEY:
            return dict(json.loads(value))
    return {}


def assert_status(err: aio.AioRpcError, code: grpc.StatusCode, field: str) -> None:
    """The error has the status code and names the field in its message and details."""
    assert err.code() == code, (err.code(), err.details())
    assert field in (err.details() or ""), err.details()
    assert details(err).get("field") == field, details(err)


async def eventually(fn: Any, what: str, timeout: float = 15.0) -> Any:
    """Retry an async callable until it returns a truthy value (events propagate asynchronously)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = await fn()
            if last:
                return last
        except aio.AioRpcError as err:
            last = err
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")
