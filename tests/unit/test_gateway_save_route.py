"""The save's lean route (routes/save_route.py) answers every request as the FastAPI route it stands in for:
same status, body, gRPC request and identity, and /openapi.json and the metrics' route label are unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from annostream_gateway.app import create_app
from annostream_gateway.config import GatewaySettings
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
]


class FakeAnnotation:
    """The annotation service's SaveFrame: records each request and the caller it was made for."""

    def __init__(self) -> None:
        self.calls: list[tuple[ann.SaveFrameRequest, dict[str, str]]] = []

    async def SaveFrame(self, req: ann.SaveFrameRequest, **kw: Any) -> ann.SaveFrameResponse:
        self.calls.append((req, dict(kw["metadata"])))
        roi = t.Roi(roi_id="r1", type=t.ROI_TYPE_RECTANGLE, labels=["car"], points=[t.Point(x=1, y=2)])
        frame = ann.FrameState(version=1, rois=[roi, t.Roi(roi_id="other")])
        return ann.SaveFrameResponse(version=1, event_ids=["e1", "e2"], frame=frame)


def _app(lean: bool) -> FastAPI:
    app = create_app(GatewaySettings(http_port=0, metrics_on_http=True))
    if not lean:
        app.router.routes[:] = [r for r in app.router.routes if not isinstance(r, SaveRoute)]
    return app


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[bool, tuple[TestClient, FakeAnnotation]]]:
    out = {}
    with TestClient(_app(True)) as lean, TestClient(_app(False)) as declared:
        for key, client in ((True, lean), (False, declared)):
            fake = FakeAnnotation()
            client.app.state.clients.annotation = fake  # type: ignore[attr-defined]
            out[key] = (client, fake)
        yield out


def test_the_lean_route_is_first_and_answers_like_the_declared_route(clients: Any) -> None:
    assert isinstance(clients[True][0].app.router.routes[0], SaveRoute)
    for method, url, headers, body in REQUESTS:
        answers = []
        for lean in (True, False):
            client, fake = clients[lean]
            before = len(fake.calls)
            r = client.request(method, url, headers=headers, json=body)
            answers.append((r.status_code, r.json(), r.headers.get("allow"), fake.calls[before:]))
        assert answers[0] == answers[1], (method, url)
    statuses = [clients[True][0].request(m, u, headers=h, json=b).status_code for m, u, h, b in REQUESTS]
    assert statuses == [200, 200, 200, 200, 422, 422, 422, 422, 422, 400, 400, 400, 400, 405, 405]


def test_the_compact_answer_and_the_grpc_request_of_a_lean_save(clients: Any) -> None:
    client, fake = clients[True]
    r = client.post(SAVE + "?answer=compact", headers=ME, json=BODY)
    assert r.status_code == 200 and r.json()["compact"] is True
    assert [x["roi_id"] for x in r.json()["rois"]] == ["r1"]
    req, _ = fake.calls[-1]
    assert (req.frame.version_id, req.frame.frame_id, req.commands[0].create_roi.roi.roi_id) == ("v1", "f1", "r1")
    err = client.post(SAVE + "?answer=brief", headers=ME, json=BODY).json()
    assert err["field"] == "answer" and err["error"] == "INVALID_ARGUMENT"


def test_openapi_is_the_same_with_the_lean_route() -> None:
    assert _app(True).openapi() == _app(False).openapi()


def test_metrics_name_the_save_route_by_its_template(clients: Any) -> None:
    template = "/api/v1/versions/{version_id}/frames/{frame_id}/save"
    before = HTTP_HANDLED.labels("POST", template, "200")._value.get()
    clients[True][0].post(SAVE, headers=ME, json=BODY)
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
