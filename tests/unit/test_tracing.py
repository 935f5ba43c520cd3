"""The tracing helpers with the OpenTelemetry SDK's in-memory exporter: off unless OTLP is configured, a batch's span
continues the first event's trace and links the others, and log lines inside a span carry its ids."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision
from opentelemetry.trace import SpanKind

from annostream_kernel import tracing

REQUESTS = TracerProvider().get_tracer("requests")  # stands for the instrumented request that appended events


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    assert tracing.configure_tracing("unit", exporter=spans)
    try:
        yield spans
    finally:
        tracing.shutdown_tracing()


def test_tracing_is_off_without_an_otlp_endpoint_and_then_costs_nothing() -> None:
    assert not tracing.otlp_endpoint_set({})
    assert tracing.otlp_endpoint_set({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert not tracing.otlp_endpoint_set({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_SDK_DISABLED": "true"})
    assert not tracing.tracing_enabled()
    assert tracing.current_traceparent() == ""
    assert tracing.server_interceptors() == [] and tracing.client_interceptors() == []
    with tracing.batch_span("apply x", ["00-" + "1" * 32 + "-" + "2" * 16 + "-01"], SpanKind.CONSUMER, {}) as span:
        assert span is None


def test_a_batch_span_continues_the_first_events_trace_and_links_the_other_traces(
    exporter: InMemorySpanExporter,
) -> None:
    with REQUESTS.start_as_current_span("save", kind=SpanKind.SERVER):
        first = tracing.current_traceparent()
    with REQUESTS.start_as_current_span("other save", kind=SpanKind.SERVER):
        second = tracing.current_traceparent()
    assert first.startswith("00-") and first.split("-")[1] != second.split("-")[1]
    with tracing.batch_span("apply c", ["", first, first, second], SpanKind.CONSUMER, {"events": 4}):
        pass
    applied = next(s for s in exporter.get_finished_spans() if s.name == "apply c")
    assert applied.parent is not None
    assert format(applied.context.trace_id, "032x") == first.split("-")[1]
    assert format(applied.parent.span_id, "016x") == first.split("-")[2]
    assert [format(link.context.trace_id, "032x") for link in applied.links] == [second.split("-")[1]]
    assert applied.kind == SpanKind.CONSUMER


def test_log_lines_inside_a_span_carry_its_trace_and_span_ids(exporter: InMemorySpanExporter) -> None:
    assert tracing.add_trace_ids(None, "info", {"event": "outside"}) == {"event": "outside"}
    with REQUESTS.start_as_current_span("request", kind=SpanKind.SERVER):
        _, trace_id, span_id, _ = tracing.current_traceparent().split("-")
        line = tracing.add_trace_ids(None, "info", {"event": "inside"})
    assert line == {"event": "inside", "trace_id": trace_id, "span_id": span_id}


def test_a_batch_of_untraced_events_opens_no_span(exporter: InMemorySpanExporter) -> None:
    with tracing.batch_span("apply c", ["", None], SpanKind.CONSUMER, {}) as span:
        assert span is None
    assert exporter.get_finished_spans() == ()


def test_statements_and_calls_outside_any_request_are_not_sampled() -> None:
    sampler = tracing.RequestsOnly(ALWAYS_ON)
    with REQUESTS.start_as_current_span("request", kind=SpanKind.SERVER):
        inside = sampler.should_sample(None, 1, "SELECT", SpanKind.CLIENT).decision
    assert inside == Decision.RECORD_AND_SAMPLE
    assert sampler.should_sample(None, 1, "SELECT", SpanKind.CLIENT).decision == Decision.DROP  # a poll
    assert sampler.should_sample(None, 1, "POST /x", SpanKind.SERVER).decision == Decision.RECORD_AND_SAMPLE
