"""Team a's objects for the HTTP tenancy tests, made through the gateway by their owner, the callers' headers, and a
snapshot of everything the owner reads (to prove that a refused write stored nothing)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..tenancy import BY_KEY, Caller, closed_url

OWNER, ADMIN = BY_KEY["owner"], BY_KEY["admin"]  # a webhook is its team admins' (ADMINISTER)
FRAMES = 5


def ok(resp: httpx.Response, status: int = 200) -> Any:
    """The JSON of a response that must have `status`."""
    assert resp.status_code == status, (resp.request.method, resp.request.url, resp.status_code, resp.text)
    return resp.json() if resp.content else None


def eventually(fn: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Retry `fn` until it returns a truthy value (events reach other services asynchronously)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        if last := fn():
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def read_all(http: httpx.Client, headers: dict[str, str], paths: list[str]) -> dict[str, Any]:
    """(status, JSON body) of a GET of each path, asked concurrently."""
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda p: http.get(p, headers=headers), paths))
    return {p: (r.status_code, r.json()) for p, r in zip(paths, answers, strict=True)}


def frame_doc(frame_id: str, uri: str, *, roi: bool = False) -> dict[str, Any]:
    """A 640x480 frame with one source (and one labelled rectangle with `roi`)."""
    doc: dict[str, Any] = {"id": frame_id, "sources": [{"id": "cam", "uri": uri, "width": 640, "height": 480}]}
    if roi:
        doc["rois"] = [{"roi_id": "r1", "type": "rectangle", "points": [[10, 10], [50, 40]], "labels": ["car"]}]
    return doc


@dataclass
class World:
    """Team a's dataset, a Published version with frames (f001 has a ROI), a root Draft, a task on the Published
    version whose child version has an edited frame (f000), the owner's lease on that task, and a scratch
    dataset for the fresh objects that allowed destructive requests consume."""

    http: httpx.Client  # the dev-mode gateway
    suffix: str
    media: Path
    ids: dict[str, str] = field(default_factory=dict)
    lease: str = ""
    last_snapshot: dict[str, Any] = field(default_factory=dict)  # the owner's view after the last refused write

    @property
    def team_a(self) -> str:
        return f"a-{self.suffix}"

    @property
    def team_b(self) -> str:
        return f"b-{self.suffix}"

    def headers(self, caller: Caller, **extra: str) -> dict[str, str]:
        """Dev-mode headers of `caller` (none for nobody)."""
        if caller.side is None or caller.role is None:
            return dict(extra)
        team = self.team_a if caller.side == "a" else self.team_b
        user = caller.user(self.suffix)
        return {"X-Annostream-User": user, "X-Annostream-Team": team, "X-Annostream-Role": caller.role.value, **extra}

    def as_owner(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A request of the owner."""
        return self.http.request(method, path, headers=self.headers(OWNER), **kw)

    def as_admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A request of team a's admin (webhooks are theirs)."""
        return self.http.request(method, path, headers=self.headers(ADMIN), **kw)

    def media_uri(self, frame_id: str) -> str:
        return f"file://{self.media}/{frame_id}.png"

    # ---- fresh objects for allowed destructive requests ---------------------------------------------------

    def fresh_dataset(self) -> str:
        """A new empty dataset of team a."""
        name = f"fresh-{uuid.uuid4().hex[:8]}"
        return str(ok(self.as_owner("POST", "/api/v1/datasets", json={"name": name}), 201)["dataset_id"])

    def fresh_draft(self) -> str:
        """A new root Draft in the scratch dataset."""
        path = f"/api/v1/datasets/{self.ids['scratch']}/versions"
        return str(ok(self.as_owner("POST", path, json={"name": f"d-{uuid.uuid4().hex[:8]}"}), 201)["version_id"])

    def fresh_task(self, *, completed: bool = False) -> str:
        """A new task of the owner on the scratch dataset's Draft (Completed with `completed`)."""
        body = {"name": f"t-{uuid.uuid4().hex[:8]}", "dataset_version_id": self.ids["scratch_draft"]}
        task_id = str(ok(self.as_owner("POST", "/api/v1/tasks", json=body), 201)["task_id"])
        if completed:
            ok(self.as_owner("POST", f"/api/v1/tasks/{task_id}/complete"))
        return task_id

    def fresh_webhook(self) -> str:
        """A new webhook of team a (for events nobody sends in the matrix)."""
        body = {"url": closed_url(), "event_types": ["DatasetRenamed"]}
        return str(ok(self.as_admin("POST", "/api/v1/webhooks", json=body), 201)["webhook_id"])

    def frame_version(self, version_id: str, frame_id: str) -> int:
        """The frame's current stream version (read as the owner)."""
        return int(ok(self.as_owner("GET", f"/api/v1/versions/{version_id}/frames/{frame_id}"))["version"])

    # ---- what the owner reads ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Every read of team a's objects as the owner: (status, body) per path."""
        i = self.ids
        frame = f"/api/v1/versions/{i['child']}/frames/f000"
        paths = [
            f"/api/v1/datasets/{i['dataset']}",
            f"/api/v1/datasets/{i['dataset']}/versions",
            *(f"/api/v1/versions/{i[v]}" for v in ("published", "draft", "child")),
            *(f"/api/v1/versions/{i[v]}/stats" for v in ("published", "draft", "child")),
            f"/api/v1/versions/{i['draft']}/frames",
            frame,
            frame + "/events",
            f"/api/v1/versions/{i['published']}/frames/f001",
            f"/api/v1/tasks/{i['task']}",
            f"/api/v1/tasks/{i['task']}/progress",
            "/api/v1/datasets?page_size=500",
            "/api/v1/tasks?page_size=500&status=all",
        ]
        hook = f"/api/v1/webhooks/{i['webhook']}"
        admin_paths = [hook, hook + "/deliveries", "/api/v1/webhooks?page_size=500"]
        return {
            **read_all(self.http, self.headers(OWNER), paths),
            **{f"admin {p}": got for p, got in read_all(self.http, self.headers(ADMIN), admin_paths).items()},
        }


def build_world(http: httpx.Client, media_root: Path, suffix: str) -> World:
    """Make team a's objects as the owner and wait until every service knows them (so the snapshot is stable)."""
    media = media_root / f"tenancy-{suffix}"
    media.mkdir(parents=True, exist_ok=True)
    w = World(http, suffix, media)
    for n in range(FRAMES):
        (media / f"f{n:03d}.png").write_bytes(b"\x89PNG\r\n\x1a\n tenancy")
    ds = ok(w.as_owner("POST", "/api/v1/datasets", json={"name": f"tenancy-{suffix}"}), 201)["dataset_id"]
    versions = f"/api/v1/datasets/{ds}/versions"
    published = ok(w.as_owner("POST", versions, json={"name": "published"}), 201)["version_id"]
    frames = [frame_doc(f"f{n:03d}", w.media_uri(f"f{n:03d}"), roi=n == 1) for n in range(FRAMES)]
    ok(w.as_owner("POST", f"/api/v1/versions/{published}/frames", json={"frames": frames}))
    ok(w.as_owner("POST", f"/api/v1/versions/{published}/publish"))
    draft = ok(w.as_owner("POST", versions, json={"name": "draft"}), 201)["version_id"]
    ok(w.as_owner("POST", f"/api/v1/versions/{draft}/frames", json={"frames": [frame_doc("d000", "file:///d.png")]}))
    scratch = ok(w.as_owner("POST", "/api/v1/datasets", json={"name": f"scratch-{suffix}"}), 201)["dataset_id"]
    scratch_draft = ok(w.as_owner("POST", f"/api/v1/datasets/{scratch}/versions", json={"name": "s"}), 201)
    body = {"name": f"task-{suffix}", "dataset_version_id": published, "label_set": ["car", "person"]}
    task = ok(w.as_owner("POST", "/api/v1/tasks", json=body), 201)
    w.ids.update(
        dataset=ds,
        published=published,
        draft=draft,
        scratch=scratch,
        scratch_draft=scratch_draft["version_id"],
        task=task["task_id"],
        child=task["annotated_version_id"],
    )
    child, tid = w.ids["child"], w.ids["task"]
    # A webhook of team a for the frame label the save below adds: one delivery, dead-lettered (nobody listens).
    hook = {"url": closed_url(), "event_types": ["FrameLabelAdded"]}
    w.ids["webhook"] = ok(w.as_admin("POST", "/api/v1/webhooks", json=hook), 201)["webhook_id"]
    eventually(lambda: w.as_owner("GET", f"/api/v1/versions/{child}/frames/f000").status_code == 200, "the child")
    save = {"expected_version": w.frame_version(child, "f000"), "commands": [{"add_frame_label": {"label": "edited"}}]}
    ok(w.as_owner("POST", f"/api/v1/versions/{child}/frames/f000/save", json=save))

    def plan_ready() -> bool:
        r = w.as_owner("GET", f"/api/v1/tasks/{tid}/progress")
        return r.status_code == 200 and r.json()["total"] == FRAMES

    eventually(plan_ready, "the iterator's plan of the task")
    w.lease = ok(w.as_owner("POST", f"/api/v1/tasks/{tid}/next-frame"))["lease_id"]
    settled = [
        (f"/api/v1/datasets/{ds}", lambda b: b["task_count"] == 1),
        (f"/api/v1/versions/{child}/stats", lambda b: b["frame_labels"].get("edited") == 1 and b["roi_count"] == 1),
        (f"/api/v1/tasks/{tid}", lambda b: b["progress"]["known"] and b["annotated_version"] is not None),
        (f"/api/v1/versions/{draft}/frames/d000", lambda _b: True),
    ]
    for path, done in settled:
        eventually(lambda p=path, d=done: (r := w.as_owner("GET", p)).status_code == 200 and d(r.json()), path)

    def delivery_finished() -> str:
        found = ok(w.as_admin("GET", f"/api/v1/webhooks/{w.ids['webhook']}/deliveries"))["deliveries"]
        return str(found[0]["delivery_id"]) if found and found[0]["state"] != "pending" else ""

    w.ids["delivery"] = eventually(delivery_finished, "the webhook's delivery dead-lettered")
    return w
