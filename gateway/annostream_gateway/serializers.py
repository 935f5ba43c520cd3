"""Protobuf responses → the JSON shapes of the HTTP API."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from annostream_kernel.protobuf import json_value, metadata_of
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.events.v1 import datasets_pb2, tasks_pb2
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import filters_pb2 as f
from annostream_protos.types.v1 import frames_pb2 as t

VERSION_STATUS = {
    datasets_pb2.VERSION_STATUS_DRAFT: "draft",
    datasets_pb2.VERSION_STATUS_PUBLISHED: "published",
}
TASK_STATUS = {tk.TASK_STATUS_ACTIVE: "active", tk.TASK_STATUS_COMPLETED: "completed"}
ORDER = {tasks_pb2.ITERATION_ORDER_SEQUENTIAL: "sequential", tasks_pb2.ITERATION_ORDER_RANDOM: "random"}
ROI_TYPE = {
    t.ROI_TYPE_RECTANGLE: "rectangle",
    t.ROI_TYPE_ELLIPSE: "ellipse",
    t.ROI_TYPE_POLYGON: "polygon",
    t.ROI_TYPE_KEYPOINTS: "keypoints",
}


def ts(value: Timestamp) -> str | None:
    """Timestamp → ISO 8601 (None when unset)."""
    return value.ToDatetime().isoformat() + "Z" if value.seconds or value.nanos else None


def dataset(d: ds.Dataset) -> dict[str, Any]:
    return {
        "dataset_id": d.dataset_id,
        "name": d.name,
        "team": d.team,
        "created_at": ts(d.created_at),
        "task_count": d.task_count,
        "shared_with": list(d.shared_with),
    }


def version(v: ds.Version) -> dict[str, Any]:
    return {
        "version_id": v.version_id,
        "dataset_id": v.dataset_id,
        "name": v.name,
        "parent_version_id": v.parent_version_id or None,
        "status": VERSION_STATUS.get(v.status, "unknown"),
        "frame_count": v.frame_count,
        "own_frame_count": v.own_frame_count,
        "created_at": ts(v.created_at),
        "published_at": ts(v.published_at),
        "team": v.team,
    }


def task(x: tk.Task) -> dict[str, Any]:
    it = x.iteration
    return {
        "task_id": x.task_id,
        "name": x.name,
        "owner": x.owner,
        "team": x.team,
        "dataset_id": x.dataset_id,
        "source_version_id": x.source_version_id,
        "annotated_version_id": x.annotated_version_id,
        "iteration": {
            "order": ORDER.get(it.order, "sequential"),
            "random_seed": it.random_seed,
            "limit": it.limit,
            "clip_length": it.clip_length,
        },
        "default_labels": list(x.default_labels),
        "label_set": list(x.label_set),
        "label_colors": dict(sorted(x.label_colors.items())),
        "selection": selection(x.selection),
        "status": TASK_STATUS.get(x.status, "unknown"),
        "created_at": ts(x.created_at),
        "updated_at": ts(x.updated_at),
        "completed_at": ts(x.completed_at),
    }


def roi(r: t.Roi) -> dict[str, Any]:
    return {
        "roi_id": r.roi_id,
        "type": ROI_TYPE.get(r.type, "unknown"),
        "points": [[p.x, p.y] for p in r.points],
        "labels": list(r.labels),
        "confidence": r.confidence if r.HasField("confidence") else None,
        "source_id": r.source_id,
        "metadata": metadata_of(r),
        "locked": r.locked,
    }


def frame_ref(f: t.FrameRef) -> dict[str, Any]:
    return {"dataset_id": f.dataset_id or None, "version_id": f.version_id, "frame_id": f.frame_id}


def base_frame(f: t.Frame) -> dict[str, Any]:
    """A frame as imported (sources with their masks, metadata), without its annotations."""
    return {
        "frame_id": f.frame_id,
        "context_id": f.context_id,
        "timestamp": f.timestamp,
        "sources": [
            {
                "id": s.id,
                "uri": s.uri,
                "width": s.width,
                "height": s.height,
                "timestamp": s.timestamp,
                "preview_uri": s.preview_uri,
                "masks": [{"id": m.id, "uri": m.uri} for m in s.masks],
            }
            for s in f.sources
        ],
        "metadata": metadata_of(f),
    }


def frame_state(s: ann.FrameState) -> dict[str, Any]:
    return {
        **frame_ref(s.frame),
        "version": s.version,
        "base": base_frame(s.base),
        "rois": [roi(r) for r in s.rois],
        "frame_labels": list(s.frame_labels),
        "metadata": metadata_of(s),
    }


def saved(r: ann.SaveFrameResponse) -> dict[str, Any]:
    """A save's answer: whenever it arrives the save is stored; `frame` is null with `frame_omitted` true when
    the frame was too large to carry (read it with GET), `version` is always the frame's version after it."""
    return {**changed(r), "rebased": r.rebased, "compact": False}


def compact_saved(r: ann.SaveFrameResponse, touched: set[str]) -> dict[str, Any]:
    """A save's compact answer: version, event ids and only what the save changed (see `SaveResult.compact`)."""
    s = r.frame
    rois = [roi(x) for x in s.rois if x.roi_id in touched]
    return {
        "frame": None,
        "event_ids": list(r.event_ids),
        "version": r.version,
        "frame_omitted": False,
        "rebased": False,
        "compact": True,
        "rois": rois,
        "removed_roi_ids": sorted(touched - {x["roi_id"] for x in rois}),
        "frame_labels": list(s.frame_labels),
        "metadata": metadata_of(s),
    }


def changed(
    r: ann.SaveFrameResponse | ann.RevertFrameResponse | ann.UndoSaveResponse | ann.RedoSaveResponse,
) -> dict[str, Any]:
    """The answer of a save, revert, undo or redo (see `saved`)."""
    return {
        "frame": None if r.frame_omitted else frame_state(r.frame),
        "event_ids": list(r.event_ids),
        "version": r.version,
        "frame_omitted": r.frame_omitted,
    }


def frame_event(e: ann.FrameEvent) -> dict[str, Any]:
    return {
        "version": e.version,
        "event_id": e.event_id,
        "type": e.type,
        "actor": e.actor,
        "occurred_at": ts(e.occurred_at),
        "task_id": e.task_id or None,
        "roi_id": e.roi_id or None,
        "data": json.loads(e.data_json) if e.data_json else json_value(e.data),
        "data_omitted": e.data_omitted,
    }


FILTER_MODE = {f.FILTER_MODE_ALL: "all", f.FILTER_MODE_EMPTY: "empty", f.FILTER_MODE_CUSTOM: "custom"}
ROI_RULE_KIND = {f.ROI_RULE_KIND_INCLUDE: "include", f.ROI_RULE_KIND_EXCLUDE: "exclude"}


def selection(s: f.FrameSelection) -> dict[str, Any]:
    return {
        "mode": FILTER_MODE.get(s.mode, "all"),
        "filters": [
            {
                "roi_rules": [
                    {
                        "kind": ROI_RULE_KIND.get(r.kind, "include"),
                        "label_expression": r.label_expression,
                        **{
                            k: getattr(r, k)
                            for k in ("min_count", "max_count", "min_confidence", "max_confidence")
                            if r.HasField(k)
                        },
                    }
                    for r in x.roi_rules
                ],
                "frame_query": x.frame_query,
                "source_query": x.source_query,
            }
            for x in s.filters
        ],
    }


def version_tree(n: ds.VersionNode) -> dict[str, Any]:
    return {**version(n.version), "children": [version_tree(c) for c in n.children]}


def version_stats(s: ds.VersionStats) -> dict[str, Any]:
    return {
        "version_id": s.version_id,
        "frame_count": s.frame_count,
        "annotated_frame_count": s.annotated_frame_count,
        "roi_count": s.roi_count,
        "roi_labels": {c.label: c.count for c in s.roi_labels},
        "frame_labels": {c.label: c.count for c in s.frame_labels},
        "rois_per_frame": {str(b.rois): b.frames for b in s.rois_per_frame} if s.rois_per_frame else None,
    }


def task_info(r: tk.GetTaskResponse) -> dict[str, Any]:
    def summary(v: tk.VersionSummary) -> dict[str, Any] | None:
        if not v.version_id:
            return None
        return {
            "version_id": v.version_id,
            "name": v.name,
            "status": VERSION_STATUS.get(v.status, "unknown"),
            "frame_count": v.frame_count,
            "parent_version_id": v.parent_version_id or None,
        }

    return {
        **task(r.task),
        "source_version": summary(r.source_version),
        "annotated_version": summary(r.annotated_version),
        "progress": {
            "done": r.progress.done,
            "total": r.progress.total,
            "known": r.progress.known,
            "plan_pending": r.progress.plan_pending,
        },
    }
