"""The gateway's edge: one check of every HTTP request before any route (or protobuf builder) sees it.

A body over `limits.MAX_REQUEST_BYTES` is refused with 413 before it is held in memory (by Content-Length, or
by counting a chunked body). Everything the API reads must be storable and fit its protobuf field: query
parameters, path parameters (`check_path`, a dependency of every route, as only routing names them), the
identity headers, every key and string of a JSON or JSON-lines body have no NUL and no lone surrogate; numbers
are finite, integers 64-bit; JSON nests at most MAX_BODY_DEPTH levels; `*_id` parameters are at most
`limits.MAX_ID_LENGTH` characters; identity headers are printable ASCII (gRPC metadata carries them). A refusal
is 400 naming the field, in the API's one error shape; nothing reaches a service. Narrower ranges and lengths
(uint32 fields, labels, points per shape, metadata) are declared on the request models (schemas.py) and
answered 422 by FastAPI's validation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import (
    INT64_MAX,
    INT64_MIN,
    MAX_ID_LENGTH,
    MAX_METADATA_DEPTH,
    MAX_REQUEST_BYTES,
    bad_text,
)

from . import json_body, observed
from .errors import error_body
from .path_ids import escape_path, unescape

MAX_BODY_DEPTH = MAX_METADATA_DEPTH + 16  # metadata's own depth plus the request structure around it
DRAIN_BYTES = 4 * MAX_REQUEST_BYTES  # an oversized body is read and dropped up to this, so the client sees the 413
IDENTITY_HEADERS = (
    "X-Annostream-User",
    "X-Annostream-Team",
    "X-Annostream-Role",
    "X-Correlation-Id",
    "X-Auth-Request-User",
    "X-Auth-Request-Groups",
)
_IDENTITY_KEYS = tuple((name, name.lower()) for name in IDENTITY_HEADERS)
MAX_GROUPS_LENGTH = 32 * MAX_ID_LENGTH  # X-Auth-Request-Groups: a comma-separated list of teams
LINES_TYPES = ("ndjson", "jsonl", "json-lines")
PARSED = "annostream.json"  # scope key: the JSON object body the edge parsed and checked
STATUS = "annostream.status"  # scope key: the status of the answer, once it started
HEADERS = "annostream.headers"  # scope key: the request's headers by name (headers_of)


def shown(key: str) -> str:
    """A key as it can appear in an error's `field`: escaped when it is not storable text itself."""
    return key if bad_text(key) is None else json.dumps(key)[1:-1]


def _path(parts: list[str | int]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def check_json(value: Any, prefix: str = "") -> None:
    """Refuse (InvalidArgument naming the path, e.g. `commands[0].create_roi.roi.labels[1]`) a parsed JSON
    document with a NUL or lone surrogate in a key or string, a non-finite number, an integer outside 64 bits,
    or more than MAX_BODY_DEPTH levels; the path is built only for the error."""
    parts: list[str | int] = [prefix] if prefix else []

    def fail(why: str) -> None:
        raise InvalidArgument(why, field=_path(parts) or "body")

    def scalar(x: Any) -> None:  # one that failed the fast tests in `walk`
        if type(x) is str and (why := bad_text(x)) is not None:
            fail(why)
        if type(x) is float:
            fail("must be a finite number (no NaN or Infinity)")
        if type(x) is int and not INT64_MIN <= x <= INT64_MAX:
            fail(f"must be a 64-bit integer (between {INT64_MIN} and {INT64_MAX})")

    def fine(x: Any, t: type) -> bool:  # the common values pass inline: x - x == 0.0 only for a finite float
        return (
            (t is float and x - x == 0.0)
            or (t is str and x.isascii() and "\x00" not in x)
            or (t is int and INT64_MIN <= x <= INT64_MAX)
            or t is bool
            or x is None
        )

    def walk(v: list[Any] | dict[str, Any], depth: int) -> None:
        if depth >= MAX_BODY_DEPTH:
            fail(f"nests deeper than {MAX_BODY_DEPTH} levels")
        if type(v) is dict:
            for k, x in v.items():
                if (not k.isascii() or "\x00" in k) and (why := bad_text(k)) is not None:
                    parts.append(shown(k))
                    fail(f"key {why}")
                if not fine(x, type(x)):
                    child(k, x, depth)
            return
        for i, x in enumerate(v):
            t = type(x)
            if t is list and depth + 1 < MAX_BODY_DEPTH:  # a point, [x, y]: no call per coordinate
                for y in x:
                    if type(y) is not float or y - y != 0.0:
                        child(i, x, depth)
                        break
            elif not fine(x, t):
                child(i, x, depth)

    def child(key: str | int, x: Any, depth: int) -> None:
        parts.append(key)
        if type(x) is list or type(x) is dict:
            walk(x, depth + 1)
        else:
            scalar(x)
        parts.pop()

    if type(value) is list or type(value) is dict:
        walk(value, 0)
    elif not fine(value, type(value)):  # a document that is one value: a finite number passes as anywhere else
        scalar(value)


def _big_int(text: str) -> int:
    """parse_int for numbers Python refuses to convert (over 4,300 digits): any value past 64 bits will do."""
    return int(text) if len(text) <= 20 else INT64_MAX + 1


def parse(raw: bytes | str) -> Any:
    """`raw` as JSON (None when it is not JSON, for the route to report); too deep nesting is InvalidArgument."""
    try:
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return None
        except ValueError:  # an integer too long to convert
            return json.loads(raw, parse_int=_big_int)
    except RecursionError as exc:
        raise InvalidArgument(f"nests deeper than {MAX_BODY_DEPTH} levels", field="body") from exc
    except (ValueError, UnicodeDecodeError):
        return None


def check_body(body: bytes, content_type: str) -> Any:
    """A JSON body (or each line of a JSON-lines body: field `line N…`) passes `check_json`; the parsed JSON
    document (None for JSON lines, an empty body or what is not JSON)."""
    if not body:
        return None
    if any(t in content_type for t in LINES_TYPES):
        try:
            lines = body.decode().splitlines()
        except UnicodeDecodeError:
            return
        for n, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    doc = parse(line)
                except InvalidArgument as err:
                    raise InvalidArgument(err.message.removeprefix("body: "), field=f"line {n}") from err
                check_json(doc, f"line {n}")
        return None
    if (doc := json_body.read(body, MAX_BODY_DEPTH)) is json_body.SLOW:
        check_json(doc := parse(body))
    return doc


def check_query(scope: Scope) -> None:
    """Query parameters are storable text; `*_id` ones at most MAX_ID_LENGTH characters."""
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        _check_param(name, value)


async def check_path(conn: HTTPConnection) -> None:
    """The same for path parameters, once routing has named them (an app-wide dependency, so the first to run):
    each is decoded in place first when it holds an escaped '/' or '%' (path_ids.py)."""
    params = conn.path_params
    for name, value in params.items():
        params[name] = text = unescape(str(value))
        _check_param(name, text)


def _check_param(name: str, value: str) -> None:
    field = shown(name)
    if (why := bad_text(name)) is not None:
        raise InvalidArgument(f"parameter name {why}", field=field)
    if (why := bad_text(value)) is not None:
        raise InvalidArgument(why, field=field)
    if name.endswith("_id") and len(value) > MAX_ID_LENGTH:
        raise InvalidArgument(f"must be at most {MAX_ID_LENGTH} characters", field=field)


def headers_of(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name, the first of a repeated one (as Starlette's `Headers.get`), decoded
    once per request: each `Headers.get` scans the whole list, and a save reads about a dozen."""
    if (headers := scope.get(HEADERS)) is None:
        headers = scope[HEADERS] = {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(scope["headers"])}
    return headers


def check_headers(headers: Mapping[str, str]) -> None:
    """The identity headers (`headers` by lower-case name) are printable ASCII of at most MAX_ID_LENGTH characters
    (X-Auth-Request-Groups: a list of them), as gRPC metadata must be."""
    for name, key in _IDENTITY_KEYS:
        value = headers.get(key)
        if value is None:
            continue
        if not value.isascii() or not value.isprintable():
            raise InvalidArgument("must be printable ASCII", field=name)
        limit = MAX_GROUPS_LENGTH if name == "X-Auth-Request-Groups" else MAX_ID_LENGTH
        if len(value) > limit:
            raise InvalidArgument(f"must be at most {limit} characters", field=name)


class TooLarge(Exception):
    """The request body is over MAX_REQUEST_BYTES."""


class EdgeGuard:
    """The gateway's one ASGI middleware: every check of this module on each HTTP request (WebSockets pass
    through), and its metrics (observed.py), refusals included."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        escape_path(scope)  # before routing, WebSockets too: an id holding '/' (path_ids.py)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.checked(scope, receive, send)

    async def checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check and count one HTTP request, handing it on once it passed; `scope[STATUS]` holds the status of the
        answer once it started (front.py's lean save reads it)."""
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                scope[STATUS] = int(message["status"])
            await send(message)

        try:
            await self._guarded(scope, receive, sending)
        finally:
            observed.count(scope, scope.get(STATUS, 500), started)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = headers_of(scope)
        try:
            check_headers(headers)
            check_query(scope)
            body = await self._read(headers, receive)
            if body is None:
                return  # the client went away before its body arrived: nothing is done for it
            doc = check_body(body, headers.get("content-type", "").lower())
        except TooLarge:
            limit = f"{self.max_body} bytes ({self.max_body // (1024 * 1024)} MiB)"
            msg = f"the request body is larger than the limit of {limit}"
            await JSONResponse(error_body("PAYLOAD_TOO_LARGE", msg, "body", {"limit": self.max_body}), 413)(
                scope, receive, send
            )
            return
        except InvalidArgument as err:
            await JSONResponse(error_body(err.code_name, err.message, err.field), 400)(scope, receive, send)
            return
        if type(doc) is dict:
            scope[PARSED] = doc  # a route that reads its body itself takes it from here (routes/save_body.py)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, headers: Mapping[str, str], receive: Receive) -> bytes | None:
        """The whole body (None when the client disconnected first), or TooLarge once it is over the limit (the
        rest is read and dropped, up to DRAIN_BYTES, so the client gets to read the answer)."""
        declared = headers.get("content-length", "")
        buf = bytearray()
        too_large = declared.isdigit() and int(declared) > self.max_body
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk: bytes = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_body:
                too_large = True
            if not too_large:
                buf += chunk
            if not message.get("more_body", False) or seen > DRAIN_BYTES:
                break
        if too_large:
            raise TooLarge
        return bytes(buf)
