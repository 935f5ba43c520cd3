"""Review through the gateway and the SDK, the parts people read: a frame's history shows review decisions beside its
edits (who, when, the reason), with the reviewer's latest decision undoable from it; review settings given at
creation; the tasks list's "My reviews" filter."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest

from annostream_cli.stack import LocalStack
from annostream_sdk import Client
from annostream_sdk.commands import CreateRoi, rectangle

from .sdk_helpers import sample_frames, unknown_fields

pytestmark = pytest.mark.e2e


def _task(owner: Client, n: int, review: str = "all") -> tuple[str, str]:
    """A task of n frames created with its review mode (no second call): (task id, annotated version id)."""
    ds = owner.create_dataset(f"history-{uuid.uuid4().hex[:6]}")
    v = owner.create_version(ds.dataset_id, "v1")
    owner.import_frames(v.version_id, sample_frames(n))
    task = owner.create_task("review history", v.version_id, review=review)  # type: ignore[arg-type]
    return task.task_id, task.annotated_version_id


def _finish_one(annotator: Client, task: str, *, edit: bool = False) -> str:
    """Lease a frame (waiting for the plan), optionally draw a box on it, and finish it: its id."""
    lease = annotator.next_frame(task, wait=15)
    assert lease.frame is not None
    frame = lease.frame
    if edit:
        state = annotator.get_frame(frame.version_id, frame.frame_id)
        box = CreateRoi(rectangle(10, 10, 60, 40, labels=["car"]))
        annotator.save_frame(frame.version_id, frame.frame_id, [box], expected_version=state.version, task_id=task)
    annotator.next_frame(task, complete_lease_id=lease.lease_id)
    return frame.frame_id


def test_a_frames_history_shows_review_decisions_beside_its_edits_and_the_reviewer_undoes_from_it(
    system: LocalStack,
) -> None:
    team = f"hist-{uuid.uuid4().hex[:8]}"
    with (
        Client(system.url, user="anna", team=team, role="annotator") as anna,
        Client(system.url, user="rex", team=team, role="reviewer") as rex,
    ):
        task, _version = _task(anna, 2)
        frame = _finish_one(anna, task, edit=True)  # waits for the plan (the iterator learns the task by event)
        assert anna.review_settings(task).mode == "all"  # from creation: no PUT
        got = rex.next_review(task)
        assert got.frame is not None and got.frame.frame_id == frame
        rex.reject_frame(task, got.lease_id or "", "the box is too loose")
        again = rex.undo_decision(task, frame)
        rex.accept_frame(task, again.lease_id or "")

        seen = anna.task_frame_history(task, frame)
        kinds = [(e.kind, e.actor) for e in seen.entries if e.kind != "edit"]
        assert kinds == [("requested", "anna"), ("rejected", "rex"), ("decision_undone", "rex"), ("accepted", "rex")]
        edits = [e for e in seen.entries if e.kind == "edit"]
        assert ("anna", "RoiCreated") in {(e.actor, e.type) for e in edits}  # her box (imported ROIs: "import")
        times = [datetime.fromisoformat((e.at or "").replace("Z", "+00:00")) for e in seen.entries]
        assert times == sorted(times)  # interleaved by time
        first_review = next(i for i, e in enumerate(seen.entries) if e.kind == "requested")
        assert all(e.kind == "edit" for e in seen.entries[:first_review])  # edited before it was finished
        rejected = next(e for e in seen.entries if e.kind == "rejected")
        undone = next(e for e in seen.entries if e.kind == "decision_undone")
        assert (rejected.reason, rejected.round, undone.decision) == ("the box is too loose", 1, "rejected")
        assert not any(e.undoable for e in seen.entries)  # the annotator undoes no decision
        assert unknown_fields(seen) == [] and seen.edits_truncated is False

        mine = rex.task_frame_history(task, frame)
        assert [e.undoable for e in mine.entries if e.kind != "edit"] == [False, False, False, True]
        rex.undo_decision(task, frame)  # what the history offers
        after = rex.task_frame_history(task, frame)
        assert [(e.kind, e.decision) for e in after.entries if e.kind != "edit"][-1] == ("decision_undone", "accepted")
        assert not any(e.undoable for e in after.entries)
        h = {"X-Annostream-User": "rex", "X-Annostream-Team": team, "X-Annostream-Role": "reviewer"}
        with httpx.Client(base_url=system.url, headers=h, timeout=30) as http:
            unknown = http.get(f"/api/v1/tasks/{task}/frames/nope/history")
            assert (unknown.status_code, unknown.json()["field"]) == (404, "frame_id"), unknown.text


def test_my_reviews_lists_the_tasks_with_my_review_work_and_bad_review_settings_are_refused(
    system: LocalStack,
) -> None:
    team = f"mine-{uuid.uuid4().hex[:8]}"
    with (
        Client(system.url, user="anna", team=team, role="annotator") as anna,
        Client(system.url, user="rex", team=team, role="reviewer") as rex,
        Client(system.url, user="rita", team=team, role="reviewer") as rita,
    ):
        waiting, _ = _task(anna, 1)
        decided, _ = _task(anna, 1)
        off, _ = _task(anna, 1, review="off")
        for t in (waiting, decided, off):
            _finish_one(anna, t)
        got = rex.next_review(decided)
        rex.accept_frame(decided, got.lease_id or "")

        def listed(c: Client, **kw: object) -> set[str]:
            return {t.task_id for t in c.list_tasks(my_reviews=True, page_size=500, **kw).tasks}  # type: ignore[arg-type]

        assert listed(rex) == {waiting, decided}  # frames waiting for him, and frames he decided
        assert listed(rita) == {waiting}  # nothing decided by her
        assert listed(anna) == set()  # an annotator has no review work
        assert listed(rex, status="completed") == set()  # combined with the other view options
        assert {t.task_id for t in rex.list_tasks(page_size=500).tasks} == {waiting, decided, off}
        h = {"X-Annostream-User": "anna", "X-Annostream-Team": team, "X-Annostream-Role": "annotator"}
        with httpx.Client(base_url=system.url, headers=h, timeout=30) as http:
            body = {"name": "bad", "dataset_version_id": "whatever", "review": {"mode": "sample", "sample_percent": 0}}
            bad = http.post("/api/v1/tasks", json=body)
            assert (bad.status_code, bad.json()["field"]) == (400, "review.sample_percent"), bad.text
            body["review"] = {"mode": "often"}
            worse = http.post("/api/v1/tasks", json=body)
            assert worse.status_code == 422 and "review" in (worse.json()["field"] or ""), worse.text
        assert {t.task_id for t in anna.list_tasks(page_size=500).tasks} == {waiting, decided, off}
