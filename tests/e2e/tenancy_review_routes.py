"""Requests of the review routes for the HTTP tenancy matrix, against team a's task (its frame f000).

Review leases in the paths are unknown ids: authorization comes first, so a refused caller gets the policy's
answer and an allowed one 409 ("not held"), which the matrix counts as passed.
"""

from __future__ import annotations

from typing import Any

from ..tenancy import Caller
from .tenancy_http import World, ok

T = "/api/v1/tasks/{task_id}"
LEASE = T + "/review-leases/{lease_id}"


def _comment(w: World) -> str:
    """A comment of the owner on the task's frame f000 (made once per world)."""
    if "comment" not in w.ids:
        path = T.format(task_id=w.ids["task"]) + "/frames/f000/comments"
        w.ids["comment"] = ok(w.as_owner("POST", path, json={"text": "look here", "pinned": True, "x": 1, "y": 2}))[
            "comment_id"
        ]
    return w.ids["comment"]


def review_route_cases(case: Any, call: Any) -> dict[tuple[str, str], Any]:
    """(method, path template) → the matrix's Case (Case and Call are the caller's, to keep one definition)."""

    def on_task(method: str, suffix: str, body: Any = None) -> Any:
        return case(lambda w, _c, _f: call(method, T.format(task_id=w.ids["task"]) + suffix, json=body))

    def on_lease(action: str, body: Any = None) -> Any:
        def build(w: World, _c: Caller, _f: bool) -> Any:
            return call("POST", LEASE.format(task_id=w.ids["task"], lease_id="rlease_not-held") + action, json=body)

        return case(build)

    def on_comment(action: str) -> Any:
        def build(w: World, _c: Caller, _f: bool) -> Any:
            return call("POST", T.format(task_id=w.ids["task"]) + f"/comments/{_comment(w)}/{action}")

        return case(build)

    return {
        ("GET", T + "/review-settings"): on_task("GET", "/review-settings"),
        ("PUT", T + "/review-settings"): on_task("PUT", "/review-settings", {"mode": "off"}),
        ("POST", T + "/next-review"): on_task("POST", "/next-review"),
        ("POST", LEASE + "/accept"): on_lease("/accept"),
        ("POST", LEASE + "/reject"): on_lease("/reject", {"reason": "blurry"}),
        ("POST", LEASE + "/release"): on_lease("/release"),
        ("POST", T + "/frames/{frame_id}/undo-decision"): on_task("POST", "/frames/f000/undo-decision"),
        ("GET", T + "/frames/{frame_id}/review"): on_task("GET", "/frames/f000/review"),
        ("GET", T + "/frames/{frame_id}/history"): on_task("GET", "/frames/f000/history"),
        ("POST", T + "/frames/{frame_id}/comments"): on_task("POST", "/frames/f000/comments", {"text": "a note"}),
        ("POST", T + "/comments/{comment_id}/resolve"): on_comment("resolve"),
        ("POST", T + "/comments/{comment_id}/reopen"): on_comment("reopen"),
        ("GET", T + "/quality"): on_task("GET", "/quality"),
    }
