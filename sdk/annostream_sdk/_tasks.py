"""Client methods for tasks and the iterator (next frame, leases, navigation, progress)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

from .errors import NotFound
from .models_tasks import Heartbeat, Lease, Navigation, Released, Task, TaskInfo, TaskListItem, TaskPage, TaskProgress
from .transport import Transport

NavigateAction = Literal["trail_previous", "trail_next", "annotated_next", "annotated_previous", "jump", "locate"]


class TasksApi:
    """Tasks (create, list, info, complete/reopen/delete, label colors) and the iterator's leases."""

    _t: Transport

    def create_task(
        self,
        name: str,
        dataset_version_id: str,
        *,
        selection: Mapping[str, Any] | None = None,
        order: Literal["sequential", "random"] = "sequential",
        random_seed: int | None = None,
        limit: int = 0,
        clip_length: int = 0,
        label_set: Sequence[str] = (),
        default_labels: Sequence[str] = (),
        review: Literal["off", "all", "sample"] = "off",
        sample_percent: int = 0,
        reviewer_may_review_own: bool = False,
        rework_by: Literal["annotator", "any"] = "annotator",
    ) -> Task:
        """Create a task; on a Published version it annotates a new Draft child named like the task.
        `selection` is `{"mode": "all"|"empty"|"custom", "filters": [...]}` (docs/filters.md). `review` (with
        `sample_percent` for "sample", `reviewer_may_review_own`, `rework_by`) holds from the task's first frame."""
        body: dict[str, Any] = {
            "name": name,
            "dataset_version_id": dataset_version_id,
            "iteration": {"order": order, "random_seed": random_seed, "limit": limit, "clip_length": clip_length},
            "label_set": list(label_set),
            "default_labels": list(default_labels),
        }
        if selection is not None:
            body["selection"] = dict(selection)
        if review != "off" or sample_percent or reviewer_may_review_own or rework_by != "annotator":
            body["review"] = {
                "mode": review,
                "sample_percent": sample_percent,
                "reviewer_may_review_own": reviewer_may_review_own,
                "rework_by": rework_by,
            }
        return Task.model_validate(self._t.json("create_task", json=body))

    def list_tasks(
        self,
        *,
        page_size: int = 50,
        page_token: str | None = None,
        status: Literal["active", "completed", "all"] = "all",
        dataset_id: str | None = None,
        scope: Literal["team", "mine"] = "team",
        sort: Literal["recent", "name"] = "recent",
        my_reviews: bool = False,
    ) -> TaskPage:
        """One page of the team's tasks, each with its progress and version names; `my_reviews`: only tasks with
        the caller's review work (frames waiting they may review, a review lease they hold, frames they decided)."""
        params = {
            "page_size": page_size,
            "page_token": page_token,
            "status": status,
            "dataset_id": dataset_id,
            "scope": scope,
            "sort": sort,
        }
        if my_reviews:
            params["my_reviews"] = "true"
        return TaskPage.model_validate(self._t.json("list_tasks", params=params))

    def iter_tasks(self, *, page_size: int = 100, **options: Any) -> Iterator[TaskListItem]:
        """Every task matching the `list_tasks` options, page by page."""
        token: str | None = None
        while True:
            page = self.list_tasks(page_size=page_size, page_token=token, **options)
            yield from page.tasks
            if not (token := page.next_page_token):
                return

    def get_task(self, task_id: str) -> TaskInfo:
        """The task with its versions and progress."""
        return TaskInfo.model_validate(self._t.json("get_task", {"task_id": task_id}))

    def complete_task(self, task_id: str) -> Task:
        """Mark the task Completed (its owner or a team admin); it leases nothing from then on."""
        return Task.model_validate(self._t.json("complete_task", {"task_id": task_id}))

    def reopen_task(self, task_id: str) -> Task:
        """Make a Completed task Active again."""
        return Task.model_validate(self._t.json("reopen_task", {"task_id": task_id}))

    def delete_task(self, task_id: str) -> None:
        """Delete the task (its annotated version and events stay)."""
        self._t.send("delete_task", {"task_id": task_id})

    def set_label_color(self, task_id: str, label: str, color: str) -> Task:
        """Set a label's `#rrggbb` color for everyone annotating the task."""
        body = {"label": label, "color": color}
        return Task.model_validate(self._t.json("set_label_color", {"task_id": task_id}, json=body))

    def next_frame(self, task_id: str, *, complete_lease_id: str | None = None, wait: float = 0.0) -> Lease:
        """Lease the task's next frame to the caller (`frame` None when none is free; `exhausted` when all are
        done), finishing `complete_lease_id` first. A new task's plan is built from events: `wait` seconds of
        polling while the task answers NotFound."""
        body = {"complete_lease_id": complete_lease_id} if complete_lease_id else None
        deadline = time.monotonic() + wait
        while True:
            try:
                return Lease.model_validate(self._t.json("next_frame", {"task_id": task_id}, json=body))
            except NotFound:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def heartbeat(self, task_id: str, lease_id: str) -> Heartbeat:
        """Extend the caller's lease (Aborted/Conflict when it is no longer held)."""
        return Heartbeat.model_validate(self._t.json("heartbeat", {"task_id": task_id, "lease_id": lease_id}))

    def release(self, task_id: str, lease_id: str, *, done: bool = False) -> Released:
        """Give the leased frames back to the queue, or finish them (`done=True`)."""
        path = {"task_id": task_id, "lease_id": lease_id}
        return Released.model_validate(self._t.json("release", path, json={"done": done}))

    def navigate(
        self,
        task_id: str,
        action: NavigateAction,
        *,
        from_position: int = 0,
        from_trail_index: int = 0,
        steps: int = 0,
        frame_id: str = "",
    ) -> Navigation:
        """Where an editor control leads (read-only): trail previous/next, previous/next annotated, jump by N, or
        where `frame_id` stands in the plan (locate)."""
        params: dict[str, str | int] = {
            "action": action,
            "from_position": from_position,
            "from_trail_index": from_trail_index,
            "steps": steps,
        }
        if frame_id:
            params["frame_id"] = frame_id
        return Navigation.model_validate(self._t.json("navigate", {"task_id": task_id}, params=params))

    def task_progress(self, task_id: str) -> TaskProgress:
        """Done / total, frames leased now, and per annotator."""
        return TaskProgress.model_validate(self._t.json("task_progress", {"task_id": task_id}))
