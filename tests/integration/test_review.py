"""The review stage through the running services: reviewer leases, own frames, reject → fix → accept, comments,
quality figures, events on their subjects, and bad input refused with nothing stored."""

from __future__ import annotations

import asyncio

import grpc
import nats
import pytest

from annostream_kernel.events import subject_token
from annostream_protos.events.v1 import envelope_pb2
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.iterator.v1 import review_service_pb2 as rv
from annostream_protos.iterator.v1 import review_service_pb2_grpc as rv_grpc

from .conftest import Stubs, as_user, make_version
from .grpc_helpers import USER_MD, assert_status, eventually, rpc_error
from .test_iterator_leases import make_task, next_req

ALL = rv.ReviewSettings(mode=rv.REVIEW_MODE_ALL)


def reviewer(name: str) -> tuple[tuple[str, str], ...]:
    """Metadata of a reviewer of the default team."""
    return as_user(name, role="reviewer")


async def annotate_all(stubs: Stubs, task: str, who: str) -> list[str]:
    """Lease and finish every free frame of the task as `who`; the frames finished."""
    got, lease = [], ""
    while (r := await stubs.iterator.NextFrame(next_req(task, who, lease))).HasField("frame"):
        got.append(r.frame.frame_id)
        lease = r.lease_id
    return got


async def reviewed_task(stubs: Stubs, review: rv_grpc.ReviewServiceStub, unique: str, n: int) -> str:
    """A task of n frames with review of every frame."""
    v = await make_version(stubs, unique, n, publish=False)
    task = await make_task(stubs, v.version_id, n)
    await review.SetReviewSettings(rv.SetReviewSettingsRequest(task_id=task, settings=ALL), metadata=USER_MD)
    return task


async def test_concurrent_reviewers_never_hold_one_frame(
    stubs: Stubs, review: rv_grpc.ReviewServiceStub, unique: str
) -> None:
    task = await reviewed_task(stubs, review, unique, 40)
    assert len(await annotate_all(stubs, task, "ann")) == 40
    cards = await stubs.iterator.ListProgress(it.ListProgressRequest(task_ids=[task]), metadata=USER_MD)
    assert (cards.tasks[0].done, cards.tasks[0].in_review, cards.tasks[0].accepted) == (40, 40, 0)

    async def reviewer_loop(i: int) -> list[str]:
        md, got = reviewer(f"rev-{i}"), []
        while (r := await review.NextReview(rv.NextReviewRequest(task_id=task), metadata=md)).HasField("frame"):
            got.append(r.frame.frame_id)
            await review.AcceptFrame(rv.AcceptFrameRequest(task_id=task, lease_id=r.lease_id), metadata=md)
        return got

    served = [f for fs in await asyncio.gather(*(reviewer_loop(i) for i in range(12))) for f in fs]
    assert len(served) == len(set(served)) == 40
    q = await review.GetReviewQuality(rv.GetReviewQualityRequest(task_id=task), metadata=USER_MD)
    assert (q.task.done, q.task.accepted, q.task.rejected, q.task.in_review) == (40, 40, 0, 0)
    assert q.task.acceptance_rate == 1.0
    cards = await stubs.iterator.ListProgress(it.ListProgressRequest(task_ids=[task]), metadata=USER_MD)
    assert (cards.tasks[0].in_review, cards.tasks[0].accepted) == (0, 40)  # the task card's progress by stage


async def test_concurrent_next_review_calls_of_one_reviewer_return_one_lease(
    stubs: Stubs, review: rv_grpc.ReviewServiceStub, unique: str
) -> None:
    task = await reviewed_task(stubs, review, unique, 5)
    await annotate_all(stubs, task, "ann")
    calls = [review.NextReview(rv.NextReviewRequest(task_id=task), metadata=reviewer("solo")) for _ in range(8)]
    leases = {(r.lease_id, r.frame.frame_id) for r in await asyncio.gather(*calls)}
    assert len(leases) == 1


async def test_a_reviewer_never_gets_their_own_frame_unless_the_task_allows_it(
    stubs: Stubs, review: rv_grpc.ReviewServiceStub, unique: str
) -> None:
    task = await reviewed_task(stubs, review, unique, 2)
    md = reviewer("both")  # a reviewer may annotate too
    lease = ""
    for _ in range(3):
        lease = (await stubs.iterator.NextFrame(next_req(task, "both", lease), metadata=md)).lease_id
    none = await review.NextReview(rv.NextReviewRequest(task_id=task), metadata=md)
    assert not none.HasField("frame") and none.waiting == 2
    other = await review.NextReview(rv.NextReviewRequest(task_id=task, annotator="both"), metadata=reviewer("x"))
    assert other.annotator == "both"
    own = rv.ReviewSettings(mode=rv.REVIEW_MODE_ALL, reviewer_may_review_own=True)
    await review.SetReviewSettings(rv.SetReviewSettingsRequest(task_id=task, settings=own), metadata=USER_MD)
    mine = await review.NextReview(rv.NextReviewRequest(task_id=task), metadata=md)
    assert mine.HasField("frame") and mine.frame.frame_id != other.frame.frame_id
    await review.SetReviewSettings(rv.SetReviewSettingsRequest(task_id=task, settings=ALL), metadata=USER_MD)
    err = await rpc_error(review.AcceptFrame(rv.AcceptFrameRequest(task_id=task, lease_id=mine.lease_id), metadata=md))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "reviewer")
    frame = await review.GetFrameReview(
        rv.GetFrameReviewRequest(task_id=task, frame_id=mine.frame.frame_id), metadata=USER_MD
    )
    assert frame.review.state == "in_review" and not frame.decisions


async def test_a_rejected_frame_goes_back_to_its_annotator_and_returns_to_review_after_the_fix(
    stubs: Stubs, review: rv_grpc.ReviewServiceStub, unique: str, nats_url: str
) -> None:
    task = await reviewed_task(stubs, review, unique, 2)
    first = await stubs.iterator.NextFrame(next_req(task, "alice"))
    await stubs.iterator.NextFrame(next_req(task, "alice", first.lease_id))  # finishes the first, leases the second
    got = await review.NextReview(rv.NextReviewRequest(task_id=task), metadata=reviewer("rita"))
    assert (got.frame.frame_id, got.annotator, got.round) == (first.frame.frame_id, "alice", 1)
    rejected = await review.RejectFrame(
        rv.RejectFrameRequest(task_id=task, lease_id=got.lease_id, reason="box too loose"), metadata=reviewer("rita")
    )
    assert (rejected.review.state, rejected.review.reason) == ("rejected", "box too loose")
    bob = await stubs.iterator.NextFrame(next_req(task, "bob"))
    assert not bob.HasField("frame") and not bob.exhausted  # reserved for alice
    held = await stubs.iterator.NextFrame(next_req(task, "alice"))  # alice still holds the second frame
    fix = await stubs.iterator.NextFrame(next_req(task, "alice", held.lease_id))
    assert fix.frame.frame_id == first.frame.frame_id
    await stubs.iterator.NextFrame(next_req(task, "alice", fix.lease_id))
    again = await review.NextReview(rv.NextReviewRequest(task_id=task, annotator="alice"), metadata=reviewer("rita"))
    assert {again.frame.frame_id} <= {first.frame.frame_id, held.frame.frame_id}
    while again.HasField("frame"):
        await review.AcceptFrame(
            rv.AcceptFrameRequest(task_id=task, lease_id=again.lease_id), metadata=reviewer("rita")
        )
        again = await review.NextReview(rv.NextReviewRequest(task_id=task), metadata=reviewer("rita"))
    fr = await review.GetFrameReview(
        rv.GetFrameReviewRequest(task_id=task, frame_id=first.frame.frame_id), metadata=USER_MD
    )
    assert (fr.review.state, fr.review.round) == ("accepted", 2)
    assert [(d.round, d.decision, d.reason) for d in fr.decisions] == [
        (1, "rejected", "box too loose"),
        (2, "accepted", ""),
    ]
    q = await review.GetReviewQuality(rv.GetReviewQualityRequest(task_id=task), metadata=USER_MD)
    alice = {a.annotator: a for a in q.annotators}["alice"]
    assert (alice.done, alice.accepted, alice.rejected) == (2, 2, 1)
    assert alice.acceptance_rate == pytest.approx(2 / 3)
    stream = f"review:{task}:{first.frame.frame_id}"
    wanted = ["ReviewRequested", "FrameRejected", "ReviewRequested", "FrameAccepted"]
    assert await review_events(nats_url, task, stream, len(wanted)) == wanted


async def review_events(nats_url: str, task: str, stream_id: str, n: int) -> list[str]:
    """The first n event types of a review stream, as published on the task's iterator subjects."""
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().pull_subscribe(
            f"annostream.iterator.v1.{subject_token(task)}.>", stream="ANNOSTREAM_ITERATOR"
        )
        out: list[tuple[int, str]] = []

        async def enough() -> bool:
            for msg in await sub.fetch(100, timeout=5):
                env = envelope_pb2.EventEnvelope.FromString(msg.data)
                assert msg.subject == f"annostream.iterator.v1.{subject_token(task)}.{env.type}"
                if env.stream_id == stream_id:
                    out.append((env.stream_version, env.type))
                await msg.ack()
            return len(out) >= n

        await eventually(enough, f"{n} events of {stream_id}")
    finally:
        await nc.close()
    return [t for _, t in sorted(out)]


async def test_comment_threads_resolve_and_reopen_are_events_and_read_with_the_frame(
    stubs: Stubs, review: rv_grpc.ReviewServiceStub, unique: str, nats_url: str
) -> None:
    task = await reviewed_task(stubs, review, unique, 1)
    fid = "f000"
    pin = rv.AddCommentRequest(task_id=task, frame_id=fid, text="missing car", pinned=True, x=120.5, y=80)
    root = (await review.AddComment(pin, metadata=reviewer("rita"))).comment
    reply = rv.AddCommentRequest(task_id=task, frame_id=fid, text="added", reply_to=root.comment_id)
    answer = (await review.AddComment(reply, metadata=as_user("alice", role="annotator"))).comment
    assert (answer.thread_id, answer.author) == (root.comment_id, "alice")
    resolve = rv.ResolveCommentRequest(task_id=task, comment_id=answer.comment_id)
    assert (await review.ResolveComment(resolve, metadata=reviewer("rita"))).comment.resolved
    q = await review.GetReviewQuality(rv.GetReviewQualityRequest(task_id=task), metadata=USER_MD)
    assert q.task.open_comments == 0
    reopen = rv.ReopenCommentRequest(task_id=task, comment_id=root.comment_id)
    assert not (await review.ReopenComment(reopen, metadata=reviewer("rita"))).comment.resolved
    fr = await review.GetFrameReview(rv.GetFrameReviewRequest(task_id=task, frame_id=fid), metadata=USER_MD)
    assert [(c.text, c.pinned, c.x, c.resolved) for c in fr.comments] == [
        ("missing car", True, 120.5, False),
        ("added", False, 0.0, False),
    ]
    assert fr.review.state == ""  # never finished, so never in review
    wanted = ["CommentAdded", "CommentAdded", "CommentResolved", "CommentReopened"]
    assert await review_events(nats_url, task, f"comments:{task}:{fid}", 4) == wanted


async def test_bad_review_input_names_the_field_and_stores_nothing(
    stubs: Stubs, review: rv_grpc.ReviewServiceStub, unique: str
) -> None:
    task = await reviewed_task(stubs, review, unique, 1)
    await annotate_all(stubs, task, "ann")
    bad = rv.ReviewSettings(mode=rv.REVIEW_MODE_SAMPLE, sample_percent=0)
    err = await rpc_error(
        review.SetReviewSettings(rv.SetReviewSettingsRequest(task_id=task, settings=bad), metadata=USER_MD)
    )
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "settings.sample_percent")
    kept = await review.GetReviewSettings(rv.GetReviewSettingsRequest(task_id=task), metadata=USER_MD)
    assert kept.settings.mode == rv.REVIEW_MODE_ALL
    got = await review.NextReview(rv.NextReviewRequest(task_id=task), metadata=reviewer("r"))
    err = await rpc_error(
        review.RejectFrame(
            rv.RejectFrameRequest(task_id=task, lease_id=got.lease_id, reason=" "), metadata=reviewer("r")
        )
    )
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "reason")
    err = await rpc_error(
        review.AcceptFrame(rv.AcceptFrameRequest(task_id=task, lease_id="nope"), metadata=reviewer("r"))
    )
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "lease_id")
    for req, field in (
        (rv.AddCommentRequest(task_id=task, frame_id="f000", text=""), "text"),
        (rv.AddCommentRequest(task_id=task, frame_id="f000", text="t", x=3), "x"),
        (rv.AddCommentRequest(task_id=task, frame_id="f000", text="t", reply_to="cmt_nope"), "reply_to"),
        (rv.AddCommentRequest(task_id=task, frame_id="nope", text="t"), "frame_id"),
    ):
        err = await rpc_error(review.AddComment(req, metadata=reviewer("r")))
        assert err.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND)
        assert_status(err, err.code(), field)
    fr = await review.GetFrameReview(rv.GetFrameReviewRequest(task_id=task, frame_id="f000"), metadata=USER_MD)
    assert (fr.review.state, list(fr.decisions), list(fr.comments)) == ("in_review", [], [])
    held = await review.NextReview(rv.NextReviewRequest(task_id=task), metadata=reviewer("r"))
    assert held.lease_id == got.lease_id  # the refused rejection left the lease held


async def test_a_reviewer_undoes_their_own_decision_until_the_annotator_takes_the_frame_up(
    stubs: Stubs, review: rv_grpc.ReviewServiceStub, unique: str, nats_url: str
) -> None:
    task = await reviewed_task(stubs, review, unique, 2)
    first = await stubs.iterator.NextFrame(next_req(task, "ann"))
    second = await stubs.iterator.NextFrame(next_req(task, "ann", first.lease_id))
    fid, rita = first.frame.frame_id, reviewer("rita")
    got = await review.NextReview(rv.NextReviewRequest(task_id=task), metadata=rita)
    await review.AcceptFrame(rv.AcceptFrameRequest(task_id=task, lease_id=got.lease_id), metadata=rita)
    undo = rv.UndoDecisionRequest(task_id=task, frame_id=fid)
    err = await rpc_error(review.UndoDecision(undo, metadata=reviewer("other")))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "frame_id")
    back = await review.UndoDecision(undo, metadata=rita)
    assert (back.frame.frame_id, back.round) == (fid, 1)
    held = await review.NextReview(rv.NextReviewRequest(task_id=task), metadata=rita)
    assert held.lease_id == back.lease_id
    await review.RejectFrame(rv.RejectFrameRequest(task_id=task, lease_id=held.lease_id, reason="no"), metadata=rita)
    progress = await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task), metadata=USER_MD)
    assert progress.done == 0  # the rejected frame is not done; the second frame is still held
    again = await review.UndoDecision(undo, metadata=rita)  # nobody took the rejected frame up yet
    progress = await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task), metadata=USER_MD)
    assert progress.done == 1
    nothing = await stubs.iterator.NextFrame(next_req(task, "ann", second.lease_id))  # not the undone frame
    assert not nothing.HasField("frame") and nothing.exhausted
    await review.RejectFrame(rv.RejectFrameRequest(task_id=task, lease_id=again.lease_id, reason="no"), metadata=rita)
    fix = await stubs.iterator.NextFrame(next_req(task, "ann"))
    assert fix.frame.frame_id == fid
    err = await rpc_error(review.UndoDecision(undo, metadata=rita))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "frame_id")
    fr = await review.GetFrameReview(rv.GetFrameReviewRequest(task_id=task, frame_id=fid), metadata=USER_MD)
    assert [(d.round, d.decision) for d in fr.decisions] == [(1, "rejected")]
    wanted = ["ReviewRequested", "FrameAccepted", "ReviewDecisionUndone", "FrameRejected", "ReviewDecisionUndone"]
    assert (await review_events(nats_url, task, f"review:{task}:{fid}", 6))[:5] == wanted
