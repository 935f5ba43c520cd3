"""The review stage through the gateway and the SDK: an annotator and a reviewer of one team; reject with a pinned
comment → the annotator sees it and fixes the frame → accepted; quality figures; bad input refused (400 naming the
field, nothing stored); an annotator may not review; a comment's roi_id must name a ROI of its frame."""

from __future__ import annotations

import uuid

import httpx
import pytest

from annostream_cli.stack import LocalStack
from annostream_sdk import Client, commands, rectangle
from annostream_sdk.errors import ApiError

from .sdk_helpers import sample_frames, unknown_fields

pytestmark = pytest.mark.e2e


def _task(owner: Client, n: int) -> str:
    ds = owner.create_dataset(f"review-{uuid.uuid4().hex[:6]}")
    v = owner.create_version(ds.dataset_id, "v1")
    owner.import_frames(v.version_id, sample_frames(n))
    task = owner.create_task("review me", v.version_id)
    owner.next_frame(task.task_id, wait=15)  # the plan is built from events: wait for it, then give it back
    return task.task_id


def test_an_annotator_and_a_reviewer_reject_fix_and_accept_a_frame_through_the_sdk(system: LocalStack) -> None:
    team = f"rv-{uuid.uuid4().hex[:8]}"
    with (
        Client(system.url, user="anna", team=team, role="annotator") as anna,
        Client(system.url, user="rex", team=team, role="reviewer") as rex,
    ):
        task = _task(anna, 2)
        assert anna.review_settings(task).mode == "off"
        assert anna.set_review_settings(task, "all").mode == "all"
        lease = anna.next_frame(task)
        lease = anna.next_frame(task, complete_lease_id=lease.lease_id)
        got = rex.next_review(task, annotator="anna")
        assert got.frame is not None and got.annotator == "anna" and got.round == 1
        frame_id = got.frame.frame_id
        pin = rex.add_comment(task, frame_id, "the car's box is missing", point=(120.0, 64.5))
        rejected = rex.reject_frame(task, got.lease_id or "", "missing box")
        assert (rejected.review.state, rejected.review.reason) == ("rejected", "missing box")
        seen = anna.frame_review(task, frame_id)
        assert [(c.text, c.x, c.y, c.resolved) for c in seen.comments] == [
            ("the car's box is missing", 120.0, 64.5, False)
        ]
        assert [(d.decision, d.reason) for d in seen.decisions] == [("rejected", "missing box")]
        held = anna.next_frame(task)  # the second frame, still held
        fix = anna.next_frame(task, complete_lease_id=held.lease_id)
        assert fix.frame is not None and fix.frame.frame_id == frame_id
        anna.add_comment(task, frame_id, "fixed", reply_to=pin.comment_id)
        assert anna.resolve_comment(task, pin.comment_id).resolved
        anna.next_frame(task, complete_lease_id=fix.lease_id)
        while (r := rex.next_review(task)).frame is not None:
            accepted = rex.accept_frame(task, r.lease_id or "")
            assert accepted.review.state == "accepted"
        final = anna.frame_review(task, frame_id)
        assert (final.review.state, final.review.round, final.review.reviewer) == ("accepted", 2, "rex")
        q = rex.task_quality(task)
        assert (q.task.done, q.task.accepted, q.task.rejected, q.task.in_review, q.task.open_comments) == (
            2,
            2,
            1,
            0,
            0,
        )
        [a] = q.annotators
        assert (a.annotator, a.done, a.accepted, a.rejected) == ("anna", 2, 2, 1)
        assert a.acceptance_rate == pytest.approx(2 / 3) and a.median_seconds_per_frame >= 0
        assert unknown_fields(q) == [] and unknown_fields(final) == [] and unknown_fields(r) == []


def test_bad_review_input_is_refused_naming_the_field_and_stores_nothing(system: LocalStack) -> None:
    team = f"rv-{uuid.uuid4().hex[:8]}"
    with Client(system.url, user="owner", team=team, role="admin") as owner:
        task = _task(owner, 1)
        owner.set_review_settings(task, "all", reviewer_may_review_own=True)
        h = {"X-Annostream-User": "owner", "X-Annostream-Team": team, "X-Annostream-Role": "admin"}
        with httpx.Client(base_url=system.url, headers=h, timeout=30) as http:
            base = f"/api/v1/tasks/{task}"
            bad = http.put(base + "/review-settings", json={"mode": "sample", "sample_percent": 0})
            assert (bad.status_code, bad.json()["field"]) == (400, "settings.sample_percent"), bad.text
            worse = http.put(base + "/review-settings", json={"mode": "maybe"})
            assert worse.status_code == 422 and "mode" in (worse.json()["field"] or ""), worse.text
            assert owner.review_settings(task).mode == "all"
            owner.next_frame(task)  # the held lease
            lease = owner.next_frame(task)
            owner.next_frame(task, complete_lease_id=lease.lease_id)
            got = owner.next_review(task)
            assert got.frame is not None
            blank = http.post(f"{base}/review-leases/{got.lease_id}/reject", json={"reason": "  "})
            assert (blank.status_code, blank.json()["field"]) == (400, "reason"), blank.text
            loose = http.post(f"{base}/frames/{got.frame.frame_id}/comments", json={"text": "t", "x": 5})
            assert (loose.status_code, loose.json()["field"]) == (400, "x"), loose.text
            stray = http.post(f"{base}/review-leases/nope/accept")
            assert (stray.status_code, stray.json()["field"]) == (409, "lease_id"), stray.text
        detail = owner.frame_review(task, got.frame.frame_id)
        assert (detail.review.state, detail.decisions, detail.comments) == ("in_review", [], [])
    with Client(system.url, user="ann", team=team, role="annotator") as ann:
        with pytest.raises(ApiError) as refused:
            ann.next_review(task)
        assert refused.value.status == 403 and refused.value.details.get("permission") == "review"


def test_a_comment_on_a_roi_needs_the_roi_on_its_frame_404_naming_roi_id_otherwise(system: LocalStack) -> None:
    team = f"rv-{uuid.uuid4().hex[:8]}"
    with Client(system.url, user="anna", team=team, role="annotator") as anna:
        task = _task(anna, 1)
        lease = anna.next_frame(task)
        assert lease.frame is not None
        ref = lease.frame
        box = commands.CreateRoi(rectangle(10, 10, 60, 60, labels=["car"], roi_id="car-1"))
        anna.save_frame(ref.version_id, ref.frame_id, [box], expected_version=0)
        pin = anna.add_comment(task, ref.frame_id, "this car?", roi_id="car-1")  # at once after the save
        assert (pin.roi_id, pin.text) == ("car-1", "this car?")
        with pytest.raises(ApiError) as ghost:
            anna.add_comment(task, ref.frame_id, "ghost", roi_id="no-such-roi")
        assert (ghost.value.status, ghost.value.field) == (404, "roi_id") and "no-such-roi" in ghost.value.message
        assert [(c.text, c.roi_id) for c in anna.frame_review(task, ref.frame_id).comments] == [("this car?", "car-1")]
