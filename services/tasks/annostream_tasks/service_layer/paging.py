"""Opaque page tokens of the task list (keyset paging in the list's order)."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import bad_text

from ..domain.model import SortBy, Task


def encode_cursor(t: Task, sort: SortBy) -> str:
    """Opaque page token for keyset paging in the given order."""
    assert t.updated_at is not None
    key = t.updated_at.isoformat() if sort is SortBy.RECENT else t.name.lower()
    return base64.urlsafe_b64encode(json.dumps([sort.value, key, t.task_id]).encode()).decode()


def decode_cursor(token: str, sort: SortBy) -> tuple[Any, str]:
    """Invert encode_cursor; a bad token (or one of another sort order) is INVALID_ARGUMENT."""
    try:
        kind, key, task_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        if bad_text(str(key)) or bad_text(str(task_id)):
            raise ValueError("not storable text")
        if kind == sort.value:
            return (datetime.fromisoformat(key) if sort is SortBy.RECENT else str(key)), str(task_id)
    except Exception as exc:
        raise InvalidArgument("is not a token returned by ListTasks", field="page_token") from exc
    raise InvalidArgument(f"was returned for sort {kind!r}, not {sort.value!r}", field="page_token")
