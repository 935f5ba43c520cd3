"""The save's lean route (routes/save_route.py) and the lean save ahead of FastAPI (front.py) answer every request
as the FastAPI route they stand in for: same status, body, gRPC request and identity, and /openapi.json and the
metrics' route label are unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from annostream_gateway.app import create_app
from annostream_gateway.config import GatewaySettings
from annostream_gateway.front import Gateway, LeanSave
from annostream_gateway.routes.save_route import SaveRoute
from annostream_kernel.metrics import HTTP_HANDLED
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.types.v1 import frames_pb2 as t

SAVE = "/api/v1/versions/v1/frames/f1/save"
ME = {"X-Correlation-Id": "c1", "X-Annostream-User": "ann", "X-Annostream-Team": "t", "X-Annostream-Role": "admin"}
ROI = {"roi_id": "r1", "type": "rectangle", "points": [[1, 2], [3, 4]], "labels": ["car"]}
BODY = {"expected_version": 0, "commands": [{"create_roi": {"roi": ROI}}]}
# (method, url, headers, body): each answered identically with and without the lean route
REQUESTS: list[tuple[str, str, dict[str, str], Any]] = [
    ("POST", SAVE, ME, BODY),
    ("POST", SAVE + "?answer=compact", ME, BODY),
    ("POST", SAVE + "?answer=full", ME, BODY),
    ("POST", SAVE + "?answer=compact&answer=full", ME, BODY),
    ("POST", SAVE + "?answer=brief", ME, BODY),  # 422 naming `answer`
    ("POST", SAVE + "?answer=", ME, BODY),
    ("POST", SAVE + "?answer=brief", ME, {"commands": "x"}),  # the query's 422 before the body's
    ("POST", SAVE + "?answer=compact", ME, {"commands": [{"create_roi": {"roi": {**ROI, "type": "blob"}}}]}),
    ("POST", SAVE, ME, None),  # no body: 422
    ("POST", "/api/v1/versions/v1/frames/" + "f" * 513 + "/save", ME, BODY),  # path check: 400 naming frame_id
    ("POST", "/api/v1/versions/v%00/frames/f1/save", ME, BODY),  # NUL in a path parameter: 400
    ("POST", SAVE, {**ME, "X-Annostream-Role": "overlord"}, BODY),  # identity: 400 naming the role
    ("POST", SAVE + "?answer=brief", {**ME, "X-Annostream-Role": "overlord"}, BODY),  # identity before the query
    ("GET", SAVE, ME, None),  # 405, as before
    ("PUT", SAVE, ME, BODY),
    ("POST", "/api/v1/versions/v1/frames/train%2F0001/save", ME, BODY),  # an id holding '/' (path_ids.py)
    ("POST", SAVE, {**ME, "X-Annostream-User": "ann\x7f"}, BODY),  # the edge's header check: 400 naming it
    ("POST", SAVE, {**ME, "Content-Type": "text/plain"}, BODY),  # not said to be JSON: 422 as FastAPI's
    ("POST", SAVE, {**ME, "Content-Type": "application/json"}, b'{"expected_version": 0, "commands": [NaN]}'),
    ("POST", SAVE, ME, {"expected_version": 0, "commands": [{}]}),  # no action: 400 naming commands[0]
    ("POST", "/api/v1/versions/v1/frames/boom/save", ME, BODY),  # the service call fails unexpectedly: 500
]
VARIANTS = ("front", "route", "declared")  # the lean save ahead of FastAPI; only the lean route; FastAPI's route


class FakeAnnotation:
    """The annotation service's SaveFrame: records each request and the caller it was made for."""

    def __init__(self) -> None:
        self.calls: list[tuple[ann.SaveFrameRequest, dict[str, str]]] = []

    async def SaveFrame(self, req: ann.SaveFrameRequest, **kw: Any) -> ann.SaveFrameResponse:
        self.calls.append((req, dict(kw["metadata"])))
        if req.frame.frame_id == "boom":
            raise RuntimeError("an unexpected failure")
        roi = t.Roi(roi_id="r1", type=t.ROI_TYPE_RECTANGLE, labels=["car"], points=[t.Point(x=1, y=2)])
        frame = ann.FrameState(version=1, rois=[roi, t.Roi(roi_id="other")])
        return ann.SaveFrameResponse(version=1, event_ids=["e1", "e2"], frame=frame)


class NoLean(Gateway):
    """The app as it runs when the lean save must stay off (tracing on): every request through FastAPI."""

    def start_lean(self) -> None:
        self.lean = None


def _app(variant: str = "front") -> FastAPI:
    app = create_app(GatewaySettings(http_port=0, metrics_on_http=True))
    if variant != "front":
        app.__class__ = NoLean
    if variant == "declared":
        app.router.routes[:] = [r for r in app.router.routes if not isinstance(r, SaveRoute)]
    return app


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, tuple[TestClient, FakeAnnotation]]]:
    out = {}
    apps = {variant: _app(variant) for variant in VARIANTS}
    with (
        TestClient(apps["front"], raise_server_exceptions=False) as front,
        TestClient(apps["route"], raise_server_exceptions=False) as route,
        TestClient(apps["declared"], raise_server_exceptions=False) as declared,
    ):
        for key, client in (("front", front), ("route", route), ("declared", declared)):
            fake = FakeAnnotation()
            client.app.state.clients.annotation = fake  # type: ignore[attr-defined]
            out[key] = (client, fake)
        yield out


def _request(client: TestClient, method: str, url: str, headers: dict[str, str], body: Any) -> Any:
    if isinstance(body, bytes):
        return client.request(method, url, headers=headers, content=body)
    return client.request(method, url, headers=headers, json=body)


def _counted(status: int) -> float:
    template = "/api/v1/versions/{version_id}/frames/{frame_id}/save"
    return float(HTTP_HANDLED.labels("POST", template, str(status))._value.get())


def test_the_lean_save_and_route_answer_like_the_declared_route(clients: Any) -> None:
    assert isinstance(clients["front"][0].app.lean, LeanSave) and clients["route"][0].app.lean is None
    assert isinstance(clients["route"][0].app.router.routes[0], SaveRoute)
    for method, url, headers, body in REQUESTS:
        answers = []
        for variant in VARIANTS:
            client, fake = clients[variant]
            before, counted = len(fake.calls), {s: _counted(s) for s in (200, 400, 422, 500)}
            r = _request(client, method, url, headers, body)
            counts = {s: _counted(s) - n for s, n in counted.items()}
            answers.append((r.status_code, r.json(), r.headers.get("allow"), fake.calls[before:], counts))
        assert answers[0] == answers[1] == answers[2], (method, url)
    statuses = [_request(clients["front"][0], *request).status_code for request in REQUESTS]
    assert statuses[:15] == [200, 200, 200, 200, 422, 422, 422, 422, 422, 400, 400, 400, 400, 405, 405]
    assert statuses[15:] == [200, 400, 422, 400, 400, 500]


def test_the_compact_answer_and_the_grpc_request_of_a_lean_save(clients: Any) -> None:
    client, fake = clients["front"]
    r = client.post(SAVE + "?answer=compact", headers=ME, json=BODY)
    assert r.status_code == 200 and r.json()["compact"] is True
    assert [x["roi_id"] for x in r.json()["rois"]] == ["r1"]
    req, _ = fake.calls[-1]
    assert (req.frame.version_id, req.frame.frame_id, req.commands[0].create_roi.roi.roi_id) == ("v1", "f1", "r1")
    err = client.post(SAVE + "?answer=brief", headers=ME, json=BODY).json()
    assert err["field"] == "answer" and err["error"] == "INVALID_ARGUMENT"


def test_openapi_is_the_same_with_the_lean_route() -> None:
    assert _app("front").openapi() == _app("declared").openapi()


def test_metrics_name_the_save_route_by_its_template(clients: Any) -> None:
    template = "/api/v1/versions/{version_id}/frames/{frame_id}/save"
    before = HTTP_HANDLED.labels("POST", template, "200")._value.get()
    clients["front"][0].post(SAVE, headers=ME, json=BODY)
    assert HTTP_HANDLED.labels("POST", template, "200")._value.get() == before + 1


def test_the_lean_route_refuses_to_start_when_the_app_gained_a_check_it_does_not_run() -> None:
    from fastapi import Depends, FastAPI

    from annostream_gateway.edge import check_path
    from annostream_gateway.routes import save_route

    async def rate_limit() -> None:
        """A check added app-wide that the lean route would skip."""

    app = FastAPI(dependencies=[Depends(check_path), Depends(rate_limit)])
    with pytest.raises(RuntimeError, match="lean save route"):
        save_route.install(app)


def test_the_lean_save_stays_off_when_something_else_must_see_each_request() -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from starlette.middleware.gzip import GZipMiddleware

    from annostream_kernel.tracing import configure_tracing, shutdown_tracing

    assert isinstance(LeanSave.of(create_app()), LeanSave)
    more = create_app()
    more.add_middleware(GZipMiddleware)
    assert LeanSave.of(more) is None
    configure_tracing("gateway", exporter=InMemorySpanExporter())
    try:
        assert LeanSave.of(create_app()) is None
    finally:
        shutdown_tracing()


def test_headers_are_read_as_starlette_reads_them() -> None:
    from starlette.datastructures import Headers

    from annostream_gateway.edge import headers_of

    raw = [(b"x-annostream-user", b"first"), (b"x-annostream-user", b"second"), (b"x-caf\xe9", b"\xe9t\xe9")]
    scope = {"type": "http", "headers": raw}
    for name in ("x-annostream-user", "X-Annostream-User".lower(), "x-caf\xe9", "missing"):
        assert headers_of(scope).get(name) == Headers(scope=scope).get(name)
