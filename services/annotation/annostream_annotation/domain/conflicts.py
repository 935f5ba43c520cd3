"""Rebase rule for concurrent saves: a batch applies on top of newer events unless they touched the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annostream_kernel.errors import Conflict

from . import events as ev
from .commands import ALL_ROIS, Command
from .events import Event, Item

__all__ = ["ALL_ROIS", "Item", "NewerEvent", "check_rebase", "rebase_and_decide", "touched_by"]


@dataclass(frozen=True)
class NewerEvent:
    """An event the client had not seen, with who wrote it."""

    event: Event
    version: int
    event_id: str
    actor: str


def touched_by(commands: tuple[Command, ...]) -> set[Item]:
    """What a batch changes, as each command declares it (ROIs by id, frame labels, frame metadata, every ROI)."""
    return set().union(*(cmd.touches() for cmd in commands))


def check_rebase(commands: tuple[Command, ...], newer: list[NewerEvent], expected: int, current: int) -> None:
    """Raise Conflict (ABORTED) naming the ROI, actor and event when a newer event touched what the batch touches."""
    mine = touched_by(commands)
    for n in newer:
        kind, key = n.event.touches()
        same = (kind, key) in mine or (kind == "roi" and ALL_ROIS in mine and not isinstance(n.event, ev.RoiCreated))
        if same:
            details: dict[str, Any] = {
                "roi_id": key if kind == "roi" else None,
                "item": kind,
                "actor": n.actor,
                "event_id": n.event_id,
                "event_type": n.event.kind,
                "event_version": n.version,
                "expected_version": expected,
                "current_version": current,
            }
            what = (
                f"ROI {key!r}"
                if kind == "roi"
                else ("frame metadata" if kind == "frame_metadata" else f"frame label {key!r}")
            )
            raise Conflict(
                f"{what} was changed by {n.actor or 'someone'} ({n.event.kind}, version {n.version}) after version "
                f"{expected}; reload and decide whose change to keep",
                field="expected_version",
                details=details,
            )


def rebase_and_decide(
    state: Any, commands: tuple[Command, ...], newer: list[NewerEvent], expected: int, current: int
) -> list[Event]:
    """The save rule: refuse a same-item conflict with newer events, else decide the batch on the current state."""
    if expected < current:
        check_rebase(commands, newer, expected, current)
    return [e for i, cmd in enumerate(commands) for e in state.decide(cmd, i)]
