"""OpenTelemetry traces on a running system of its own (its own PostgreSQL and NATS, so its relay and consumers
lead): every component exports over real OTLP/HTTP to a receiver of the test, and one save's trace id runs from the
gateway through the annotation service (gRPC, PostgreSQL) and the relay to a consumer of another service."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from annostream_cli.stack import LocalStack

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    links: tuple[str, ...]  # trace ids of the span's links


class OtlpReceiver:
    """An OTLP/HTTP trace receiver (protobuf), keeping every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        lock, spans = threading.Lock(), self.spans

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest.FromString(body)
                with lock:
                    for rs in request.resource_spans:
                        attrs = {a.key: a.value.string_value for a in rs.resource.attributes}
                        for ss in rs.scope_spans:
                            spans.extend(
                                Span(
                                    attrs.get("service.name", ""),
                                    s.name,
                                    s.trace_id.hex(),
                                    s.span_id.hex(),
                                    s.parent_span_id.hex(),
                                    tuple(link.trace_id.hex() for link in s.links),
                                )
                                for s in ss.spans
                            )
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def of_trace(self, trace_id: str) -> list[Span]:
        return [s for s in list(self.spans) if s.trace_id == trace_id]


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    r = OtlpReceiver()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


@pytest.fixture(scope="module")
def traced_system(receiver: OtlpReceiver, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = LocalStack(
        Path(tmp_path_factory.mktemp("traced")),
        http_port=0,
        extra_env={
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
            "OTEL_BSP_SCHEDULE_DELAY": "100",  # export every 0.1 s (default 5 s)
            "ANNOSTREAM_RELAY_POLL_SECONDS": "0.2",
        },
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def _eventually(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _quiet(receiver: OtlpReceiver, for_seconds: float = 1.0) -> None:
    """Wait until no span has been exported for `for_seconds` (every component idle, exports flushed)."""
    deadline = time.monotonic() + 30
    seen, since = len(receiver.spans), time.monotonic()
    while time.monotonic() - since < for_seconds:
        assert time.monotonic() < deadline, "the system never went quiet"
        time.sleep(0.1)
        if len(receiver.spans) != seen:
            seen, since = len(receiver.spans), time.monotonic()


def test_one_trace_id_runs_from_the_gateway_through_the_annotation_service_and_the_relay_to_a_consumer(
    traced_system: LocalStack, receiver: OtlpReceiver
) -> None:
    headers = {"X-Annostream-User": "tracer", "X-Annostream-Team": f"t-{uuid.uuid4().hex[:8]}"}
    with httpx.Client(base_url=traced_system.url, headers=headers, timeout=30) as c:
        ds = c.post("/api/v1/datasets", json={"name": "traced"}).json()
        v = c.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}).json()
        frame = {"id": "t1", "sources": [{"uri": "s3://b/t1.jpg", "width": 64, "height": 48}]}
        assert c.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [frame]}).status_code == 200
        _quiet(receiver)  # the setup's events are applied: the save's events start the consumers' next batches
        roi = {"type": "rectangle", "points": [[1, 1], [9, 9]], "labels": ["car"]}
        body = {"expected_version": 0, "commands": [{"create_roi": {"roi": roi}}]}
        saved = c.post(f"/api/v1/versions/{v['version_id']}/frames/t1/save", json=body)
        assert saved.status_code == 200, saved.text

    def save_trace(index: int = 0) -> str:
        roots = [
            s
            for s in list(receiver.spans)
            if s.service == "annostream-gateway"
            and not s.parent_id
            and s.name.startswith("POST ")
            and s.name.endswith("/save")
        ]
        return roots[index].trace_id if len(roots) > index else ""

    _eventually(lambda: bool(save_trace()), "the gateway exported the save's HTTP span")
    trace_id = save_trace()

    def services() -> set[str]:
        return {s.service for s in receiver.of_trace(trace_id)}

    _eventually(
        lambda: (
            {"annostream-gateway", "annostream-annotation", "annostream-datasets", "annostream-iterator"} <= services()
        ),
        "the save's trace reached the annotation service and the consumers of the datasets and iterator services",
    )
    spans = receiver.of_trace(trace_id)
    names = {(s.service, s.name) for s in spans}
    # One server span per request: FastAPI's own OpenTelemetry support stands down beside the instrumentor.
    http_spans = [s for s in spans if s.service == "annostream-gateway" and s.name.startswith("POST ")]
    assert len([s for s in http_spans if s.name.endswith("/save")]) == 1, sorted(s.name for s in http_spans)
    assert ("annostream-gateway", "/annostream.annotation.v1.AnnotationService/SaveFrame") in names  # gRPC client
    assert ("annostream-annotation", "/annostream.annotation.v1.AnnotationService/SaveFrame") in names  # gRPC server
    assert any(s.service == "annostream-annotation" and s.name.startswith(("INSERT", "WITH")) for s in spans), names
    assert ("annostream-annotation", "publish annotation") in names  # the relay, a child of the save
    consumers = [s for s in spans if s.name.startswith("apply ") and s.service != "annostream-annotation"]
    assert consumers, names
    by_id = {s.span_id: s for s in spans}
    for consumer in consumers:  # each hangs under the annotation service's span that appended the events
        assert by_id[consumer.parent_id].service == "annostream-annotation"


def test_log_lines_written_inside_a_request_carry_its_trace_id(
    traced_system: LocalStack, receiver: OtlpReceiver
) -> None:
    headers = {"X-Annostream-User": "tracer", "X-Annostream-Team": f"t-{uuid.uuid4().hex[:8]}"}
    with httpx.Client(base_url=traced_system.url, headers=headers, timeout=30) as c:
        missing = c.get(f"/api/v1/datasets/ds_{uuid.uuid4().hex}")
        assert missing.status_code == 404, missing.text
    rejected = "/annostream.datasets.v1.DatasetsService/GetDataset"

    def server_span() -> list[Span]:
        return [s for s in list(receiver.spans) if s.service == "annostream-datasets" and s.name == rejected]

    _eventually(lambda: bool(server_span()), "the datasets service exported the refused call's span")
    trace_id = server_span()[-1].trace_id
    log = (traced_system.log_dir / "datasets.log").read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{") and '"request_rejected"' in line]
    assert any(line.get("trace_id") == trace_id and line.get("method") == rejected for line in lines), lines[-3:]
