"""Time travel: replay to a version, and compensating events (revert, undo, redo) — history is never rewritten."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from annostream_kernel.errors import Conflict, FailedPrecondition

from . import events as ev
from .conflicts import Item
from .events import Event
from .model import FrameAggregate


def replay(events: Iterable[Event], sources: dict[str, tuple[int, int]] | None = None) -> FrameAggregate:
    """The state after applying `events` to an empty frame."""
    agg = FrameAggregate(None, 0, sources or {})
    for e in events:
        agg.apply(e)
    return agg


def items_of(events: Iterable[Event]) -> set[Item]:
    """Everything the events changed (an inherited snapshot counts as every ROI, label and the metadata)."""
    out: set[Item] = set()
    for e in events:
        if isinstance(e, ev.FrameInherited):
            snap = e.snapshot
            out.update(("roi", r["roi_id"]) for r in snap.get("rois", []))
            out.update(("frame_label", label) for label in snap.get("frame_labels", []))
            out.add(("frame_metadata", ""))
        else:
            out.add(e.touches())
    return out


def value(agg: FrameAggregate, item: Item) -> Any:
    """The value of one item in a state (None when absent)."""
    kind, key = item
    if kind == "roi":
        return agg.rois.get(key)
    if kind == "frame_label":
        return key in agg.frame_labels
    return agg.metadata


def compensate(current: FrameAggregate, target: FrameAggregate, items: set[Item] | None = None) -> list[Event]:
    """Events that turn `current` into `target` (restricted to `items` when given); locked ROIs only change lock."""
    if items is None:
        items = {("roi", r) for r in {*current.rois, *target.rois}}
        items |= {("frame_label", label) for label in {*current.frame_labels, *target.frame_labels}}
        items.add(("frame_metadata", ""))
    events: list[Event] = []
    for kind, key in sorted(items):
        now, then = value(current, (kind, key)), value(target, (kind, key))
        if now == then:
            continue
        if kind == "roi":
            if (
                now is not None
                and now.get("locked")
                and (then is None or {**now, "locked": False} != {**then, "locked": False})
            ):
                raise FailedPrecondition(
                    f"ROI {key!r} is locked: unlock it first", field="roi_id", details={"roi_id": key}
                )
            if then is None:
                events.append(ev.RoiDeleted(key, list(now["labels"])))
            else:
                events.append(ev.RoiRestored(key, then, list(now["labels"]) if now else []))
        elif kind == "frame_label":
            events.append(ev.FrameLabelAdded(key) if then else ev.FrameLabelRemoved(key))
        else:
            events.append(ev.FrameMetadataSet(then))
    return events


def restore(
    current: FrameAggregate, items: set[Item], expected: FrameAggregate, target: FrameAggregate, action: str
) -> list[Event]:
    """Undo/redo: move `items` from their `expected` values to `target`, refusing if someone changed them since."""
    for item in sorted(items):
        if value(current, item) != value(expected, item):
            kind, key = item
            raise Conflict(
                f"cannot {action}: {kind.replace('_', ' ')} {key!r} was changed since",
                field="frame",
                details={"item": kind, "roi_id": key if kind == "roi" else None},
            )
    return compensate(current, target, items)
