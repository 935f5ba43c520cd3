"""A comment's roi_id names a ROI its frame holds in the task's version (saved there or inherited), as CVAT issues
and Label Studio region comments point at something real: a made-up or deleted ROI is NOT_FOUND naming roi_id and
nothing is stored; a ROI saved a moment before is accepted (the iterator catches up on the annotation stream on a
miss); comments on a ROI deleted later stay readable."""

from __future__ import annotations

import grpc

from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.iterator.v1 import review_service_pb2 as rv
from annostream_protos.iterator.v1 import review_service_pb2_grpc as rv_grpc
from annostream_protos.types.v1 import frames_pb2 as t

from .annotation_helpers import rect, save
from .conftest import Stubs, as_user, make_version
from .grpc_helpers import USER_MD, assert_status, rpc_error
from .test_iterator_leases import make_task, next_req


def _on(task: str, frame_id: str, text: str, roi_id: str) -> rv.AddCommentRequest:
    return rv.AddCommentRequest(task_id=task, frame_id=frame_id, text=text, roi_id=roi_id)


async def test_a_comment_names_a_roi_of_its_frame_or_is_refused_naming_roi_id_with_nothing_stored(
    stubs: Stubs, review: rv_grpc.ReviewServiceStub, unique: str
) -> None:
    v = await make_version(stubs, unique, 2, publish=False)
    for fid in ("f000", "f001"):  # a ROI of the parent version, inherited by the task's child version
        parent = t.FrameRef(version_id=v.version_id, frame_id=fid)
        await stubs.annotation.SaveFrame(save(parent, 0, rect("old", roi_id="old")))
    await stubs.datasets.PublishVersion(ds.PublishVersionRequest(version_id=v.version_id), metadata=USER_MD)
    task = await make_task(stubs, v.version_id, 2)
    lease = await stubs.iterator.NextFrame(next_req(task, "ann"))
    ref, fid = lease.frame, lease.frame.frame_id
    assert ref.version_id != v.version_id  # the task annotates a child version
    md = as_user("rita", role="reviewer")
    inherited = (await review.AddComment(_on(task, fid, "inherited", "old"), metadata=md)).comment
    assert inherited.roi_id == "old"
    saved = await stubs.annotation.SaveFrame(save(ref, 0, rect("car", roi_id="car-1")))
    # at once: the iterator's annotation consumer may not have the save yet; the miss catches up and asks again
    first = (await review.AddComment(_on(task, fid, "this car?", "car-1"), metadata=md)).comment
    assert (first.roi_id, first.text) == ("car-1", "this car?")

    made_up = await rpc_error(review.AddComment(_on(task, fid, "ghost", "no-such-roi"), metadata=md))
    assert_status(made_up, grpc.StatusCode.NOT_FOUND, "roi_id")
    assert "no-such-roi" in (made_up.details() or "")
    other = "f001" if fid == "f000" else "f000"  # the ROI exists, but on another frame
    elsewhere = await rpc_error(review.AddComment(_on(task, other, "wrong frame", "car-1"), metadata=md))
    assert_status(elsewhere, grpc.StatusCode.NOT_FOUND, "roi_id")

    deleted = ann.Command(delete_roi=ann.DeleteRoi(roi_id="car-1"))
    after = await stubs.annotation.SaveFrame(save(ref, saved.frame.version, deleted))
    await stubs.annotation.SaveFrame(save(ref, after.frame.version, rect("mark", roi_id="mark")))
    # accepted only once the iterator has the marker, so the delete before it too
    await review.AddComment(_on(task, fid, "marker", "mark"), metadata=md)
    gone = await rpc_error(review.AddComment(_on(task, fid, "too late", "car-1"), metadata=md))
    assert_status(gone, grpc.StatusCode.NOT_FOUND, "roi_id")

    plain = (await review.AddComment(_on(task, fid, "on the frame", ""), metadata=md)).comment
    assert plain.roi_id == ""
    fr = await review.GetFrameReview(rv.GetFrameReviewRequest(task_id=task, frame_id=fid), metadata=USER_MD)
    assert [(c.text, c.roi_id) for c in fr.comments] == [
        ("inherited", "old"),
        ("this car?", "car-1"),  # its ROI was deleted since: the comment stays readable
        ("marker", "mark"),
        ("on the frame", ""),
    ]
    fo = await review.GetFrameReview(rv.GetFrameReviewRequest(task_id=task, frame_id=other), metadata=USER_MD)
    assert list(fo.comments) == []
