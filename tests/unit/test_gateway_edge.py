"""The gateway's edge check (edge.py) as a pure ASGI middleware and a JSON walker: no server, no services."""

from __future__ import annotations

import json
from typing import Any

import pytest

from annostream_gateway.edge import MAX_BODY_DEPTH, EdgeGuard, check_body
from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import MAX_REQUEST_BYTES


class Inner:
    """The app behind the middleware: records the body it was given."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.bodies.append((await receive())["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def _run(messages: list[dict[str, Any]], headers: list[tuple[bytes, bytes]]) -> tuple[Inner, list[Any]]:
    inner, sent, queue = Inner(), [], list(messages)

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/v1/datasets", "query_string": b"", "headers": headers}
    await EdgeGuard(inner)(scope, receive, send)
    return inner, sent


def _chunks(body: bytes, size: int = 1 << 20) -> list[dict[str, Any]]:
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    return [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]


async def test_a_chunked_body_over_the_limit_is_413_and_never_reaches_the_app() -> None:
    body = b"x" * (MAX_REQUEST_BYTES + 1)
    inner, sent = await _run(_chunks(body), [(b"content-type", b"application/json")])
    assert inner.bodies == []
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["details"] == {"limit": MAX_REQUEST_BYTES}


async def test_a_declared_length_over_the_limit_is_413_before_the_body_is_held() -> None:
    inner, sent = await _run(_chunks(b"{}"), [(b"content-length", str(MAX_REQUEST_BYTES + 1).encode())])
    assert inner.bodies == [] and sent[0]["status"] == 413


async def test_a_client_that_disconnects_mid_body_gets_nothing_done() -> None:
    lines = b'{"id": "a", "sources": []}\n' * 3
    partial = [{"type": "http.request", "body": lines, "more_body": True}, {"type": "http.disconnect"}]
    inner, sent = await _run(partial, [(b"content-type", b"application/x-ndjson")])
    assert inner.bodies == [] and sent == []


async def test_a_good_body_reaches_the_app_unchanged() -> None:
    body = json.dumps({"name": "ok", "n": [1, 2.5, None, True]}).encode()
    inner, sent = await _run(_chunks(body, 7), [(b"content-type", b"application/json")])
    assert inner.bodies == [body] and sent[0]["status"] == 200


@pytest.mark.parametrize(
    ("body", "field", "why"),
    [
        ('{"commands": [{"roi": {"labels": ["a", "b\\u0000"]}}]}', "commands[0].roi.labels[1]", "NUL"),
        ('{"m": {"k\\ud800": 1}}', "m.k\\ud800", "lone surrogates"),
        ('{"points": [[1.0, 2.0], [3.0, NaN]]}', "points[1][1]", "finite"),
        ('{"v": 9223372036854775808}', "v", "64-bit"),
        ('{"v": -9223372036854775809}', "v", "64-bit"),
        ('{"v": ' + "7" * 5000 + "}", "v", "64-bit"),
        ('{"x": 1e999}', "x", "finite"),
        ("[" * (MAX_BODY_DEPTH + 1) + "]" * (MAX_BODY_DEPTH + 1), "[0]" * MAX_BODY_DEPTH, "deeper"),
        ("[" * 5000 + "]" * 5000, "body", "deeper"),
    ],
)
def test_bad_json_is_refused_naming_the_path(body: str, field: str, why: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        check_body(body.encode(), "application/json")
    assert err.value.field == field and why in err.value.message


def test_json_lines_name_the_line_and_json_within_the_limits_passes() -> None:
    with pytest.raises(InvalidArgument) as err:
        check_body(b'{"id": "a"}\n\n{"id": "b", "metadata": {"k": "\\u0000"}}', "application/x-ndjson")
    assert err.value.field == "line 3.metadata.k"
    check_body(("[" * MAX_BODY_DEPTH + "]" * MAX_BODY_DEPTH).encode(), "application/json")
    check_body(b'{"v": 9223372036854775807, "w": -9223372036854775808, "s": "\\u00e9\\ud83d\\ude00"}', "")
    check_body(b"{not json", "application/json")  # the route reports what is not JSON
