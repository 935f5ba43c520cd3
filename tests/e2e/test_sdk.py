"""The Python SDK against the real system: datasets, versions, imports, tasks, leases, saves with every command
type, frame reads, history and time travel, typed models that know every field the API answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from annostream_cli.stack import LocalStack
from annostream_sdk import Client, NotFound, commands, ellipse, keypoints, polygon, rectangle
from annostream_sdk.models import FrameState

from ..waiting import eventually
from .sdk_helpers import sample_frames, team_client, unknown_fields

T = TypeVar("T")
pytestmark = pytest.mark.e2e


def until(fn: Callable[[], T], done: Callable[[T], bool], timeout: float = 30.0) -> T:
    """fn() once `done` holds for its answer (read models follow events)."""
    deadline = time.monotonic() + timeout
    while not done(value := fn()):
        assert time.monotonic() < deadline, f"still {value!r}"
        time.sleep(0.1)
    return value


def _published_task(client: Client, frames: int = 6) -> tuple[str, str]:
    """A dataset with a Published version of `frames` frames and a task on it: (task id, annotated version id)."""
    ds = client.create_dataset("cars")
    v = client.create_version(ds.dataset_id, "v1")
    client.import_frames(v.version_id, sample_frames(frames, annotate_every=0))
    client.publish_version(v.version_id)
    task = client.create_task("label cars", v.version_id, label_set=["car", "bus"], default_labels=["car"])
    return task.task_id, task.annotated_version_id


def test_sdk_creates_a_dataset_version_and_imports_idempotently_in_batches(system: LocalStack) -> None:
    with team_client(system.url) as client:
        ds = client.create_dataset("street")
        assert client.rename_dataset(ds.dataset_id, "streets").name == "streets"
        assert [d.dataset_id for d in client.iter_datasets(page_size=1)] == [ds.dataset_id]
        v = client.create_version(ds.dataset_id, "v1")
        progress: list[int] = []
        out = client.import_frames(
            v.version_id, sample_frames(25), batch_frames=10, on_progress=lambda o: progress.append(o.frames)
        )
        assert (out.imported, out.skipped, out.frames, out.batches) == (25, 0, 25, 3)
        assert progress == [10, 20, 25]
        again = client.import_frames(v.version_id, sample_frames(25))  # idempotent by frame id
        assert (again.imported, again.skipped) == (0, 25)
        checked = client.import_batch(
            v.version_id, [f.to_json() | {"id": "x1"} for f in sample_frames(1)], validate_only=True
        )
        assert (checked.imported, checked.skipped) == (0, 0)
        assert client.get_version(v.version_id).frame_count == 25  # validate_only wrote nothing
        client.publish_version(v.version_id)
        child = client.create_version(ds.dataset_id, "v2", parent_version_id=v.version_id)
        tree = client.list_versions(ds.dataset_id)
        assert [(n.version_id, [c.version_id for c in n.children]) for n in tree.versions] == [
            (v.version_id, [child.version_id])
        ]
        page = client.list_frames(child.version_id, page_size=7)
        assert page.total == 25 and len(page.frames) == 7 and page.next_page_token
        assert [f.frame_id for f in client.iter_base_frames(child.version_id, page_size=7)] == [
            f"f{i:04d}" for i in range(25)
        ]
        stats = until(lambda: client.version_stats(v.version_id), lambda s: s.roi_count == 9)
        assert stats.roi_labels == {"car": 9} and stats.frame_count == 25
        client.delete_version(child.version_id)
        with pytest.raises(NotFound):
            client.get_version(child.version_id)
        for model in (ds, v, tree, page, stats, client.get_dataset(ds.dataset_id), client.me()):
            assert unknown_fields(model) == [], type(model).__name__


def test_sdk_leases_a_frame_saves_every_command_type_and_reads_history(system: LocalStack) -> None:
    with team_client(system.url, user="ann") as client:
        task_id, version_id = _published_task(client)
        lease = client.next_frame(task_id, wait=30)
        assert lease.frame is not None and lease.lease_id and lease.total == 6
        frame_id = lease.frame.frame_id
        assert client.heartbeat(task_id, lease.lease_id).lease_id == lease.lease_id
        start = eventually(lambda: client.get_frame(version_id, frame_id))
        saved = client.save_frame(
            version_id,
            frame_id,
            [
                commands.CreateRoi(rectangle(10, 20, 110, 220, labels=["car"], roi_id="box", confidence=0.9)),
                commands.CreateRoi(ellipse(200, 200, 260, 240, labels=["wheel"], roi_id="oval")),
                commands.CreateRoi(polygon([(300, 300), (350, 300), (325, 350)], labels=["sign"], roi_id="tri")),
                commands.CreateRoi(
                    keypoints([(400, 100), (420, 120)], labels=["person"], roi_id="kp", metadata={"skeleton": [[1, 2]]})
                ),
                commands.AddFrameLabel("day"),
                commands.SetFrameMetadata({"weather": "sun", "big": 2**53 + 1}),
            ],
            expected_version=start.version,
            task_id=task_id,
        )
        assert saved.frame is not None and len(saved.event_ids) == 6 and not saved.rebased
        edited = client.save_frame(
            version_id,
            frame_id,
            [
                commands.MoveRoi("box", dx=5, dy=-5),
                commands.ReshapeRoi("tri", [(300, 300), (360, 300), (330, 360), (300, 340)]),
                commands.AddRoiLabel("box", "red"),
                commands.RemoveRoiLabel("oval", "wheel"),
                commands.AddRoiLabel("oval", "tyre"),
                commands.SetRoiMetadata("kp", {"visibility": [2, 1]}),
                commands.LockRoi("box"),
                commands.UnlockRoi("box"),
                commands.LockAllRois(),
                commands.UnlockAllRois(),
                commands.DeleteRoi("kp"),
                commands.AddFrameLabel("busy"),
                commands.RemoveFrameLabel("day"),
            ],
            expected_version=saved.version,
        )
        now = client.get_frame(version_id, frame_id)
        assert len(edited.event_ids) >= 14  # lock/unlock all: an event per ROI
        assert now.version == edited.version == saved.version + len(edited.event_ids)
        rois = {r.roi_id: r for r in now.rois}
        assert set(rois) == {"box", "oval", "tri"}
        assert rois["box"].points == [(15.0, 15.0), (115.0, 215.0)] and rois["box"].labels == ["car", "red"]
        assert rois["box"].confidence == 0.9 and rois["oval"].type == "ellipse" and rois["oval"].labels == ["tyre"]
        assert not rois["tri"].locked and len(rois["tri"].points) == 4
        assert now.frame_labels == ["busy"] and now.metadata == {"weather": "sun", "big": 2**53 + 1}

        events = list(client.iter_frame_events(version_id, frame_id, page_size=5))
        assert [e.version for e in events] == list(range(1, now.version + 1))
        assert events[0].type == "RoiCreated" and events[0].actor == "ann" and events[0].task_id == task_id
        assert client.frame_history(version_id, frame_id, page_size=5).more
        at_save = client.frame_at(version_id, frame_id, version=saved.version)
        assert {r.roi_id for r in at_save.rois} == {"box", "oval", "tri", "kp"}

        undone = client.undo(version_id, frame_id)
        assert undone.frame is not None and {r.roi_id for r in undone.frame.rois} == {"box", "oval", "tri", "kp"}
        redone = client.redo(version_id, frame_id)
        assert redone.frame is not None and {r.roi_id for r in redone.frame.rois} == {"box", "oval", "tri"}
        reverted = client.revert_frame(version_id, frame_id, to_version=0, expected_version=redone.version)
        assert reverted.frame is not None and reverted.frame.rois == [] and reverted.frame.frame_labels == []
        locked = client.save_frame(
            version_id,
            frame_id,
            [commands.CreateRoi(rectangle(1, 1, 9, 9, labels=["car"], roi_id="small")), commands.LockRoi("small")],
            expected_version=reverted.version,
        )
        assert locked.frame is not None and [(r.roi_id, r.locked) for r in locked.frame.rois] == [("small", True)]

        nav = client.navigate(task_id, "trail_previous", from_position=lease.position)
        assert nav.total == 6
        # A save made for the task finished its frame: the next lease is another frame, given back here.
        second = until(
            lambda: client.next_frame(task_id), lambda x: x.frame is not None and x.frame.frame_id != frame_id
        )
        assert second.lease_id is not None and second.lease_id != lease.lease_id
        released = client.release(task_id, second.lease_id)
        assert released.released and not released.done
        progress = until(lambda: client.task_progress(task_id), lambda p: p.done == 1)
        assert progress.total == 6 and progress.annotators[0].annotator == "ann"
        colored = client.set_label_color(task_id, "car", "#ff0000")
        assert colored.label_colors == {"car": "#ff0000"}
        listed = client.list_tasks(scope="mine")
        assert [t.task_id for t in listed.tasks] == [task_id]
        assert client.complete_task(task_id).status == "completed"
        assert client.reopen_task(task_id).status == "active"
        info = client.get_task(task_id)
        assert info.annotated_version is not None and info.annotated_version.version_id == version_id
        for model in (lease, saved, edited, now, at_save, undone, reverted, nav, progress, listed, info, events[0]):
            assert unknown_fields(model) == [], type(model).__name__
        client.delete_task(task_id)
        with pytest.raises(NotFound):
            client.get_task(task_id)


def test_frames_yields_every_frame_with_its_annotations_lazily_page_by_page(system: LocalStack) -> None:
    with team_client(system.url) as client:
        ds = client.create_dataset("training")
        v = client.create_version(ds.dataset_id, "v1")
        client.import_frames(v.version_id, sample_frames(95))
        last = eventually(lambda: client.get_frame(v.version_id, "f0093"))
        assert [r.roi_id for r in last.rois] == ["r93"]

        frames = client.frames(v.version_id, page_size=20)
        first = next(frames)
        assert (first.frame_id, [r.labels for r in first.rois], first.metadata) == (
            "f0000",
            [["car"]],
            {"i": 0, "city": "oslo"},
        )
        # An edit made after the first page was read shows in a later page: pages are read as they are consumed.
        client.save_frame(
            v.version_id,
            "f0090",
            [commands.AddFrameLabel("late"), commands.DeleteRoi("r90")],
            expected_version=client.get_frame(v.version_id, "f0090").version,
        )
        rest = list(frames)
        assert [f.frame_id for f in [first, *rest]] == [f"f{i:04d}" for i in range(95)]
        by_id = {f.frame_id: f for f in rest}
        assert by_id["f0090"].frame_labels == ["late"] and by_id["f0090"].rois == []
        assert [r.roi_id for r in by_id["f0093"].rois] == ["r93"] and by_id["f0094"].rois == []
        assert by_id["f0093"].sources[0].width == 640 and by_id["f0093"].version == 1
        assert all(unknown_fields(f) == [] for f in (first, *rest))


def test_frame_state_models_round_trip_the_apis_json(system: LocalStack) -> None:
    with team_client(system.url) as client:
        ds = client.create_dataset("json")
        v = client.create_version(ds.dataset_id, "v1")
        client.import_frames(v.version_id, sample_frames(1))
        state = eventually(lambda: client.get_frame(v.version_id, "f0000"))
        raw = client._t.json("get_frame", {"version_id": v.version_id, "frame_id": "f0000"})
        assert FrameState.model_validate(raw).model_dump(mode="json") == raw == state.model_dump(mode="json")
