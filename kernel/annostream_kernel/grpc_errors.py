"""The one interceptor of every service: it binds request context (correlation id, the caller), enforces the
method's classification in the authorization policy, validates every request, and maps domain errors to gRPC
status codes."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeAlias

import grpc
from grpc import aio

from .authz import bind_principal, from_metadata
from .context import GRPC_CORRELATION_KEY, bind_request
from .errors import DomainError, InvalidArgument, PermissionDenied, Unauthenticated
from .logs import get_logger
from .metrics import GRPC_HANDLED, GRPC_SECONDS
from .policy import GRPC_METHODS, Rule, Target
from .validation import check_request
from .wire import undecodable_field

log = get_logger(__name__)
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"  # typeshed makes it generic; grpc does not at run time

ERROR_DETAILS_KEY = "x-annostream-error-details-bin"
MAX_ERROR_MESSAGE = 1_000  # characters of a status message (it travels in a header; ids in it are echoed)
MAX_ERROR_DETAILS = 8 * 1024  # bytes of the JSON details trailer


@dataclass(frozen=True)
class Refused:
    """A request message that failed validation (or could not be parsed), in place of the message: unary
    calls and ordinary streams are refused with its error; a stream listed in `in_stream_refusals` gets it
    as an item and answers it in the stream (SaveFrames answers each save)."""

    error: InvalidArgument


def validating(deserializer: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """Wrap a request deserializer: a message protobuf cannot parse (e.g. a string that is not UTF-8) or that
    fails annostream_kernel.validation becomes a Refused naming the field, instead of an INTERNAL error."""
    cls = getattr(deserializer, "__self__", None)
    desc = getattr(cls, "DESCRIPTOR", None)
    if desc is None:
        return deserializer

    def parse(raw: bytes) -> Any:
        try:
            msg = deserializer(raw)
        except Exception:
            field = undecodable_field(desc, raw)
            why = "is not valid UTF-8" if field else f"is not a valid {desc.name} message"
            return Refused(InvalidArgument(why, field=field or "request"))
        try:
            check_request(msg, raw)
        except InvalidArgument as err:
            return Refused(err)
        return msg

    return parse


async def _checked(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for request in requests:
        if isinstance(request, Refused):
            raise request.error
        yield request


def _status(err: DomainError) -> grpc.StatusCode:
    return getattr(grpc.StatusCode, err.code_name, grpc.StatusCode.UNKNOWN)


async def abort_with(context: aio.ServicerContext[Any, Any], err: DomainError) -> None:
    """Abort the call with the error's status, message and (JSON) details in trailing metadata."""
    trailers: tuple[tuple[str, str | bytes], ...] = ()
    if err.details or err.field:
        payload = json.dumps({"field": err.field, **err.details}, default=str).encode()
        if len(payload) > MAX_ERROR_DETAILS:
            payload = json.dumps({"field": _cut(err.field or "", 500) or None}).encode()
        trailers = ((ERROR_DETAILS_KEY, payload),)
    await context.abort(_status(err), _cut(err.message, MAX_ERROR_MESSAGE), trailing_metadata=trailers)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bind(context: aio.ServicerContext[Any, Any], rule: Rule | None, method: str) -> None:
    """Bind the correlation id and the caller; refuse what the method's rule does not let through."""
    md = list(context.invocation_metadata() or ())
    cid = bind_request(next((v for k, v in md if k == GRPC_CORRELATION_KEY and isinstance(v, str)), None))
    principal = from_metadata(md)
    bind_principal(principal)
    if principal is not None:
        bind_request(cid, principal.user)
    if rule is None:
        raise PermissionDenied(f"{method} is not classified in the authorization policy", field="method")
    if rule.target is Target.PUBLIC:
        return
    if principal is None:
        raise Unauthenticated("the call carries no identity (x-annostream-user metadata)", field="identity")
    if rule.target is Target.SERVICE and not principal.service:
        raise PermissionDenied(f"{method} is for annostream's own services only", field="method")


def _code_of(context: aio.ServicerContext[Any, Any]) -> str:
    """The status code a handler aborted with (UNKNOWN if the context cannot tell)."""
    try:
        code = context.code()
    except Exception:
        return "UNKNOWN"
    return code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"


class Observed:
    """One call's metrics: its method, its status code (OK unless set), its duration until done()."""

    __slots__ = ("code", "method", "started")

    def __init__(self, method: str) -> None:
        self.method, self.code, self.started = method, "OK", time.perf_counter()

    def done(self) -> None:
        """Count the call and its duration (label children cached: `.labels()` costs more than the counting)."""
        if (handled := _HANDLED.get((self.method, self.code))) is None:
            handled = _HANDLED[self.method, self.code] = GRPC_HANDLED.labels(self.method, self.code)
        if (seconds := _SECONDS.get(self.method)) is None:
            seconds = _SECONDS[self.method] = GRPC_SECONDS.labels(self.method)
        handled.inc()
        seconds.observe(time.perf_counter() - self.started)


_HANDLED: dict[tuple[str, str], Any] = {}
_SECONDS: dict[str, Any] = {}


def _wrap_unary(behavior: Callable[..., Awaitable[Any]], method: str, streamed: bool) -> Callable[..., Awaitable[Any]]:
    rule = GRPC_METHODS.get(method)

    async def wrapper(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
        call = Observed(method)
        try:
            _bind(context, rule, method)  # identity and policy first, then the request's content
            if isinstance(request, Refused):
                raise request.error
            return await behavior(_checked(request) if streamed else request, context)
        except DomainError as err:
            call.code = err.code_name
            log.info("request_rejected", method=method, code=err.code_name, error=err.message)
            await abort_with(context, err)
        except aio.AbortError:
            call.code = _code_of(context)
            raise
        except asyncio.CancelledError:
            call.code = "CANCELLED"
            raise
        except Exception:
            call.code = "INTERNAL"
            log.exception("request_failed", method=method)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")
        finally:
            call.done()

    return wrapper


def _wrap_stream(behavior: Callable[..., Any], method: str, streamed: bool, refusals_in_stream: bool) -> Any:
    if not inspect.isasyncgenfunction(behavior):  # a handler that streams with context.write (health Watch)
        return _wrap_unary(behavior, method, streamed)
    rule = GRPC_METHODS.get(method)

    async def wrapper(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
        call = Observed(method)
        try:
            _bind(context, rule, method)
            if isinstance(request, Refused):
                raise request.error
            if streamed and not refusals_in_stream:
                request = _checked(request)
            async for item in behavior(request, context):
                yield item
        except DomainError as err:
            call.code = err.code_name
            log.info("request_rejected", method=method, code=err.code_name, error=err.message)
            await abort_with(context, err)
        except aio.AbortError:
            call.code = _code_of(context)
            raise
        except (asyncio.CancelledError, GeneratorExit):
            call.code = "CANCELLED"
            raise
        except Exception:
            call.code = "INTERNAL"
            log.exception("request_failed", method=method)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")
        finally:
            call.done()

    return wrapper


class DomainErrorInterceptor(aio.ServerInterceptor):
    """Binds correlation id and caller from metadata, applies the method's policy rule, validates every request
    message (annostream_kernel.validation) and turns DomainError into a status code. Methods named in
    `in_stream_refusals` (full names of request-streaming methods) receive a refused message as a Refused item
    and answer it in the stream."""

    def __init__(self, in_stream_refusals: Collection[str] = ()) -> None:
        self._wrapped: dict[str, Handler] = {}
        self._in_stream = frozenset(in_stream_refusals)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        method = handler_call_details.method
        cached = self._wrapped.get(method)
        if cached is not None:  # a method's handler never changes once the server runs: wrap it once
            return cached
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        wrapped = self._wrap(handler, method, method in self._in_stream)
        self._wrapped[method] = wrapped
        return wrapped

    @staticmethod
    def _wrap(handler: Handler, method: str, in_stream: bool) -> Handler:
        parse = validating(handler.request_deserializer) if handler.request_deserializer else None
        kw = {"request_deserializer": parse, "response_serializer": handler.response_serializer}
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(_wrap_unary(handler.unary_unary, method, False), **kw)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(_wrap_unary(handler.stream_unary, method, True), **kw)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                _wrap_stream(handler.unary_stream, method, False, in_stream), **kw
            )
        if handler.stream_stream:
            return grpc.stream_stream_rpc_method_handler(
                _wrap_stream(handler.stream_stream, method, True, in_stream), **kw
            )
        return handler
