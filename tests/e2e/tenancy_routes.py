"""A concrete, valid request for every route of the HTTP API (and the live WebSocket) against team a's objects.

`fresh` is true for an allowed cell of a destructive route: the request then consumes a new object of the owner
(a dataset, a Draft, a task, the caller's own lease) so the shared objects survive for the other cells. Refused
cells always aim at the shared objects, so a refusal that was not one would show in the owner's snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from annostream_kernel.policy import Permission

from ..tenancy import Caller, closed_url
from .tenancy_http import World, frame_doc, ok
from .tenancy_review_routes import review_route_cases

V = "/api/v1/versions/{version_id}"
F = V + "/frames/{frame_id}"
T = "/api/v1/tasks/{task_id}"
D = "/api/v1/datasets/{dataset_id}"
W = "/api/v1/webhooks/{webhook_id}"


@dataclass(frozen=True)
class Call:
    """One HTTP request (method WEBSOCKET: the upgrade of the live socket)."""

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None


Build = Callable[[World, Caller, bool], Call]


@dataclass(frozen=True)
class Case:
    """How to call a route; `refs`: what a team-target request also needs on the team a object it names."""

    build: Build
    refs: tuple[Permission, ...] = ()
    destructive: bool = False


def _get(template: str, **params: Any) -> Build:
    """A read of team a's objects: the template filled from the world's ids."""

    def build(w: World, _c: Caller, _fresh: bool) -> Call:
        return Call("GET", fill(template, w), dict(params))

    return build


def fill(template: str, w: World, **ids: str) -> str:
    """The template with team a's ids: the task's child version and its edited frame, the dataset, the task."""
    values = {
        "version_id": w.ids["child"],
        "frame_id": "f000",
        "dataset_id": w.ids["dataset"],
        "task_id": w.ids["task"],
        "webhook_id": w.ids["webhook"],
        "delivery_id": w.ids["delivery"],
    }
    values.update(ids)
    values["lease_id"] = ids.get("lease_id", w.lease)
    return template.format(**values)


def _save(w: World, _c: Caller, _fresh: bool) -> Call:
    body = {
        "expected_version": w.frame_version(w.ids["child"], "f000"),
        "commands": [{"add_frame_label": {"label": "x"}}],
    }
    return Call("POST", fill(F + "/save", w), json=body)


def _revert(w: World, _c: Caller, _fresh: bool) -> Call:
    body = {"to_version": 0, "expected_version": w.frame_version(w.ids["child"], "f000")}
    return Call("POST", fill(F + "/revert", w), json=body)


def _on_task(suffix: str, *, completed: bool = False, method: str = "POST") -> Build:
    def build(w: World, _c: Caller, fresh: bool) -> Call:
        task_id = w.fresh_task(completed=completed) if fresh else w.ids["task"]
        return Call(method, fill(T + suffix, w, task_id=task_id))

    return build


def _on_dataset(suffix: str, method: str, body: Callable[[World], Any] = lambda _w: None) -> Build:
    def build(w: World, _c: Caller, fresh: bool) -> Call:
        dataset_id = w.fresh_dataset() if fresh else w.ids["dataset"]
        return Call(method, fill(D + suffix, w, dataset_id=dataset_id), json=body(w))

    return build


def _on_draft(suffix: str, method: str) -> Build:
    def build(w: World, _c: Caller, fresh: bool) -> Call:
        version_id = w.fresh_draft() if fresh else w.ids["draft"]
        return Call(method, fill(V + suffix, w, version_id=version_id))

    return build


def _release(w: World, c: Caller, fresh: bool) -> Call:
    lease = w.lease
    if fresh:  # the caller's own lease (the owner's is the shared one: it gets it back from next-frame)
        lease = ok(w.http.post(fill(T + "/next-frame", w), headers=w.headers(c)))["lease_id"]
    return Call("POST", fill(T + "/leases/{lease_id}/release", w, lease_id=lease), json={"done": False})


def _import(w: World, _c: Caller, _fresh: bool) -> Call:
    frames = [frame_doc("imported", "file:///imported.png")]
    return Call("POST", fill(V + "/frames", w, version_id=w.ids["draft"]), json={"frames": frames})


def _new_task(w: World, _c: Caller, _fresh: bool) -> Call:
    return Call("POST", "/api/v1/tasks", json={"name": f"new-{w.suffix}", "dataset_version_id": w.ids["published"]})


def _media(w: World, _c: Caller, _fresh: bool) -> Call:
    params = {"uri": w.media_uri("f000"), "version_id": w.ids["child"], "frame_id": "f000"}
    return Call("GET", "/api/v1/media", params)


def _on_webhook(method: str, body: Any = None) -> Build:
    def build(w: World, _c: Caller, fresh: bool) -> Call:
        webhook_id = w.fresh_webhook() if fresh else w.ids["webhook"]
        return Call(method, fill(W, w, webhook_id=webhook_id), json=body)

    return build


def _simple(method: str, path: str, json: Callable[[World], Any] = lambda _w: None) -> Build:
    def build(w: World, _c: Caller, _fresh: bool) -> Call:
        return Call(method, fill(path, w), json=json(w))

    return build


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/healthz"): Case(_get("/healthz")),
    ("GET", "/readyz"): Case(_get("/readyz")),
    ("GET", "/metrics"): Case(_get("/metrics")),
    ("GET", "/api/v1/me"): Case(_get("/api/v1/me")),
    ("POST", "/api/v1/datasets"): Case(_simple("POST", "/api/v1/datasets", lambda w: {"name": f"n-{w.suffix}"})),
    ("GET", "/api/v1/datasets"): Case(_get("/api/v1/datasets", page_size=500)),
    ("GET", D): Case(_get(D)),
    ("PATCH", D): Case(_on_dataset("", "PATCH", lambda w: {"name": f"renamed-{w.suffix}"}), destructive=True),
    ("DELETE", D): Case(_on_dataset("", "DELETE"), destructive=True),
    ("PUT", D + "/sharing"): Case(_on_dataset("/sharing", "PUT", lambda w: {"teams": [w.team_b]}), destructive=True),
    ("POST", D + "/versions"): Case(_simple("POST", D + "/versions", lambda _w: {"name": "another"})),
    ("GET", D + "/versions"): Case(_get(D + "/versions")),
    ("GET", V): Case(_get(V)),
    ("DELETE", V): Case(_on_draft("", "DELETE"), destructive=True),
    ("POST", V + "/publish"): Case(_on_draft("/publish", "POST"), destructive=True),
    ("GET", V + "/stats"): Case(_get(V + "/stats")),
    ("GET", V + "/frames"): Case(_get(V + "/frames")),
    ("POST", V + "/frames"): Case(_import),
    ("POST", "/api/v1/tasks"): Case(_new_task, refs=(Permission.READ,)),
    ("GET", "/api/v1/tasks"): Case(_get("/api/v1/tasks", page_size=500, status="all")),
    ("GET", T): Case(_get(T)),
    ("DELETE", T): Case(_on_task("", method="DELETE"), destructive=True),
    ("POST", T + "/complete"): Case(_on_task("/complete"), destructive=True),
    ("POST", T + "/reopen"): Case(_on_task("/reopen", completed=True), destructive=True),
    ("PUT", T + "/label-colors"): Case(
        _simple("PUT", T + "/label-colors", lambda _w: {"label": "car", "color": "#123456"})
    ),
    ("POST", T + "/next-frame"): Case(_simple("POST", T + "/next-frame")),
    ("POST", T + "/leases/{lease_id}/heartbeat"): Case(_simple("POST", T + "/leases/{lease_id}/heartbeat")),
    ("POST", T + "/leases/{lease_id}/release"): Case(_release, destructive=True),
    ("GET", T + "/navigate"): Case(_get(T + "/navigate", action="jump", from_position=0, steps=1)),
    ("GET", T + "/progress"): Case(_get(T + "/progress")),
    ("GET", F): Case(_get(F)),
    ("POST", F + "/save"): Case(_save),
    ("GET", F + "/events"): Case(_get(F + "/events")),
    ("GET", F + "/at"): Case(_get(F + "/at", version=1)),
    ("POST", F + "/revert"): Case(_revert),
    ("POST", F + "/undo"): Case(_simple("POST", F + "/undo", lambda _w: {})),
    ("POST", F + "/redo"): Case(_simple("POST", F + "/redo", lambda _w: {})),
    ("GET", V + "/export"): Case(_get(V + "/export", format="jsonl")),
    ("GET", T + "/export"): Case(_get(T + "/export", format="coco")),
    ("GET", "/api/v1/media"): Case(_media),
    ("POST", "/api/v1/webhooks"): Case(
        _simple("POST", "/api/v1/webhooks", lambda _w: {"url": closed_url(), "event_types": ["DatasetRenamed"]})
    ),
    ("GET", "/api/v1/webhooks"): Case(_get("/api/v1/webhooks", page_size=500)),
    ("GET", W): Case(_get(W)),
    ("PATCH", W): Case(_on_webhook("PATCH", {"description": "changed"}), destructive=True),
    ("DELETE", W): Case(_on_webhook("DELETE"), destructive=True),
    ("GET", W + "/deliveries"): Case(_get(W + "/deliveries")),
    ("POST", W + "/deliveries/{delivery_id}/resend"): Case(_simple("POST", W + "/deliveries/{delivery_id}/resend")),
    ("WEBSOCKET", "/api/v1/live/versions/{version_id}/frames/{frame_id}"): Case(lambda w, _c, _f: websocket_call(w)),
}
CASES.update(review_route_cases(Case, Call))
"""(HTTP method, path template) → how the matrix calls it."""


def websocket_call(w: World) -> Call:
    """The live socket of the edited frame, with the task's label colours."""
    path = fill("/api/v1/live/versions/{version_id}/frames/{frame_id}", w)
    return Call("WEBSOCKET", path, {"task_id": w.ids["task"]})
