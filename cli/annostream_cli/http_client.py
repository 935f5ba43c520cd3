"""The CLI's one HTTP client of the gateway (import batches, export downloads): the only module that speaks HTTP,
so moving the commands onto the Python SDK replaces this file only."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx


class Gateway:
    """The gateway at `url`, called as `user` (and `team`) in dev mode."""

    def __init__(self, url: str, user: str, team: str = "", timeout: float = 120) -> None:
        headers = {"X-Annostream-User": user, **({"X-Annostream-Team": team} if team else {})}
        self.http = httpx.Client(base_url=url, headers=headers, timeout=timeout)
        self.url = url

    def import_frames(self, version_id: str, frames: list[Any], *, validate_only: bool = False) -> httpx.Response:
        """POST one atomic batch of frames (the response is returned whatever its status)."""
        params = {"validate_only": "true"} if validate_only else {}
        return self.http.post(f"/api/v1/versions/{version_id}/frames", json={"frames": frames}, params=params)

    def version(self, version_id: str) -> dict[str, Any] | None:
        """The version (None when it cannot be read)."""
        r = self.http.get(f"/api/v1/versions/{version_id}")
        return dict(r.json()) if r.status_code == 200 else None

    @contextlib.contextmanager
    def export(self, fmt: str, *, version_id: str = "", task_id: str = "", **filters: str) -> Iterator[httpx.Response]:
        """A streamed export download of a version (with filters) or of a task's frames."""
        if task_id:
            url, params = f"/api/v1/tasks/{task_id}/export", {"format": fmt}
        else:
            url, params = (
                f"/api/v1/versions/{version_id}/export",
                {"format": fmt, **{k: v for k, v in filters.items() if v}},
            )
        with self.http.stream("GET", url, params=params, timeout=httpx.Timeout(120, read=None)) as r:
            yield r

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()
