"""The tenancy route matrix: every operation of the gateway's /openapi.json and the live WebSocket, called by the
owner of team a's objects, a same-team annotator, reviewer and admin, a member and an admin of another team, and
nobody (a proxy-mode gateway without the proxy's headers). Each cell's answer is computed from the policy tables
(kernel GRANTS, gateway ROUTES, the owner_or rule; tests/tenancy.py), never listed per route.

Refused cells run first, on the shared objects, each write followed by the owner's snapshot (nothing refused is
stored); allowed cells run afterwards (destructive ones on fresh objects) and must pass authorization: any answer
but 401/403/404 (a 409 of a domain rule, e.g. a heartbeat on someone else's lease, proves it passed).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from annostream_cli.stack import LocalStack
from annostream_gateway.app import create_app
from annostream_gateway.policy import ROUTES

from ..tenancy import BY_KEY, CALLERS, Answer, Caller, Expect, expect
from .tenancy_http import World, build_world, ok
from .tenancy_routes import CASES, Call

pytestmark = pytest.mark.e2e

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(METHOD, path template) of every operation of an OpenAPI document, in its order."""
    return [(m.upper(), path) for path, item in spec["paths"].items() for m in item if m in HTTP_METHODS]


def websocket_routes(app: FastAPI) -> list[tuple[str, str]]:
    """("WEBSOCKET", path) of every WebSocket route of the app (they are not in /openapi.json)."""

    def walk(routes: list[Any]) -> Iterator[Any]:
        for r in routes:
            inner = getattr(r, "original_router", None)
            yield from walk(inner.routes) if inner is not None else [r]

    return [("WEBSOCKET", r.path) for r in walk(list(app.routes)) if type(r).__name__.endswith("WebSocketRoute")]


APP = create_app()  # the gateway's own app: its /openapi.json, generated without running it
OPERATIONS = [*operations(APP.openapi()), *websocket_routes(APP)]
EXPECTED: dict[tuple[tuple[str, str], str], Expect] = {
    (op, c.key): expect(ROUTES[op].effective, c, refs=CASES[op].refs if op in CASES else ())
    for op in OPERATIONS
    if op in ROUTES
    for c in CALLERS
}
REFUSED = [cell for cell, e in EXPECTED.items() if e.answer is not Answer.OK]
ALLOWED = [cell for cell, e in EXPECTED.items() if e.answer is Answer.OK]


def cell_id(cell: tuple[tuple[str, str], str]) -> str:
    (method, path), caller = cell
    return f"{method} {path} as {caller}"


@pytest.fixture(scope="module")
def world(system: LocalStack) -> Iterator[World]:
    with httpx.Client(base_url=system.url, timeout=30) as http:
        yield build_world(http, Path(system.env["ANNOSTREAM_MEDIA_ROOTS"]), uuid.uuid4().hex[:8])


@pytest.fixture(scope="module")
def proxy(proxy_gateway: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=proxy_gateway, timeout=30) as c:
        yield c


def send(w: World, proxy: httpx.Client, caller: Caller, call: Call) -> tuple[int, Any]:
    """The status and JSON body of `call` by `caller` (nobody goes through the proxy-mode gateway)."""
    client = proxy if caller.side is None else w.http
    if call.method == "WEBSOCKET":
        url = str(client.base_url).replace("http://", "ws://", 1) + call.path + "?" + urlencode(call.params)
        try:
            with connect(url, additional_headers=w.headers(caller), open_timeout=30) as ws:
                return 101, json.loads(ws.recv(timeout=30))
        except InvalidStatus as refused:
            return refused.response.status_code, json.loads(refused.response.body or b"{}")
    r = client.request(call.method, call.path, params=call.params, json=call.json, headers=w.headers(caller))
    is_json = r.headers.get("content-type", "").startswith("application/json")
    return r.status_code, r.json() if r.content and is_json else None


def check(status: int, body: Any, want: Expect, what: str) -> None:
    """The answer is the one the policy gives."""
    where = f"{what}: expected {want}, got {status} {body}"
    if want.answer is Answer.OK:
        assert status < 300 or status == 409, where
        if status == 101:
            assert body["type"] == "subscribed", where
        return
    code = {Answer.UNAUTHENTICATED: 401, Answer.NOT_FOUND: 404, Answer.DENIED: 403}[want.answer]
    assert status == code, where
    assert body["error"] == {401: "UNAUTHENTICATED", 404: "NOT_FOUND", 403: "PERMISSION_DENIED"}[code], where
    if want.permission is not None:
        assert body["details"]["permission"] == want.permission.value, where
        assert want.permission.value in body["message"], where


def with_unknown_ids(w: World, call: Call) -> tuple[Call, dict[str, str]]:
    """The same call with every id of team a's objects replaced by an unknown one; and fake → real."""
    real = {v: f"{v}-unknown" for v in (*w.ids.values(), w.lease)}
    text = json.dumps([call.path, call.params, call.json])
    for r, fake in real.items():
        text = text.replace(r, fake)
    path, params, body = json.loads(text)
    return Call(call.method, path, params, body), {fake: r for r, fake in real.items()}


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The snapshot entries that differ: path → (before, after)."""
    return {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}


@pytest.mark.parametrize(("op", "who"), REFUSED, ids=list(map(cell_id, REFUSED)))
def test_a_refused_request_gets_the_policy_answer_like_an_unknown_id_and_stores_nothing(
    world: World, proxy: httpx.Client, op: tuple[str, str], who: str
) -> None:
    caller, want = BY_KEY[who], EXPECTED[(op, who)]
    call = CASES[op].build(world, caller, False)
    write = call.method not in ("GET", "WEBSOCKET")
    before = (world.last_snapshot or world.snapshot()) if write else {}
    status, body = send(world, proxy, caller, call)
    check(status, body, want, cell_id((op, who)))
    if want.answer is Answer.NOT_FOUND:  # another team's object answers exactly like an unknown id
        fake_call, to_real = with_unknown_ids(world, call)
        fake_status, fake_body = send(world, proxy, caller, fake_call)
        message = fake_body["message"]
        for fake, real in to_real.items():
            message = message.replace(fake, real)
        assert (fake_status, fake_body["error"], fake_body["field"], message) == (
            status,
            body["error"],
            body["field"],
            body["message"],
        )
    if write:
        world.last_snapshot = after = world.snapshot()  # the next refused write starts from it
        assert not changed(before, after), f"a refused {cell_id((op, who))} changed team a's objects"


@pytest.mark.parametrize(("op", "who"), ALLOWED, ids=list(map(cell_id, ALLOWED)))
def test_an_allowed_request_passes_authorization(
    world: World, proxy: httpx.Client, op: tuple[str, str], who: str
) -> None:
    case = CASES[op]
    status, body = send(world, proxy, BY_KEY[who], case.build(world, BY_KEY[who], case.destructive))
    check(status, body, EXPECTED[(op, who)], cell_id((op, who)))


def test_every_operation_of_the_running_gateway_is_classified_and_called_by_the_matrix(system: LocalStack) -> None:
    running = operations(ok(httpx.get(f"{system.url}/openapi.json", timeout=30)))
    assert running == operations(APP.openapi())  # the matrix is generated from what the gateway serves
    served = {*running, *websocket_routes(APP)}
    assert not served - set(ROUTES), "operations nobody classified in annostream_gateway.policy.ROUTES"
    assert not set(ROUTES) - served, "ROUTES names operations the gateway no longer serves"
    assert set(CASES) == set(ROUTES), "every classified operation needs a request in tenancy_routes.CASES"
    assert len(EXPECTED) == len(ROUTES) * len(CALLERS)


def test_lists_show_another_team_none_of_team_a_objects(world: World) -> None:
    mine = {world.ids["dataset"], world.ids["scratch"], world.ids["task"]}
    for who in ("outsider", "outsider_admin", "owner", "reviewer"):
        h = world.headers(BY_KEY[who])
        datasets = ok(world.http.get("/api/v1/datasets", params={"page_size": 500}, headers=h))["datasets"]
        tasks = ok(world.http.get("/api/v1/tasks", params={"page_size": 500, "status": "all"}, headers=h))["tasks"]
        by_dataset = ok(world.http.get("/api/v1/tasks", params={"dataset_id": world.ids["dataset"]}, headers=h))
        reviews = ok(world.http.get("/api/v1/tasks", params={"my_reviews": "true", "status": "all"}, headers=h))
        assert {t["task_id"] for t in reviews["tasks"]} <= {t["task_id"] for t in tasks}, who
        seen = {d["dataset_id"] for d in datasets} | {t["task_id"] for t in tasks}
        if BY_KEY[who].side == "b":
            assert not seen & mine, (who, seen & mine)
            assert by_dataset["tasks"] == [] and by_dataset["total"] == 0
            assert {t["team"] for t in tasks} <= {world.team_b}
            for d in datasets:  # its own, or team a's that an admin of team a shared with it
                assert d["team"] == world.team_b or world.team_b in d["shared_with"], d
        else:
            assert mine <= seen, (who, mine - seen)
            assert {d["team"] for d in datasets} == {world.team_a}


def test_the_live_socket_of_a_callers_own_frame_refuses_another_teams_task(world: World, proxy: httpx.Client) -> None:
    outsider = BY_KEY["outsider"]
    h = world.headers(outsider)
    ds = ok(world.http.post("/api/v1/datasets", json={"name": f"own-{world.suffix}"}, headers=h), 201)
    v = ok(world.http.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}, headers=h), 201)
    path = f"/api/v1/live/versions/{v['version_id']}/frames/f000"
    status, body = send(world, proxy, outsider, Call("WEBSOCKET", path))
    assert (status, body["type"]) == (101, "subscribed")
    status, body = send(world, proxy, outsider, Call("WEBSOCKET", path, {"task_id": world.ids["task"]}))
    assert (status, body["error"], body["field"]) == (404, "NOT_FOUND", "task_id"), body
