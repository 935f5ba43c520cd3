"""Sharing a dataset read-only with another team, over HTTP: the other team reads it, annotates a child of its
Published version through a task of its own, and edits nothing of the original (answers from the policy tables);
unsharing hides the dataset again but leaves the other team's child version to it. And a user in two teams behind
the proxy: lists follow the acting team, reads by id follow every membership, roles stay per team."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from annostream_cli.stack import LocalStack
from annostream_gateway.policy import ROUTES

from ..tenancy import BY_KEY, Answer, expect
from .tenancy_http import eventually, frame_doc, ok, read_all

pytestmark = pytest.mark.e2e

V = "/api/v1/versions/{version_id}"
F = V + "/frames/{frame_id}"
D = "/api/v1/datasets/{dataset_id}"


@dataclass
class Shared:
    """Team a's dataset (a Published version and a Draft, both with frames) and the callers' headers."""

    http: httpx.Client
    suffix: str
    ids: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        c = BY_KEY[who]
        assert c.role is not None
        team = f"{c.side}-{self.suffix}"
        return {"X-Annostream-User": c.user(self.suffix), "X-Annostream-Team": team, "X-Annostream-Role": c.role.value}

    def call(self, who: str, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.http.request(method, path, headers=self.headers(who), **kw)

    def snapshot(self) -> dict[str, Any]:
        """Team a's view of everything of the dataset."""
        ds, pub, draft = self.ids["dataset"], self.ids["published"], self.ids["draft"]
        paths = [f"/api/v1/datasets/{ds}", f"/api/v1/datasets/{ds}/versions"]
        for v, frame in ((pub, "f1"), (draft, "d0")):
            paths += [f"/api/v1/versions/{v}", f"/api/v1/versions/{v}/stats", f"/api/v1/versions/{v}/frames"]
            paths += [f"/api/v1/versions/{v}/frames/{frame}", f"/api/v1/versions/{v}/frames/{frame}/events"]
        return read_all(self.http, self.headers("admin"), paths)


@pytest.fixture(scope="module")
def shared(system: LocalStack) -> Iterator[Shared]:
    with httpx.Client(base_url=system.url, timeout=30) as http:
        w = Shared(http, uuid.uuid4().hex[:8], {})
        ds = ok(w.call("admin", "POST", "/api/v1/datasets", json={"name": "shared"}), 201)["dataset_id"]
        pub = ok(w.call("admin", "POST", f"/api/v1/datasets/{ds}/versions", json={"name": "pub"}), 201)["version_id"]
        frames = [frame_doc(f"f{n}", f"file:///f{n}.png", roi=n == 1) for n in range(3)]
        ok(w.call("admin", "POST", f"/api/v1/versions/{pub}/frames", json={"frames": frames}))
        ok(w.call("admin", "POST", f"/api/v1/versions/{pub}/publish"))
        draft = ok(w.call("admin", "POST", f"/api/v1/datasets/{ds}/versions", json={"name": "dr"}), 201)["version_id"]
        ok(w.call("admin", "POST", f"/api/v1/versions/{draft}/frames", json={"frames": [frame_doc("d0", "file:///d")]}))
        w.ids.update(dataset=ds, published=pub, draft=draft)
        for v, frame in ((pub, "f1"), (draft, "d0")):
            path = f"/api/v1/versions/{v}/frames/{frame}"
            eventually(lambda p=path: w.call("admin", "GET", p).status_code == 200, path)
        yield w


def share(w: Shared, *teams: str) -> None:
    body = {"teams": [f"{t}-{w.suffix}" for t in teams]}
    assert ok(w.call("admin", "PUT", f"/api/v1/datasets/{w.ids['dataset']}/sharing", json=body))["shared_with"] == [
        f"{t}-{w.suffix}" for t in teams
    ]


def reads(w: Shared) -> list[str]:
    """What the other team reads once the dataset is shared: dataset, tree, versions, stats, frames, events."""
    ds, pub = w.ids["dataset"], w.ids["published"]
    return [
        f"/api/v1/datasets/{ds}",
        f"/api/v1/datasets/{ds}/versions",
        f"/api/v1/versions/{pub}",
        f"/api/v1/versions/{pub}/stats",
        f"/api/v1/versions/{pub}/frames",
        f"/api/v1/versions/{pub}/frames/f1",
        f"/api/v1/versions/{pub}/frames/f1/events",
        f"/api/v1/versions/{w.ids['draft']}/frames/d0",
    ]


def edits(w: Shared) -> list[tuple[str, str, dict[str, str], Any]]:
    """Every change of the original the other team tries: (method, template, ids, body)."""
    ds, pub, draft = w.ids["dataset"], w.ids["published"], w.ids["draft"]
    save = {"expected_version": 0, "commands": [{"add_frame_label": {"label": "stolen"}}]}
    revert = {"to_version": 0, "expected_version": 1}
    out: list[tuple[str, str, dict[str, str], Any]] = []
    for v, frame in ((pub, "f1"), (draft, "d0")):
        ref = {"version_id": v, "frame_id": frame}
        out += [("POST", F + "/save", ref, save), ("POST", F + "/revert", ref, revert)]
        out += [("POST", F + "/undo", ref, {}), ("POST", F + "/redo", ref, {})]
        out += [("POST", V + "/publish", ref, None), ("DELETE", V, ref, None)]
        out += [("POST", V + "/frames", ref, {"frames": [frame_doc("new", "file:///n.png")]})]
    out += [("PATCH", D, {"dataset_id": ds}, {"name": "taken"}), ("DELETE", D, {"dataset_id": ds}, None)]
    out += [("PUT", D + "/sharing", {"dataset_id": ds}, {"teams": []})]
    out += [("POST", D + "/versions", {"dataset_id": ds}, {"name": "root"})]
    return out


def test_a_shared_dataset_is_read_and_annotated_through_a_child_but_never_edited_and_unsharing_hides_it(
    shared: Shared,
) -> None:
    w, b = shared, "outsider"
    ds, pub = w.ids["dataset"], w.ids["published"]
    assert w.call(b, "GET", f"/api/v1/datasets/{ds}").status_code == 404  # not shared yet
    assert w.call(b, "POST", "/api/v1/tasks", json={"name": "early", "dataset_version_id": pub}).status_code == 404

    share(w, "b")
    for path in reads(w):  # the annotation service learns of the sharing from the datasets events
        eventually(lambda p=path: w.call(b, "GET", p).status_code == 200, f"team b reads {path}")
    listed = ok(w.call(b, "GET", "/api/v1/datasets"))["datasets"]
    assert [d["dataset_id"] for d in listed] == [ds] and listed[0]["team"] == f"a-{w.suffix}"
    in_place = w.call(b, "POST", "/api/v1/tasks", json={"name": "in place", "dataset_version_id": w.ids["draft"]})
    assert in_place.status_code == 403 and in_place.json()["details"]["permission"] == "annotate", in_place.text

    task = ok(w.call(b, "POST", "/api/v1/tasks", json={"name": "theirs", "dataset_version_id": pub}), 201)
    child = task["annotated_version_id"]
    assert task["team"] == f"b-{w.suffix}" and task["source_version_id"] == pub
    version = ok(w.call(b, "GET", f"/api/v1/versions/{child}"))
    assert (version["parent_version_id"], version["team"]) == (pub, f"b-{w.suffix}")
    eventually(lambda: w.call(b, "GET", f"/api/v1/tasks/{task['task_id']}/progress").json().get("total") == 3, "plan")
    lease = ok(w.call(b, "POST", f"/api/v1/tasks/{task['task_id']}/next-frame"))
    frame = lease["frame"]["frame_id"]
    assert lease["frame"]["version_id"] == child
    save = {"expected_version": 0, "commands": [{"add_frame_label": {"label": "theirs"}}]}
    saved = ok(w.call(b, "POST", f"/api/v1/versions/{child}/frames/{frame}/save", json=save))
    assert saved["frame"]["frame_labels"] == ["theirs"]
    assert w.call("admin", "GET", f"/api/v1/versions/{child}").status_code == 404  # team b's child is team b's

    counted = lambda: ok(w.call("admin", "GET", f"/api/v1/datasets/{ds}"))["task_count"] == 1  # noqa: E731
    eventually(counted, "the datasets service counting team b's task")
    before = w.snapshot()
    for who in ("outsider", "outsider_admin"):
        for method, template, ids, body in edits(w):
            want = expect(ROUTES[(method, template)].effective, BY_KEY[who], shared=True)
            assert want.answer is Answer.DENIED and want.permission is not None, (method, template, want)
            r = w.call(who, method, template.format(**ids), json=body)
            assert r.status_code == 403, (who, method, template, r.text)
            assert r.json()["details"]["permission"] == want.permission.value, (who, method, template, r.text)
    assert w.snapshot() == before, "a refused edit of the shared dataset changed it"

    share(w)  # unshare
    for path in reads(w):
        eventually(lambda p=path: w.call(b, "GET", p).status_code == 404, f"team b no longer reads {path}")
    assert ok(w.call(b, "GET", "/api/v1/datasets"))["datasets"] == []
    again = w.call(b, "POST", "/api/v1/tasks", json={"name": "late", "dataset_version_id": pub})
    assert again.status_code == 404 and again.json()["field"] == "dataset_version_id"
    mine = ok(w.call(b, "GET", f"/api/v1/versions/{child}/frames/{frame}"))  # its own child stays readable
    assert mine["frame_labels"] == ["theirs"] and mine["base"]["frame_id"] == frame
    assert ok(w.call(b, "GET", f"/api/v1/versions/{child}"))["team"] == f"b-{w.suffix}"
    assert ok(w.call(b, "GET", f"/api/v1/tasks/{task['task_id']}"))["annotated_version_id"] == child


def test_a_user_in_two_teams_lists_its_acting_team_reads_both_by_id_and_keeps_its_role_per_team(
    proxy_gateway: str,
) -> None:
    s = uuid.uuid4().hex[:8]
    a, b = f"a-{s}", f"b-{s}"
    made: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=proxy_gateway, timeout=30) as c:
        for team in (a, b):
            h = {"X-Auth-Request-User": f"maker-{team}", "X-Auth-Request-Groups": team}
            ds = ok(c.post("/api/v1/datasets", json={"name": f"of-{team}"}, headers=h), 201)
            v = ok(c.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}, headers=h), 201)
            body = {"name": f"task-{team}", "dataset_version_id": v["version_id"]}
            made[team] = {"dataset": ds, "version": v, "task": ok(c.post("/api/v1/tasks", json=body, headers=h), 201)}

        both = {"X-Auth-Request-User": f"dual-{s}", "X-Auth-Request-Groups": f"{a},{b}:admin"}
        for acting, other in ((a, b), (b, a)):
            h = {**both, "X-Annostream-Team": acting}
            datasets = ok(c.get("/api/v1/datasets", headers=h))["datasets"]
            tasks = ok(c.get("/api/v1/tasks", params={"status": "all"}, headers=h))["tasks"]
            assert [d["dataset_id"] for d in datasets] == [made[acting]["dataset"]["dataset_id"]]
            assert [t["task_id"] for t in tasks] == [made[acting]["task"]["task_id"]]
            theirs = made[other]
            for url in (
                f"/api/v1/datasets/{theirs['dataset']['dataset_id']}",
                f"/api/v1/versions/{theirs['version']['version_id']}",
                f"/api/v1/tasks/{theirs['task']['task_id']}",
            ):
                assert ok(c.get(url, headers=h))["team"] == other  # a member of both reads both by id
        created = ok(c.post("/api/v1/datasets", json={"name": "new"}, headers={**both, "X-Annostream-Team": a}), 201)
        assert created["team"] == a

        as_b = {**both, "X-Annostream-Team": b}  # an admin of b, an annotator of a: may not delete a's dataset
        refused = c.delete(f"/api/v1/datasets/{made[a]['dataset']['dataset_id']}", headers=as_b)
        assert refused.status_code == 403 and refused.json()["details"]["permission"] == "administer", refused.text
        assert c.delete(f"/api/v1/datasets/{created['dataset_id']}", headers=as_b).status_code == 403
        me = ok(c.get("/api/v1/me", headers=as_b))
        assert (me["team"], me["role"], [t["team"] for t in me["teams"]]) == (b, "admin", sorted([a, b]))

        stranger = c.get("/api/v1/datasets", headers={**both, "X-Annostream-Team": f"c-{s}"})
        assert stranger.status_code == 403 and stranger.json()["field"] == "X-Annostream-Team", stranger.text


def test_a_dataset_another_team_made_a_version_on_is_not_deleted_under_it(shared: Shared) -> None:
    # Team b's child of team a's shared Published version is team b's (and reads team a's frames): deleting the
    # dataset deleted it with team b's annotations, a write of team a into team b's object. Now refused, naming
    # neither the version nor the team; once team b deletes its version, team a deletes the dataset.
    w = Shared(shared.http, uuid.uuid4().hex[:8], {})
    ds = ok(w.call("admin", "POST", "/api/v1/datasets", json={"name": "forked"}), 201)["dataset_id"]
    pub = ok(w.call("admin", "POST", f"/api/v1/datasets/{ds}/versions", json={"name": "pub"}), 201)["version_id"]
    ok(w.call("admin", "POST", f"/api/v1/versions/{pub}/frames", json={"frames": [frame_doc("f0", "file:///f0")]}))
    ok(w.call("admin", "POST", f"/api/v1/versions/{pub}/publish"))
    w.ids["dataset"] = ds
    share(w, "b")
    body = {"name": "theirs", "parent_version_id": pub}
    child = ok(w.call("outsider", "POST", f"/api/v1/datasets/{ds}/versions", json=body), 201)["version_id"]
    path = f"/api/v1/versions/{child}/frames/f0"
    eventually(lambda: w.call("outsider", "GET", path).status_code == 200, path)
    save = {"expected_version": 0, "commands": [{"add_frame_label": {"label": "theirs"}}]}
    ok(w.call("outsider", "POST", f"{path}/save", json=save))

    refused = w.call("admin", "DELETE", f"/api/v1/datasets/{ds}")
    assert refused.status_code == 409 and refused.json()["field"] == "dataset_id", refused.text
    assert child not in refused.text and f"b-{w.suffix}" not in refused.text
    assert ok(w.call("outsider", "GET", f"/api/v1/versions/{child}"))["team"] == f"b-{w.suffix}"
    assert ok(w.call("outsider", "GET", path))["frame_labels"] == ["theirs"]
    assert ok(w.call("admin", "GET", f"/api/v1/datasets/{ds}"))["dataset_id"] == ds

    assert w.call("outsider", "DELETE", f"/api/v1/versions/{child}").status_code == 204
    assert w.call("admin", "DELETE", f"/api/v1/datasets/{ds}").status_code == 204


def test_a_refused_dataset_delete_names_only_the_owning_teams_tasks_and_counts_the_others(shared: Shared) -> None:
    # Team b's task on team a's shared Published version was named to team a (in the message and details.task_ids),
    # which cannot open it: "delete those tasks first" was advice team a could not follow. Now team a's own tasks
    # are named, the other teams' only counted, and each team is told what it has to do.
    w = Shared(shared.http, uuid.uuid4().hex[:8], {})
    ds = ok(w.call("admin", "POST", "/api/v1/datasets", json={"name": "used"}), 201)["dataset_id"]
    pub = ok(w.call("admin", "POST", f"/api/v1/datasets/{ds}/versions", json={"name": "pub"}), 201)["version_id"]
    ok(w.call("admin", "POST", f"/api/v1/versions/{pub}/frames", json={"frames": [frame_doc("f0", "file:///f0")]}))
    ok(w.call("admin", "POST", f"/api/v1/versions/{pub}/publish"))
    w.ids["dataset"] = ds
    share(w, "b")
    theirs = ok(w.call("outsider", "POST", "/api/v1/tasks", json={"name": "b", "dataset_version_id": pub}), 201)
    mine = ok(w.call("admin", "POST", "/api/v1/tasks", json={"name": "a", "dataset_version_id": pub}), 201)
    counted = lambda: ok(w.call("admin", "GET", f"/api/v1/datasets/{ds}"))["task_count"] == 2  # noqa: E731
    eventually(counted, "the datasets service counting both tasks")

    both = w.call("admin", "DELETE", f"/api/v1/datasets/{ds}")
    assert both.status_code == 409 and both.json()["field"] == "dataset_id", both.text
    assert theirs["task_id"] not in both.text and f"b-{w.suffix}" not in both.text
    assert both.json()["details"] == {"task_ids": [mine["task_id"]], "other_teams_tasks": 1}, both.text
    assert mine["task_id"] in both.json()["message"] and "1 task(s) of other teams" in both.json()["message"]

    assert w.call("admin", "DELETE", f"/api/v1/tasks/{mine['task_id']}").status_code == 204
    eventually(lambda: ok(w.call("admin", "GET", f"/api/v1/datasets/{ds}"))["task_count"] == 1, "task a forgotten")
    only_theirs = w.call("admin", "DELETE", f"/api/v1/datasets/{ds}")
    assert only_theirs.status_code == 409 and theirs["task_id"] not in only_theirs.text, only_theirs.text
    assert only_theirs.json()["details"] == {"task_ids": [], "other_teams_tasks": 1}, only_theirs.text
    assert "those teams delete them first" in only_theirs.json()["message"]

    assert w.call("outsider", "DELETE", f"/api/v1/tasks/{theirs['task_id']}").status_code == 204
    eventually(lambda: ok(w.call("admin", "GET", f"/api/v1/datasets/{ds}"))["task_count"] == 0, "task b forgotten")
    assert w.call("outsider", "DELETE", f"/api/v1/versions/{theirs['annotated_version_id']}").status_code == 204
    assert w.call("admin", "DELETE", f"/api/v1/datasets/{ds}").status_code == 204
