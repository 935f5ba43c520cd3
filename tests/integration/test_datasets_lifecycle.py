"""Datasets service lifecycle over real gRPC, PostgreSQL and NATS: list/rename/delete, version tree,
Draft-only deletion, copy-on-write reads, references from task events, streaming import, event chunking."""

from __future__ import annotations

import grpc
import nats
from nats.aio.client import Client as NatsClient

from annostream_kernel.events import subject_token
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import frames_pb2 as t

from .conftest import Stubs, frames, make_version
from .grpc_helpers import USER_MD, assert_status, details, eventually, rpc_error


def _team(unique: str) -> tuple[tuple[str, str], ...]:
    return (*USER_MD, ("x-annostream-team", f"team-{unique}"))


async def test_datasets_list_by_name_with_paging_rename_and_delete(stubs: Stubs, unique: str) -> None:
    md = _team(unique)
    for name in ("b", "a", "c"):
        await stubs.datasets.CreateDataset(ds.CreateDatasetRequest(name=name), metadata=md)
    page1 = await stubs.datasets.ListDatasets(ds.ListDatasetsRequest(page_size=2), metadata=md)
    page2 = await stubs.datasets.ListDatasets(
        ds.ListDatasetsRequest(page_size=2, page_token=page1.next_page_token), metadata=md
    )
    assert [d.name for d in [*page1.datasets, *page2.datasets]] == ["a", "b", "c"]
    assert (page1.total_size, page2.next_page_token) == (3, "")

    a = page1.datasets[0]
    err = await rpc_error(
        stubs.datasets.RenameDataset(ds.RenameDatasetRequest(dataset_id=a.dataset_id, name="b"), metadata=md)
    )
    assert_status(err, grpc.StatusCode.ALREADY_EXISTS, "name")
    renamed = await stubs.datasets.RenameDataset(
        ds.RenameDatasetRequest(dataset_id=a.dataset_id, name="z"), metadata=md
    )
    assert renamed.dataset.name == "z"
    err = await rpc_error(stubs.datasets.RenameDataset(ds.RenameDatasetRequest(dataset_id=a.dataset_id, name="q")))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "dataset_id")  # another team's dataset: as if it did not exist

    await stubs.datasets.DeleteDataset(ds.DeleteDatasetRequest(dataset_id=a.dataset_id), metadata=md)
    err = await rpc_error(stubs.datasets.GetDataset(ds.GetDatasetRequest(dataset_id=a.dataset_id)))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "dataset_id")
    left = await stubs.datasets.ListDatasets(ds.ListDatasetsRequest(), metadata=md)
    assert [d.name for d in left.datasets] == ["b", "c"]


async def test_delete_is_refused_while_a_task_references_the_dataset_or_version(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 2, publish=False)
    task = (
        await stubs.tasks.CreateTask(tk.CreateTaskRequest(name="t", dataset_version_id=v.version_id), metadata=USER_MD)
    ).task

    async def referenced() -> bool:
        d = await stubs.datasets.GetDataset(ds.GetDatasetRequest(dataset_id=v.dataset_id))
        return d.dataset.task_count == 1

    await eventually(referenced, "the datasets service to learn TaskCreated")
    err = await rpc_error(
        stubs.datasets.DeleteDataset(ds.DeleteDatasetRequest(dataset_id=v.dataset_id), metadata=USER_MD)
    )
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "dataset_id")
    assert details(err)["task_ids"] == [task.task_id]
    err = await rpc_error(stubs.datasets.DeleteVersion(ds.DeleteVersionRequest(version_id=v.version_id)))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "version_id")

    await stubs.tasks.DeleteTask(tk.DeleteTaskRequest(task_id=task.task_id), metadata=USER_MD)

    async def free() -> bool:
        d = await stubs.datasets.GetDataset(ds.GetDatasetRequest(dataset_id=v.dataset_id))
        return d.dataset.task_count == 0

    await eventually(free, "the datasets service to learn TaskDeleted")
    await stubs.datasets.DeleteDataset(ds.DeleteDatasetRequest(dataset_id=v.dataset_id), metadata=USER_MD)
    err = await rpc_error(stubs.datasets.GetVersion(ds.GetVersionRequest(version_id=v.version_id)))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "version_id")


async def test_versions_list_as_a_lineage_tree_and_only_drafts_can_be_deleted(stubs: Stubs, unique: str) -> None:
    root = await make_version(stubs, unique, 3, publish=True)
    req = lambda name, parent: ds.CreateVersionRequest(  # noqa: E731
        dataset_id=root.dataset_id, name=name, parent_version_id=parent
    )
    c1 = (await stubs.datasets.CreateVersion(req("c1", root.version_id))).version
    c2 = (await stubs.datasets.CreateVersion(req("c2", root.version_id))).version
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=c1.version_id, frames=frames(5)[3:]))
    await stubs.datasets.PublishVersion(ds.PublishVersionRequest(version_id=c1.version_id))
    g = (await stubs.datasets.CreateVersion(req("g", c1.version_id))).version

    tree = await stubs.datasets.ListVersions(ds.ListVersionsRequest(dataset_id=root.dataset_id))
    assert tree.total_size == 4
    (r,) = tree.roots
    assert (r.version.name, r.version.frame_count, r.version.status) == ("v1", 3, datasets_pb2.VERSION_STATUS_PUBLISHED)
    assert [(n.version.name, n.version.frame_count) for n in r.children] == [("c1", 5), ("c2", 3)]
    assert [(n.version.name, n.version.frame_count, n.version.own_frame_count) for n in r.children[0].children] == [
        ("g", 5, 0)
    ]

    err = await rpc_error(stubs.datasets.DeleteVersion(ds.DeleteVersionRequest(version_id=c1.version_id)))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "version_id")
    for v in (g, c2):
        await stubs.datasets.DeleteVersion(ds.DeleteVersionRequest(version_id=v.version_id))
    tree = await stubs.datasets.ListVersions(ds.ListVersionsRequest(dataset_id=root.dataset_id))
    assert [n.version.name for n in tree.roots[0].children] == ["c1"] and not tree.roots[0].children[0].children


async def test_a_child_reads_its_parents_frames_plus_its_own_and_skips_inherited_ids(stubs: Stubs, unique: str) -> None:
    parent = await make_version(stubs, unique, 3, publish=True)
    req = ds.CreateVersionRequest(dataset_id=parent.dataset_id, name="child", parent_version_id=parent.version_id)
    child = (await stubs.datasets.CreateVersion(req)).version
    got = await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=child.version_id, frames=frames(5)[2:]))
    assert (got.imported, got.skipped) == (2, 1)  # f002 is inherited
    page1 = await stubs.datasets.ListFrames(ds.ListFramesRequest(version_id=child.version_id, page_size=3))
    page2 = await stubs.datasets.ListFrames(
        ds.ListFramesRequest(version_id=child.version_id, page_size=3, page_token=page1.next_page_token)
    )
    assert [f.frame_id for f in [*page1.frames, *page2.frames]] == ["f000", "f001", "f002", "f003", "f004"]
    assert page1.total_size == 5 and page2.next_page_token == ""
    own = await stubs.datasets.ListFrames(ds.ListFramesRequest(version_id=parent.version_id))
    assert [f.frame_id for f in own.frames] == ["f000", "f001", "f002"]  # the parent is unchanged


def _frame(i: int, **kw: object) -> t.Frame:
    src = t.Source(id="cam", uri=f"file:///{i}.jpg", width=100, height=50, masks=[t.Mask(uri=f"file:///{i}.png")])
    return t.Frame(frame_id=f"s{i:03d}", sources=[src], **kw)


async def test_streaming_import_commits_each_batch_atomically_and_reports_the_bad_one(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 0, publish=False)
    roi = t.Roi(type=t.ROI_TYPE_RECTANGLE, points=[t.Point(x=1, y=1), t.Point(x=10, y=10)], labels=["car"])
    bad_roi = t.Roi(type=t.ROI_TYPE_RECTANGLE, points=[t.Point(x=1, y=1), t.Point(x=500, y=10)])

    def batches(second_bad: bool):  # type: ignore[no-untyped-def]
        yield ds.ImportFramesStreamRequest(version_id=v.version_id, frames=[_frame(i, rois=[roi]) for i in range(3)])
        second = [_frame(i) for i in range(3, 6)]
        if second_bad:
            second[1].rois.append(bad_roi)
        yield ds.ImportFramesStreamRequest(frames=second)

    call = stubs.datasets.ImportFramesStream(batches(True))
    answers = []
    err = await rpc_error(_collect(call, answers))
    assert [(a.batch, a.imported) for a in answers] == [(0, 3)]
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "frames[1].rois[0].points[1]")
    assert details(err)["batch"] == 1
    assert (await stubs.datasets.GetVersion(ds.GetVersionRequest(version_id=v.version_id))).version.frame_count == 3

    answers = []
    await _collect(stubs.datasets.ImportFramesStream(batches(False)), answers)
    assert [(a.imported, a.skipped) for a in answers] == [(0, 3), (3, 0)]  # idempotent by frame id
    assert (answers[-1].total_imported, answers[-1].total_skipped) == (3, 3)
    listed = await stubs.datasets.ListFrames(ds.ListFramesRequest(version_id=v.version_id, page_size=1))
    assert listed.frames[0].sources[0].masks[0].id == "mask0"


async def _collect(call: object, into: list) -> None:  # type: ignore[type-arg]
    async for answer in call:  # type: ignore[attr-defined]
        into.append(answer)


async def test_frames_imported_events_stay_below_the_nats_payload_limit(
    stubs: Stubs, nats_url: str, unique: str
) -> None:
    v = await make_version(stubs, unique, 0, publish=False)
    big = [_frame(i) for i in range(400)]
    for f in big:
        f.metadata.update({"blob": "x" * 4000})  # ~1.6 MB of frames in one batch
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=big))
    nc: NatsClient = await nats.connect(nats_url)
    try:
        subj = f"annostream.datasets.v1.{subject_token(v.dataset_id)}.{subject_token(v.version_id)}.FramesImported"
        sub = await nc.jetstream().pull_subscribe(subj, stream="ANNOSTREAM_DATASETS")
        seen: list[str] = []
        sizes: list[int] = []
        while len(seen) < 400:
            for msg in await sub.fetch(10, timeout=10):
                sizes.append(len(msg.data))
                payload = datasets_pb2.FramesImported()
                envelope_pb2.EventEnvelope.FromString(msg.data).payload.Unpack(payload)
                seen.extend(f.frame_id for f in payload.frames)
                await msg.ack()
    finally:
        await nc.close()
    assert sorted(seen) == sorted(f.frame_id for f in big)
    assert len(sizes) > 1 and max(sizes) < 1024 * 1024
