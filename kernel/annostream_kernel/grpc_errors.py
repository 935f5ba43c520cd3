"""The one interceptor that validates every request, maps domain errors to gRPC status codes, and binds
request context."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

import grpc
from grpc import aio

from .context import GRPC_ACTOR_KEY, GRPC_CORRELATION_KEY, GRPC_ROLE_KEY, GRPC_TEAM_KEY, bind_request
from .errors import DomainError, InvalidArgument
from .logs import get_logger
from .validation import check_request
from .wire import undecodable_field

log = get_logger(__name__)

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


def _bind(context: aio.ServicerContext[Any, Any]) -> None:
    md = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
    bind_request(
        md.get(GRPC_CORRELATION_KEY), md.get(GRPC_ACTOR_KEY, ""), md.get(GRPC_TEAM_KEY, ""), md.get(GRPC_ROLE_KEY, "")
    )


def _wrap_unary(behavior: Callable[..., Awaitable[Any]], method: str, streamed: bool) -> Callable[..., Awaitable[Any]]:
    async def wrapper(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
        _bind(context)
        try:
            if isinstance(request, Refused):
                raise request.error
            return await behavior(_checked(request) if streamed else request, context)
        except DomainError as err:
            log.info("request_rejected", method=method, code=err.code_name, error=err.message)
            await abort_with(context, err)
        except aio.AbortError:
            raise
        except Exception:
            log.exception("request_failed", method=method)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")

    return wrapper


def _wrap_stream(behavior: Callable[..., Any], method: str, streamed: bool, refusals_in_stream: bool) -> Any:
    async def wrapper(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
        _bind(context)
        try:
            if isinstance(request, Refused):
                raise request.error
            if streamed and not refusals_in_stream:
                request = _checked(request)
            async for item in behavior(request, context):
                yield item
        except DomainError as err:
            log.info("request_rejected", method=method, code=err.code_name, error=err.message)
            await abort_with(context, err)
        except aio.AbortError:
            raise
        except Exception:
            log.exception("request_failed", method=method)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")

    return wrapper


class DomainErrorInterceptor(aio.ServerInterceptor):  # type: ignore[misc]
    """Validates every request message (annostream_kernel.validation), binds correlation id / actor from
    metadata and turns DomainError into a status code. Methods named in `in_stream_refusals` (full names of
    request-streaming methods) receive a refused message as a Refused item and answer it in the stream."""

    def __init__(self, in_stream_refusals: Collection[str] = ()) -> None:
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}
        self._in_stream = frozenset(in_stream_refusals)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
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
    def _wrap(handler: grpc.RpcMethodHandler, method: str, in_stream: bool) -> grpc.RpcMethodHandler:
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
