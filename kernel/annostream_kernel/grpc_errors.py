"""The one interceptor that binds request context (correlation id, the caller), enforces the method's
classification in the authorization policy, and maps domain errors to gRPC status codes."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc import aio

from .authz import bind_principal, from_metadata
from .context import GRPC_CORRELATION_KEY, bind_request
from .errors import DomainError, PermissionDenied, Unauthenticated
from .logs import get_logger
from .policy import GRPC_METHODS, Rule, Target

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


def _wrap_unary(behavior: Callable[..., Awaitable[Any]], method: str) -> Callable[..., Awaitable[Any]]:
    rule = GRPC_METHODS.get(method)

    async def wrapper(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
        try:
            _bind(context, rule, method)
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
    if not inspect.isasyncgenfunction(behavior):  # a handler that streams with context.write (health Watch)
        return _wrap_unary(behavior, method)
    rule = GRPC_METHODS.get(method)

    async def wrapper(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
        try:
            _bind(context, rule, method)
            async for item in behavior(request, context):
                yield item
        except DomainError as err:
            log.info("request_rejected", method=method, code=err.code_name, error=err.message)
            await abort_with(context, err)

    return wrapper


class DomainErrorInterceptor(aio.ServerInterceptor):  # type: ignore[misc]
    """Binds correlation id and caller from metadata, applies the method's policy rule, and turns DomainError into
    a status code."""

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
