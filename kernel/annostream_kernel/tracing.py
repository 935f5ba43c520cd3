"""OpenTelemetry traces of one process: on only when the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, exported over OTLP/HTTP; otherwise nothing is instrumented and
every helper here is a no-op (no interceptor, no patched driver, an empty `traceparent` on events).

A save's trace crosses the event log: `current_traceparent()` is stored with each event it appends (the events
table's `traceparent` column), the relay sends it as the `traceparent` NATS header, and a consumer's span for a
batch is a child of its first traced event (and links the other traces of the batch): one trace id runs from the
gateway through the annotation service and the relay to every consumer. Details: docs/operations.md."""

from __future__ import annotations

import os
from collections.abc import Iterable, MutableMapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, cast

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import sampling
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
PRODUCER, CONSUMER = trace.SpanKind.PRODUCER, trace.SpanKind.CONSUMER
_PROPAGATOR = TraceContextTextMapPropagator()
_NO_SPAN: AbstractContextManager[None] = nullcontext()
_state: dict[str, Any] = {"enabled": False, "provider": None, "tracer": None}


def otlp_endpoint_set(env: dict[str, str] | None = None) -> bool:
    """Whether the standard OTLP endpoint variables ask for traces to be exported."""
    e = os.environ if env is None else env
    if e.get("OTEL_SDK_DISABLED", "").lower() == "true" or e.get("OTEL_TRACES_EXPORTER", "") == "none":
        return False
    return bool(e.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or e.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def configure_tracing(component: str, exporter: Any = None) -> bool:
    """Turn tracing on for this process when OTLP is configured: the global tracer provider exports in batches over
    OTLP/HTTP and asyncpg is instrumented; returns whether tracing is on.

    With `exporter` (a test's, e.g. the SDK's InMemorySpanExporter), spans go to it synchronously through a provider
    of this module only: neither the global provider nor the driver is touched, and `shutdown_tracing()` undoes it."""
    if _state["enabled"]:
        return True
    if exporter is None and not otlp_endpoint_set():
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": f"annostream-{component}"}),
        sampler=RequestsOnly(sampling._get_from_env_or_default()),  # OTEL_TRACES_SAMPLER or parent-based always-on
    )
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    _state.update(enabled=True, provider=provider, tracer=provider.get_tracer("annostream"))
    return True


def tracing_enabled() -> bool:
    """Whether this process records spans."""
    return bool(_state["enabled"])


def shutdown_tracing() -> None:
    """Export what is buffered and turn tracing off (at process exit, or after a test)."""
    if (provider := _state["provider"]) is not None:
        provider.shutdown()
    _state.update(enabled=False, provider=None, tracer=None)


def server_interceptors() -> list[Any]:
    """gRPC server interceptors that continue the caller's trace (none when tracing is off)."""
    if not _state["enabled"]:
        return []
    from opentelemetry.instrumentation.grpc import aio_server_interceptor

    return [aio_server_interceptor(tracer_provider=_state["provider"])]  # type: ignore[no-untyped-call]


def client_interceptors() -> list[Any]:
    """gRPC client interceptors that send the current trace to the peer (none when tracing is off)."""
    if not _state["enabled"]:
        return []
    from opentelemetry.instrumentation.grpc import aio_client_interceptors

    return list(aio_client_interceptors(tracer_provider=_state["provider"]))  # type: ignore[no-untyped-call]


def instrument_fastapi(app: Any) -> None:
    """Trace every HTTP request of a FastAPI app (nothing when tracing is off)."""
    if _state["enabled"]:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=_state["provider"], excluded_urls="/metrics,/healthz,/readyz"
        )


def current_traceparent() -> str:
    """The W3C traceparent of the current span, stored with the events it appends ("" when not tracing)."""
    if not _state["enabled"]:
        return ""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get(TRACEPARENT, "")


def _context_of(traceparent: str) -> Context | None:
    ctx = _PROPAGATOR.extract({TRACEPARENT: traceparent})
    span_context = trace.get_current_span(ctx).get_span_context()
    return ctx if span_context.is_valid else None


def batch_span(
    name: str, traceparents: Iterable[str | None], kind: trace.SpanKind, attributes: dict[str, Any]
) -> AbstractContextManager[Any]:
    """A span for work on a batch of events: a child of the first traced event's context, linking the other traces
    of the batch; a no-op when tracing is off or no event of the batch was traced (background work is not traced)."""
    if not _state["enabled"]:
        return _NO_SPAN
    parent: Context | None = None
    links: list[trace.Link] = []
    seen: set[int] = set()
    for tp in traceparents:
        ctx = _context_of(tp) if tp else None
        if ctx is None:
            continue
        span_context = trace.get_current_span(ctx).get_span_context()
        if span_context.trace_id in seen:
            continue
        seen.add(span_context.trace_id)
        if parent is None:
            parent = ctx
        else:
            links.append(trace.Link(span_context))
    if parent is None:
        return _NO_SPAN
    tracer = _state["tracer"]
    return cast(
        AbstractContextManager[Any],
        tracer.start_as_current_span(name, context=parent, kind=kind, links=links, attributes=attributes),
    )


class RequestsOnly(Sampler):
    """Samples what a request starts (as the configured sampler decides: `OTEL_TRACES_SAMPLER`), never a statement
    or call made outside any request — the relay's polls, the consumers' fetches, samplers and health checks."""

    def __init__(self, base: Sampler) -> None:
        self._base = base

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: trace.SpanKind | None = None,
        attributes: Any = None,
        links: Sequence[trace.Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        """Drop a CLIENT or INTERNAL span without a parent; otherwise ask the configured sampler."""
        parent = trace.get_current_span(parent_context).get_span_context()
        if not parent.is_valid and kind in (None, trace.SpanKind.CLIENT, trace.SpanKind.INTERNAL):
            return SamplingResult(Decision.DROP)
        return self._base.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        """The sampler's name in the SDK's diagnostics."""
        return f"RequestsOnly{{{self._base.get_description()}}}"


def add_trace_ids(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the current trace and span ids on every log line written inside a span."""
    if _state["enabled"]:
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            event.setdefault("trace_id", format(span_context.trace_id, "032x"))
            event.setdefault("span_id", format(span_context.span_id, "016x"))
    return event
