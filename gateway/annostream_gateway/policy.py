"""Every HTTP route (and the live WebSocket) classified against the authorization policy.

A route is checked by the service it calls (the gRPC method named here: its rule in `annostream_kernel.policy`
applies), or, for the few routes that call none, by the rule given here. The route matrix test walks
/openapi.json and fails on a route nobody classified; docs/architecture.md ("Authorization") renders this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from annostream_kernel.policy import GRPC_METHODS, Permission, Rule, Target


@dataclass(frozen=True)
class Route:
    """How a route is authorized: by the gRPC method it calls (`method`), or by its own `rule`."""

    method: str = ""
    rule: Rule | None = None

    @property
    def effective(self) -> Rule:
        """The rule a caller meets on this route."""
        if self.rule is not None:
            return self.rule
        return GRPC_METHODS[self.method]


def _svc(service: str, method: str) -> Route:
    return Route(method=f"/annostream.{service}.v1.{service.capitalize()}Service/{method}")


def _rv(method: str) -> Route:
    return Route(method=f"/annostream.iterator.v1.ReviewService/{method}")


DS = "datasets"
TK = "tasks"
IT = "iterator"
AN = "annotation"
WH = "webhooks"
V = "/api/v1/versions/{version_id}"
F = V + "/frames/{frame_id}"
T = "/api/v1/tasks/{task_id}"
W = "/api/v1/webhooks/{webhook_id}"

ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/healthz"): Route(rule=Rule(None, Target.PUBLIC)),
    ("GET", "/readyz"): Route(rule=Rule(None, Target.PUBLIC)),
    ("GET", "/metrics"): Route(rule=Rule(None, Target.PUBLIC)),  # scrapers carry no identity (docs/deploy.md)
    ("GET", "/api/v1/me"): Route(rule=Rule(None, Target.NONE)),
    ("POST", "/api/v1/datasets"): _svc(DS, "CreateDataset"),
    ("GET", "/api/v1/datasets"): _svc(DS, "ListDatasets"),
    ("GET", "/api/v1/datasets/{dataset_id}"): _svc(DS, "GetDataset"),
    ("PATCH", "/api/v1/datasets/{dataset_id}"): _svc(DS, "RenameDataset"),
    ("DELETE", "/api/v1/datasets/{dataset_id}"): _svc(DS, "DeleteDataset"),
    ("PUT", "/api/v1/datasets/{dataset_id}/sharing"): _svc(DS, "SetDatasetSharing"),
    ("POST", "/api/v1/datasets/{dataset_id}/versions"): _svc(DS, "CreateVersion"),
    ("GET", "/api/v1/datasets/{dataset_id}/versions"): _svc(DS, "ListVersions"),
    ("GET", V): _svc(DS, "GetVersion"),
    ("DELETE", V): _svc(DS, "DeleteVersion"),
    ("POST", V + "/publish"): _svc(DS, "PublishVersion"),
    ("GET", V + "/stats"): _svc(DS, "GetVersionStats"),
    ("GET", V + "/frames"): _svc(DS, "ListFrames"),
    ("POST", V + "/frames"): _svc(DS, "ImportFrames"),
    ("POST", "/api/v1/tasks"): _svc(TK, "CreateTask"),
    ("GET", "/api/v1/tasks"): _svc(TK, "ListTasks"),
    ("GET", T): _svc(TK, "GetTask"),
    ("DELETE", T): _svc(TK, "DeleteTask"),
    ("POST", T + "/complete"): _svc(TK, "CompleteTask"),
    ("POST", T + "/reopen"): _svc(TK, "ReopenTask"),
    ("PUT", T + "/label-colors"): _svc(TK, "SetLabelColor"),
    ("POST", T + "/next-frame"): _svc(IT, "NextFrame"),
    ("POST", T + "/leases/{lease_id}/heartbeat"): _svc(IT, "Heartbeat"),
    ("POST", T + "/leases/{lease_id}/release"): _svc(IT, "ReleaseFrame"),
    ("GET", T + "/navigate"): _svc(IT, "Navigate"),
    ("GET", T + "/progress"): _svc(IT, "GetProgress"),
    ("GET", T + "/review-settings"): _rv("GetReviewSettings"),
    ("PUT", T + "/review-settings"): _rv("SetReviewSettings"),
    ("POST", T + "/next-review"): _rv("NextReview"),
    ("POST", T + "/review-leases/{lease_id}/accept"): _rv("AcceptFrame"),
    ("POST", T + "/review-leases/{lease_id}/reject"): _rv("RejectFrame"),
    ("POST", T + "/review-leases/{lease_id}/release"): _rv("ReleaseReview"),
    ("GET", T + "/frames/{frame_id}/review"): _rv("GetFrameReview"),
    ("GET", T + "/frames/{frame_id}/history"): _rv("GetFrameReview"),  # then the edits (READ on the version)
    ("POST", T + "/frames/{frame_id}/undo-decision"): _rv("UndoDecision"),
    ("POST", T + "/frames/{frame_id}/comments"): _rv("AddComment"),
    ("POST", T + "/comments/{comment_id}/resolve"): _rv("ResolveComment"),
    ("POST", T + "/comments/{comment_id}/reopen"): _rv("ReopenComment"),
    ("GET", T + "/quality"): _rv("GetReviewQuality"),
    ("GET", F): _svc(AN, "GetFrame"),
    ("POST", F + "/save"): _svc(AN, "SaveFrame"),
    ("GET", F + "/events"): _svc(AN, "ListFrameEvents"),
    ("GET", F + "/at"): _svc(AN, "GetFrameAt"),
    ("POST", F + "/revert"): _svc(AN, "RevertFrame"),
    ("POST", F + "/undo"): _svc(AN, "UndoSave"),
    ("POST", F + "/redo"): _svc(AN, "RedoSave"),
    ("GET", V + "/export"): _svc(AN, "ExportFrames"),
    ("GET", T + "/export"): _svc(AN, "ExportFrames"),  # after GetTask (READ on the task)
    ("GET", "/api/v1/media"): _svc(AN, "GetFrame"),  # a source of a frame the caller may read
    ("POST", "/api/v1/webhooks"): _svc(WH, "CreateWebhook"),
    ("GET", "/api/v1/webhooks"): _svc(WH, "ListWebhooks"),
    ("GET", W): _svc(WH, "GetWebhook"),
    ("PATCH", W): _svc(WH, "UpdateWebhook"),
    ("DELETE", W): _svc(WH, "DeleteWebhook"),
    ("GET", W + "/deliveries"): _svc(WH, "ListDeliveries"),
    ("POST", W + "/deliveries/{delivery_id}/resend"): _svc(WH, "ResendDelivery"),
    ("WEBSOCKET", "/api/v1/live/versions/{version_id}/frames/{frame_id}"): _svc(DS, "GetVersion"),
}
"""(HTTP method, path template) → how it is authorized. Routes outside /openapi.json: the web UI's static files
and `/plain` (which lists through ListTasks) answer without identity in dev mode like every route."""


def permission_of(method: str, path: str) -> Permission | None:
    """The permission a route needs (None: identity only, or public)."""
    return ROUTES[(method, path)].effective.permission
