"""The server-rendered task list (served at /plain, and at / without a built UI)."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

from annostream_kernel.errors import DomainError
from annostream_kernel.grpc_client import call
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk

from .. import serializers
from ..clients import Clients
from .tasks import task_progress


async def home(c: Clients, user: str, dev_auth: bool) -> HTMLResponse:
    """A plain page listing the team's tasks (routes/web.py serves it)."""
    try:
        resp = await call(c.tasks.ListTasks, tk.ListTasksRequest(page_size=100), timeout=c.timeout)
        progress = await task_progress(c, [x.task_id for x in resp.tasks])

        def done(task_id: str) -> str:
            p = progress[task_id]
            return f"{p['done']} / {p['total']}" if p["known"] else "—"

        rows = "".join(
            "<tr class='task-row'><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class='progress'>{}</td><td>{}</td>"
            "</tr>".format(
                *(
                    html.escape(str(x))
                    for x in (
                        t["name"],
                        t["annotated_version_id"],
                        t["owner"],
                        t["status"],
                        done(t["task_id"]),
                        t["created_at"],
                    )
                )
            )
            for t in map(serializers.task, resp.tasks)
        )
        body = (
            f"<p>{resp.total_size} task(s)</p><table id='tasks'><tr><th>Name</th><th>Version</th>"
            f"<th>Owner</th><th>Status</th><th>Done</th><th>Created</th></tr>{rows}</table>"
        )
    except DomainError as err:
        body = f"<p class='error'>Tasks unavailable: {html.escape(err.message)}</p>"
    how = "dev mode" if dev_auth else "via the proxy"
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>annostream</title></head><body>"
        f"<h1>annostream — Annotations</h1><p>Signed in as {html.escape(user)} ({how})</p>{body}"
        f"<p><a href='/docs'>API docs</a> · <a href='/openapi.json'>OpenAPI</a></p></body></html>"
    )
    return HTMLResponse(page)
