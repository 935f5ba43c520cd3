"""Publishing a version refuses while active tasks annotate it: the caller's team's tasks named, others counted."""

from __future__ import annotations

import pytest

from annostream_datasets.domain.model import Version, VersionStatus
from annostream_kernel.errors import FailedPrecondition

DRAFT = Version("ver_1", "ds_1", "v1", None, VersionStatus.DRAFT, team="a")


def test_a_version_no_active_task_annotates_may_be_published() -> None:
    DRAFT.ensure_no_active_tasks([], 0)


def test_the_callers_tasks_are_named_and_other_teams_only_counted() -> None:
    with pytest.raises(FailedPrecondition) as refused:
        DRAFT.ensure_no_active_tasks(["task_1", "task_2"], 1)
    err = refused.value
    assert err.field == "version_id" and err.details == {"task_ids": ["task_1", "task_2"], "other_teams_tasks": 1}
    assert "2 of your team's (task_1, task_2) and 1 of other teams: complete or delete them first" in err.message


def test_only_other_teams_tasks_are_counted_without_ids() -> None:
    with pytest.raises(FailedPrecondition) as refused:
        DRAFT.ensure_no_active_tasks([], 3)
    assert "task_" not in refused.value.message and "3 of other teams" in refused.value.message
    assert refused.value.details == {"task_ids": [], "other_teams_tasks": 3}


def test_many_tasks_are_shown_five_at_most_in_the_message() -> None:
    ids = [f"task_{i}" for i in range(7)]
    with pytest.raises(FailedPrecondition) as refused:
        DRAFT.ensure_no_active_tasks(ids, 0)
    assert "7 of your team's (task_0, task_1, task_2, task_3, task_4 ...)" in refused.value.message
    assert refused.value.details["task_ids"] == ids
