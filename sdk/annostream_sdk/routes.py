"""Every API operation the SDK calls, by the name of the Client method that calls it (the coverage test compares
this table with /openapi.json), and the operations it leaves out on purpose, with the reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    """An operation: method, path template, and whether repeating it is harmless (retried on 503 / lost answers)."""

    method: str
    path: str
    idempotent: bool


def _r(method: str, path: str, idempotent: bool | None = None) -> Route:
    return Route(method, path, method in ("GET", "PUT", "DELETE") if idempotent is None else idempotent)


V1 = "/api/v1"
FRAME = V1 + "/versions/{version_id}/frames/{frame_id}"
ROUTES: dict[str, Route] = {
    # health and identity
    "health": _r("GET", "/healthz"),
    "readiness": _r("GET", "/readyz"),
    "me": _r("GET", V1 + "/me"),
    # datasets and versions
    "create_dataset": _r("POST", V1 + "/datasets"),
    "list_datasets": _r("GET", V1 + "/datasets"),
    "get_dataset": _r("GET", V1 + "/datasets/{dataset_id}"),
    "rename_dataset": _r("PATCH", V1 + "/datasets/{dataset_id}", idempotent=True),
    "delete_dataset": _r("DELETE", V1 + "/datasets/{dataset_id}"),
    "share_dataset": _r("PUT", V1 + "/datasets/{dataset_id}/sharing"),
    "create_version": _r("POST", V1 + "/datasets/{dataset_id}/versions"),
    "list_versions": _r("GET", V1 + "/datasets/{dataset_id}/versions"),
    "get_version": _r("GET", V1 + "/versions/{version_id}"),
    "delete_version": _r("DELETE", V1 + "/versions/{version_id}"),
    "publish_version": _r("POST", V1 + "/versions/{version_id}/publish"),
    "version_stats": _r("GET", V1 + "/versions/{version_id}/stats"),
    "list_frames": _r("GET", V1 + "/versions/{version_id}/frames"),
    # an import is idempotent by frame id: a repeated batch answers `skipped` for the frames it already wrote
    "import_batch": _r("POST", V1 + "/versions/{version_id}/frames", idempotent=True),
    "media": _r("GET", V1 + "/media"),
    # tasks and the iterator
    "create_task": _r("POST", V1 + "/tasks"),
    "list_tasks": _r("GET", V1 + "/tasks"),
    "get_task": _r("GET", V1 + "/tasks/{task_id}"),
    "delete_task": _r("DELETE", V1 + "/tasks/{task_id}"),
    "complete_task": _r("POST", V1 + "/tasks/{task_id}/complete"),
    "reopen_task": _r("POST", V1 + "/tasks/{task_id}/reopen"),
    "set_label_color": _r("PUT", V1 + "/tasks/{task_id}/label-colors"),
    "next_frame": _r("POST", V1 + "/tasks/{task_id}/next-frame"),
    "heartbeat": _r("POST", V1 + "/tasks/{task_id}/leases/{lease_id}/heartbeat", idempotent=True),
    "release": _r("POST", V1 + "/tasks/{task_id}/leases/{lease_id}/release"),
    "navigate": _r("GET", V1 + "/tasks/{task_id}/navigate"),
    "task_progress": _r("GET", V1 + "/tasks/{task_id}/progress"),
    # the review stage (reviewers' leases, comments, quality)
    "review_settings": _r("GET", V1 + "/tasks/{task_id}/review-settings"),
    "set_review_settings": _r("PUT", V1 + "/tasks/{task_id}/review-settings"),
    "next_review": _r("POST", V1 + "/tasks/{task_id}/next-review"),
    "accept_frame": _r("POST", V1 + "/tasks/{task_id}/review-leases/{lease_id}/accept"),
    "reject_frame": _r("POST", V1 + "/tasks/{task_id}/review-leases/{lease_id}/reject"),
    "release_review": _r("POST", V1 + "/tasks/{task_id}/review-leases/{lease_id}/release"),
    "frame_review": _r("GET", V1 + "/tasks/{task_id}/frames/{frame_id}/review"),
    "task_frame_history": _r("GET", V1 + "/tasks/{task_id}/frames/{frame_id}/history"),
    "undo_decision": _r("POST", V1 + "/tasks/{task_id}/frames/{frame_id}/undo-decision"),
    "add_comment": _r("POST", V1 + "/tasks/{task_id}/frames/{frame_id}/comments"),
    "resolve_comment": _r("POST", V1 + "/tasks/{task_id}/comments/{comment_id}/resolve", idempotent=True),
    "reopen_comment": _r("POST", V1 + "/tasks/{task_id}/comments/{comment_id}/reopen", idempotent=True),
    "task_quality": _r("GET", V1 + "/tasks/{task_id}/quality"),
    # frames: read, save (idempotent through its idempotency key, which the SDK always sends), history
    "get_frame": _r("GET", FRAME),
    "save_frame": _r("POST", FRAME + "/save", idempotent=True),
    "frame_history": _r("GET", FRAME + "/events"),
    "frame_at": _r("GET", FRAME + "/at"),
    "revert_frame": _r("POST", FRAME + "/revert"),
    "undo": _r("POST", FRAME + "/undo"),
    "redo": _r("POST", FRAME + "/redo"),
    # exports (streamed downloads)
    "export_version": _r("GET", V1 + "/versions/{version_id}/export"),
    "export_task": _r("GET", V1 + "/tasks/{task_id}/export"),
    # webhooks (team admins)
    "create_webhook": _r("POST", V1 + "/webhooks"),
    "list_webhooks": _r("GET", V1 + "/webhooks"),
    "get_webhook": _r("GET", V1 + "/webhooks/{webhook_id}"),
    "update_webhook": _r("PATCH", V1 + "/webhooks/{webhook_id}", idempotent=True),
    "delete_webhook": _r("DELETE", V1 + "/webhooks/{webhook_id}"),
    "list_deliveries": _r("GET", V1 + "/webhooks/{webhook_id}/deliveries"),
    "resend_delivery": _r("POST", V1 + "/webhooks/{webhook_id}/deliveries/{delivery_id}/resend"),
}

# Operations of /openapi.json the SDK does not call, with the reason (the live WebSocket is not an
# OpenAPI operation; the web UI's pages are not in the spec).
NOT_COVERED: dict[tuple[str, str], str] = {
    ("GET", "/metrics"): "Prometheus text for scrapers (annostream status and Prometheus read it), not for scripts",
}
