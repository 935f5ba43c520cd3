"""The gRPC edge of the datasets service: domain → API response messages."""

from __future__ import annotations

from annostream_kernel.protobuf import timestamp
from annostream_protos.datasets.v1 import datasets_service_pb2 as api
from annostream_protos.events.v1 import datasets_pb2 as ev

from ..domain.model import Dataset, Version, VersionStatus, VersionTreeNode
from ..domain.statistics import Stats

STATUS = {
    VersionStatus.DRAFT: ev.VERSION_STATUS_DRAFT,
    VersionStatus.PUBLISHED: ev.VERSION_STATUS_PUBLISHED,
}


def dataset_msg(d: Dataset) -> api.Dataset:
    """Dataset → API message."""
    return api.Dataset(
        dataset_id=d.dataset_id,
        name=d.name,
        team=d.team,
        created_at=timestamp(d.created_at),
        task_count=d.task_count,
        shared_with=d.shared_with,
    )


def version_msg(v: Version) -> api.Version:
    """Version → API message."""
    return api.Version(
        version_id=v.version_id,
        dataset_id=v.dataset_id,
        name=v.name,
        parent_version_id=v.parent_version_id or "",
        status=STATUS[v.status],
        frame_count=v.frame_count,
        created_at=timestamp(v.created_at),
        own_frame_count=v.own_frame_count,
        published_at=timestamp(v.published_at),
        team=v.team,
    )


def tree_msg(node: VersionTreeNode) -> api.VersionNode:
    """Lineage tree node → API message."""
    return api.VersionNode(version=version_msg(node.version), children=[tree_msg(c) for c in node.children])


def stats_msg(v: Version, s: Stats) -> api.VersionStats:
    """Version statistics → API message."""
    return api.VersionStats(
        version_id=v.version_id,
        frame_count=v.frame_count,
        annotated_frame_count=max(0, s.annotated_frames),
        roi_count=max(0, s.rois),
        roi_labels=[api.LabelCount(label=k, count=n) for k, n in s.roi_labels],
        frame_labels=[api.LabelCount(label=k, count=n) for k, n in s.frame_labels],
        rois_per_frame=_per_frame(v.frame_count, s.rois_per_frame),
    )


def _per_frame(frame_count: int, counted: list[tuple[int, int]] | None) -> list[api.RoisPerFrame]:
    """Frames per number of ROIs with the frames without ROIs first (none when not asked)."""
    if counted is None:
        return []
    empty = max(0, frame_count - sum(n for _, n in counted))
    return [api.RoisPerFrame(rois=0, frames=empty), *(api.RoisPerFrame(rois=r, frames=n) for r, n in counted)]
