"""Client methods for frames: read, save editor commands, history, time travel, revert, undo/redo, and the lazy
`frames()` iteration of a version's frames with their annotations."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx

from .commands import Command
from .errors import ExportFailed, NotFound
from .models import AnnotatedFrame, BaseFrame, EditResult, FrameEvent, FrameHistory, FrameState, SaveResult
from .transport import Transport


def _annotated(state: FrameState) -> AnnotatedFrame:
    b = state.base
    return AnnotatedFrame(
        version_id=state.version_id,
        frame_id=state.frame_id,
        context_id=b.context_id,
        timestamp=b.timestamp,
        sources=b.sources,
        metadata=state.metadata,
        rois=state.rois,
        frame_labels=state.frame_labels,
        version=state.version,
    )


def _exported(version_id: str, line: dict[str, Any]) -> AnnotatedFrame:
    return AnnotatedFrame.model_validate(
        {
            "version_id": version_id,
            "frame_id": line["id"],
            **{k: line[k] for k in ("context_id", "timestamp", "sources", "metadata", "rois", "frame_labels")},
        }
    )


class FramesApi:
    """A frame's state, saves of editor commands (typed in `commands`), history and time travel."""

    _t: Transport

    def _frame(self, version_id: str, frame_id: str) -> dict[str, str]:
        return {"version_id": version_id, "frame_id": frame_id}

    def get_frame(self, version_id: str, frame_id: str) -> FrameState:
        """The frame with its annotations now."""
        return FrameState.model_validate(self._t.json("get_frame", self._frame(version_id, frame_id)))

    def save_frame(
        self,
        version_id: str,
        frame_id: str,
        commands: Sequence[Command],
        *,
        expected_version: int,
        task_id: str = "",
        idempotency_key: str | None = None,
        compact: bool = False,
    ) -> SaveResult:
        """Apply editor commands in order, atomically. Newer edits of others are merged under it unless they touch
        the same ROI (Aborted, with the ROI, actor and event in `details`). Every save carries an idempotency key
        (a new one unless given), so a save whose answer was lost is retried safely and stored once. `compact` asks
        for only what the save changed (`rois`, `removed_roi_ids`) instead of the whole frame, when it can."""
        body = {
            "expected_version": expected_version,
            "idempotency_key": idempotency_key or f"sdk-{uuid.uuid4()}",
            "task_id": task_id,
            "commands": [c.to_json() for c in commands],
        }
        params = {"answer": "compact"} if compact else None
        return SaveResult.model_validate(
            self._t.json("save_frame", self._frame(version_id, frame_id), json=body, params=params)
        )

    def frame_history(
        self, version_id: str, frame_id: str, *, after_version: int = 0, page_size: int = 100
    ) -> FrameHistory:
        """One page of the frame's events after `after_version` (`more` when there are further pages)."""
        params = {"after_version": after_version, "page_size": page_size}
        return FrameHistory.model_validate(
            self._t.json("frame_history", self._frame(version_id, frame_id), params=params)
        )

    def iter_frame_events(self, version_id: str, frame_id: str, *, page_size: int = 100) -> Iterator[FrameEvent]:
        """Every event of the frame, oldest first, page by page."""
        after = 0
        while True:
            page = self.frame_history(version_id, frame_id, after_version=after, page_size=page_size)
            yield from page.events
            if not page.more or not page.events:
                return
            after = page.events[-1].version

    def frame_at(
        self, version_id: str, frame_id: str, *, version: int | None = None, time: datetime | str | None = None
    ) -> FrameState:
        """The frame as it was at a stream version, or at a time (ISO 8601 or a datetime)."""
        when = time.isoformat() if isinstance(time, datetime) else time
        params = {"version": version, "time": when}
        return FrameState.model_validate(self._t.json("frame_at", self._frame(version_id, frame_id), params=params))

    def revert_frame(
        self, version_id: str, frame_id: str, *, to_version: int, expected_version: int, task_id: str = ""
    ) -> EditResult:
        """Make the frame equal to an earlier version (appends compensating events)."""
        body = {"to_version": to_version, "expected_version": expected_version, "task_id": task_id}
        return EditResult.model_validate(self._t.json("revert_frame", self._frame(version_id, frame_id), json=body))

    def undo(self, version_id: str, frame_id: str, *, task_id: str = "") -> EditResult:
        """Undo the caller's last save on the frame."""
        body = {"task_id": task_id}
        return EditResult.model_validate(self._t.json("undo", self._frame(version_id, frame_id), json=body))

    def redo(self, version_id: str, frame_id: str, *, task_id: str = "") -> EditResult:
        """Redo the caller's last undone save on the frame."""
        body = {"task_id": task_id}
        return EditResult.model_validate(self._t.json("redo", self._frame(version_id, frame_id), json=body))

    def frames(
        self,
        version_id: str,
        *,
        filter: str | None = None,
        source_filter: str | None = None,
        labels: str | None = None,
        stream: bool = False,
        page_size: int = 100,
        workers: int = 8,
        wait: float = 30.0,
    ) -> Iterator[AnnotatedFrame]:
        """Every frame of a version with its current annotations, lazily, in frame id order (the training loop).

        Without a filter: page by page, each page one short request for `page_size` frames and their states read
        by `workers` concurrent requests, so a consumer may pause for as long as it likes between frames; a frame
        imported a moment ago is waited for (up to `wait` seconds) until the annotation service knows it.
        With `stream=True`, or a `filter` (frame query, e.g. `meta.city:bremen`), `source_filter` or `labels`
        (docs/filters.md; only the export filters): one streamed JSON-lines export, read a line at a time (the server
        pages it; memory stays bounded; far faster, one request in all), which a consumer should read without long
        pauses (or export to a file first)."""
        if stream or filter or source_filter or labels:
            return self._filtered(version_id, filter or "", source_filter or "", labels or "")
        return self._paged(version_id, page_size, workers, wait)

    def _state(self, version_id: str, frame_id: str, wait: float) -> FrameState:
        deadline = time.monotonic() + wait
        while True:
            try:
                return self.get_frame(version_id, frame_id)
            except NotFound:  # listed by the datasets service, not yet known to the annotation service
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def _paged(self, version_id: str, page_size: int, workers: int, wait: float) -> Iterator[AnnotatedFrame]:
        token: str | None = None
        pool = ThreadPoolExecutor(max(workers, 1), thread_name_prefix="annostream-frames")
        try:
            while True:
                page = self._t.json(
                    "list_frames", {"version_id": version_id}, params={"page_size": page_size, "page_token": token}
                )
                ids = [BaseFrame.model_validate(f).frame_id for f in page["frames"]]
                for state in pool.map(lambda frame_id: self._state(version_id, frame_id, wait), ids):
                    yield _annotated(state)
                if not (token := page["next_page_token"]):
                    return
        finally:  # a consumer that stops early leaves no request of the page running
            pool.shutdown(wait=False, cancel_futures=True)

    def _filtered(self, version_id: str, query: str, source_query: str, labels: str) -> Iterator[AnnotatedFrame]:
        params = {"format": "jsonl", "filter": query, "source_filter": source_query, "labels": labels}
        with self._t.stream("export_version", {"version_id": version_id}, params=params) as resp:
            try:
                for raw in resp.iter_lines():
                    if raw.strip():
                        yield _exported(version_id, _line(raw))
            except httpx.TransportError as exc:
                raise ExportFailed(f"the export stream was cut short ({exc!r})") from exc


def _line(raw: str) -> dict[str, Any]:
    """One exported frame; the server's {"error": ...} line or a cut-off line raise ExportFailed."""
    try:
        line = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ExportFailed("the export stream was cut short (an incomplete line)") from exc
    if "error" in line and "id" not in line:
        raise ExportFailed(f"{line['error']}: {line.get('message')} (field {line.get('field')})")
    return dict(line)
