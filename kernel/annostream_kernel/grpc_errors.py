"""The one interceptor that maps domain errors to gRPC status codes, and binds request context."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc import aio

from .context import GRPC_ACTOR_KEY, GRPC_CORRELATION_KEY, GRPC_ROLE_KEY, GRPC_TEAM_KEY, bind_request
from .errors import DomainError
from .logs import get_logger

log = get_logger(__name__)

ERROR_DETAILS_KEY = "x-annostream-error-details-bin"


def _status(err: DomainError) -> grpc.StatusCode:
    return getattr(grpc.StatusCode, err.code_name, grpc.StatusCode.UNKNOWN)


async def abort_with(context: aio.ServicerContext[Any, Any], err: DomainError) -> None:
    """Abort the call with the error's status, message and (JSON) details in trailing metadata."""
    trailers: tuple[tuple[str, str | bytes], ...] = ()
    if err.details or err.field:
        payload = {"field": err.field, **err.details}
        trailers = ((ERROR_DETAILS_KEY, json.dumps(payload, default=str).encode()),)
    await context.abort(_status(err), err.message, trailing_metadata=trailers)


def _bind(context: aio.ServicerContext[Any, Any]) -> None:
    md = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
    bind_request(
        md.get(GRPC_CORRELATION_KEY), md.get(GRPC_ACTOR_KEY, ""), md.get(GRPC_TEAM_KEY, ""), md.get(GRPC_ROLE_KEY, "")
    )


def _wrap_unary(behavior: Callable[..., Awaitable[Any]], method: str) -> Callable[..., Awaitable[Any]]:
    async def wrapper(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
        _bind(context)
        try:
            return await behavior(request, context)
        except DomainError as err:
            log.info("request_rejected", method=method, code=err.code_name, error=err.message)
            await abort_with(context, err)
        except aio.AbortError:
            raise
        except Exception:
            log.exception("request_failed", method=method)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")

    return wrapper


def _wrap_stream(behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
    async def wrapper(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
        _bind(context)
        try:
            async for item in behavior(request, context):
                yield item
        except DomainError as err:
            log.info("request_rejected", method=method, code=err.code_name, error=err.message)
            await abort_with(context, err)

    return wrapper


class DomainErrorInterceptor(aio.ServerInterceptor):  # type: ignore[misc]
    """Binds correlation id / actor from metadata and turns DomainError into a status code."""

    def __init__(self) -> None:
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

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
        wrapped = self._wrap(handler, method)
        self._wrapped[method] = wrapped
        return wrapped

    @staticmethod
    def _wrap(handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _wrap_unary(handler.unary_unary, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                _wrap_unary(handler.stream_unary, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                _wrap_stream(handler.unary_stream, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_stream:
            return grpc.stream_stream_rpc_method_handler(
                _wrap_stream(handler.stream_stream, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler
