"""Domain events become the same protobuf events (payload, stream, subject) the services appended before the
events were typed: the EVENTS tables in adapters/messages.py keep the wire format."""

from __future__ import annotations

from annostream_datasets.adapters import messages as ds_messages
from annostream_datasets.domain import events as ds_events
from annostream_iterator.adapters import messages as it_messages
from annostream_iterator.adapters import review_messages
from annostream_iterator.domain import events as it_events
from annostream_iterator.domain.review import ReviewMode, ReviewSettings, ReworkBy
from annostream_kernel.events import NewEvent
from annostream_protos.events.v1 import datasets_pb2, iterator_pb2, tasks_pb2
from annostream_protos.types.v1 import frames_pb2
from annostream_tasks.adapters import messages as tk_messages
from annostream_tasks.domain import events as tk_events

FRAME = it_events.Frame("ds_1", "ver_1", "f-1")
REF = frames_pb2.FrameRef(dataset_id="ds_1", version_id="ver_1", frame_id="f-1")


def _wire(e: NewEvent) -> tuple[bytes, str, str, str, str]:
    return (e.payload.SerializeToString(), e.type_name, e.stream_id, e.subject, e.task_id)


def test_iterator_review_events_map_to_the_review_stream_messages_as_before() -> None:
    settings = ReviewSettings(ReviewMode.SAMPLE, 25, True, ReworkBy.ANY)
    pairs: list[tuple[it_events.Event, NewEvent]] = [
        (it_events.ReviewSettingsChanged("t1", settings), review_messages.settings_changed("t1", settings)),
        (it_events.ReviewRequested("t1", FRAME, "ann", 2), review_messages.requested("t1", REF, "ann", 2)),
        (
            it_events.FrameAccepted("t1", FRAME, "ann", "rev", 2),
            review_messages.decided("t1", REF, "ann", "rev", 2, "", ""),
        ),
        (
            it_events.FrameRejected("t1", FRAME, "ann", "rev", 2, "blurry", "ann"),
            review_messages.decided("t1", REF, "ann", "rev", 2, "blurry", "ann"),
        ),
        (
            it_events.ReviewDecisionUndone("t1", FRAME, "ann", "rev", 2, "rejected"),
            review_messages.undone("t1", REF, {"annotator": "ann", "reviewer": "rev", "round": 2}, "rejected"),
        ),
        (
            it_events.CommentResolved("t1", FRAME, "cmt_1", "rev"),
            review_messages.thread_changed(REF, "t1", "cmt_1", "rev", resolved=True),
        ),
        (
            it_events.CommentReopened("t1", FRAME, "cmt_1", "rev"),
            review_messages.thread_changed(REF, "t1", "cmt_1", "rev", resolved=False),
        ),
    ]
    for domain_event, before in pairs:
        assert _wire(it_messages.new_event(domain_event)) == _wire(before), type(domain_event).__name__


def test_an_iterator_comment_event_carries_every_field_of_the_comment() -> None:
    row: dict[str, object] = {
        "comment_id": "cmt_2",
        "thread_id": "cmt_1",
        "author": "ann",
        "text": "look here",
        "pinned": True,
        "x": 1.5,
        "y": 2.5,
        "roi_id": "r1",
    }
    added = it_events.CommentAdded("t1", FRAME, "cmt_2", "cmt_1", "ann", "look here", True, 1.5, 2.5, "r1")
    assert _wire(it_messages.new_event(added)) == _wire(review_messages.comment_added(REF, "t1", row))


def test_tasks_events_keep_their_stream_subject_and_payload() -> None:
    deleted = tk_messages.new_event(tk_events.TaskDeleted("task_1", "ver_9"))
    assert deleted.payload == tasks_pb2.TaskDeleted(task_id="task_1", annotated_version_id="ver_9")
    assert (deleted.stream_id, deleted.subject, deleted.task_id) == (
        "task:task_1",
        "annostream.tasks.v1.task_1.TaskDeleted",
        "task_1",
    )
    color = tk_messages.new_event(tk_events.LabelColorSet("task_1", "car", "#ff0000"))
    assert _wire(color) == _wire(tk_messages.label_color_set("task_1", "car", "#ff0000"))


def test_datasets_events_keep_their_payloads_and_frames_imported_splits_by_size() -> None:
    [created] = ds_messages.new_events(ds_events.VersionCreated("ds_1", "ver_2", "v2", "ver_1", "team-a"))
    before = datasets_pb2.VersionCreated(
        dataset_id="ds_1",
        version_id="ver_2",
        name="v2",
        parent_version_id="ver_1",
        status=datasets_pb2.VERSION_STATUS_DRAFT,
        team="team-a",
    )
    assert _wire(created) == _wire(ds_messages.event(before, "ds_1", "ver_2"))
    frames = [frames_pb2.Frame(frame_id=f"f{i}", metadata_json="x" * 100_000).SerializeToString() for i in range(6)]
    imported = ds_messages.new_events(ds_events.FramesImported("ds_1", "ver_2", frames))
    expected = ds_messages.frames_imported("ds_1", "ver_2", frames, ds_messages.EVENT_TARGET_BYTES)
    assert len(imported) == len(expected) > 1
    assert [_wire(e) for e in imported] == [_wire(ds_messages.event(p, "ds_1", "ver_2")) for p in expected]
    assert [f.frame_id for e in imported for f in e.payload.frames] == [f"f{i}" for i in range(6)]  # type: ignore[attr-defined]


def test_plan_progress_goes_to_the_tasks_plan_progress_stream_as_task_progressed() -> None:
    mapped = it_messages.new_event(it_events.PlanProgressed("t1", 3, 40))
    assert _wire(mapped) == _wire(it_messages.progressed("t1", 3, 40))  # what the consumers appended before
    assert (mapped.stream_id, mapped.task_id, mapped.subject.rsplit(".", 1)[-1]) == (
        "progress:t1:",
        "t1",
        "TaskProgressed",
    )
    assert iterator_pb2.TaskProgressed.FromString(mapped.payload.SerializeToString()) == iterator_pb2.TaskProgressed(
        task_id="t1", done=3, total=40
    )
