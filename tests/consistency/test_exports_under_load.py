"""Filtered exports under load (see conftest: CPU burners, the iterator's dataset events 2 s late and its annotation
events 4 s late): a filtered export holds every frame and edit acknowledged before it was asked for, also when the
iterator already knows the version (a miss then is not a hint that it lags)."""

from __future__ import annotations

from annostream_kernel.grpc_client import service_metadata
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.types.v1 import filters_pb2 as fl
from annostream_protos.types.v1 import frames_pb2 as t

from ..integration.annotation_helpers import rect, save
from ..integration.conftest import Stubs, frames
from ..integration.grpc_helpers import USER_MD, eventually
from .conftest import Loaded

DEADLINE = 30.0  # generous: the machine is busy on purpose


def _custom(frame_query: str = "", labels: str = "") -> fl.FrameSelection:
    rules = [fl.RoiRule(kind=fl.ROI_RULE_KIND_INCLUDE, label_expression=labels)] if labels else []
    return fl.FrameSelection(
        mode=fl.FILTER_MODE_CUSTOM, filters=[fl.FrameFilter(frame_query=frame_query, roi_rules=rules)]
    )


async def _exported(s: Stubs, version_id: str, selection: fl.FrameSelection | None = None) -> list[str]:
    req = ann.ExportFramesRequest(version_id=version_id, selection=selection)
    call = s.annotation.ExportFrames(req, metadata=USER_MD, timeout=DEADLINE)
    return [f.frame_id async for page in call for f in page.frames]


async def _indexed_version(s: Stubs, unique: str) -> str:
    """A draft with three frames that the iterator and the annotation service have learned (both know the version
    before the next import)."""
    d = (await s.datasets.CreateDataset(ds.CreateDatasetRequest(name=f"x-{unique}"), metadata=USER_MD)).dataset
    req = ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v1")
    v = (await s.datasets.CreateVersion(req, metadata=USER_MD)).version
    await s.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=frames(3)), metadata=USER_MD)
    everything = it.SelectFramesRequest(version_id=v.version_id, selection=fl.FrameSelection(mode=fl.FILTER_MODE_ALL))

    async def three() -> bool:
        call = s.iterator.SelectFrames(everything, metadata=service_metadata("annotation"), timeout=DEADLINE)
        return len([f async for page in call for f in page.frame_ids]) == 3

    await eventually(three, "the iterator to index the first import", timeout=DEADLINE)
    await eventually(
        lambda: _exported(s, v.version_id), "the annotation service to learn the first import", timeout=DEADLINE
    )
    return v.version_id


async def test_a_filtered_export_right_after_an_import_into_a_known_version_holds_the_imported_frames(
    sys_: Loaded, unique: str
) -> None:
    s = sys_.stubs
    version_id = await _indexed_version(s, unique)
    later = [
        t.Frame(
            frame_id=f"late{i}",
            sources=[t.Source(id="cam", uri=f"file:///late{i}.jpg", width=640, height=480)],
            metadata_json='{"batch": "two"}',
        )
        for i in range(2)
    ]
    await s.datasets.ImportFrames(ds.ImportFramesRequest(version_id=version_id, frames=later), metadata=USER_MD)
    assert await _exported(s, version_id, _custom(frame_query="meta.batch:two")) == ["late0", "late1"]
    assert await _exported(s, version_id) == ["f000", "f001", "f002", "late0", "late1"]
    assert await _exported(s, version_id, _custom(frame_query="meta.batch:three")) == []  # a real miss stays one


async def test_a_label_filtered_export_right_after_a_save_holds_the_saved_frame(sys_: Loaded, unique: str) -> None:
    s = sys_.stubs
    version_id = await _indexed_version(s, unique)
    needle = f"needle-{unique}"
    ref = t.FrameRef(version_id=version_id, frame_id="f001")
    await sys_.replica.SaveFrame(save(ref, 0, rect(needle)), timeout=DEADLINE)  # through the second replica
    assert await _exported(s, version_id, _custom(labels=needle)) == ["f001"]
    assert await _exported(s, version_id, _custom(labels=f"other-{unique}")) == []
