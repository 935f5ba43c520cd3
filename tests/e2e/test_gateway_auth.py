"""ANNOSTREAM_DEV_AUTH: dev-mode identity headers (the session's system) versus identity only from an
authenticating proxy's X-Auth-Request-User (a second gateway process with ANNOSTREAM_DEV_AUTH=false on the same
services)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from annostream_cli.embedded import free_port
from annostream_cli.stack import LocalStack

from .gateways import extra_gateway

pytestmark = pytest.mark.e2e

PROTECTED_PATHS = [
    ("get", "/api/v1/tasks"),
    ("get", "/api/v1/datasets"),
    ("post", "/api/v1/datasets"),
    ("get", "/api/v1/versions/nope/frames"),
    ("get", "/api/v1/media?uri=file:///etc/hostname&version_id=v&frame_id=f"),
    ("get", "/plain"),
    ("get", "/api/v1/me"),
]


@pytest.fixture(scope="module")
def proxied(system: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a gateway with ANNOSTREAM_DEV_AUTH=false (as behind oauth2-proxy) serving a small built UI."""
    base = tmp_path_factory.mktemp("proxied-gateway")
    web = base / "web"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>annostream</title>")
    (web / "assets" / "app.js").write_text("console.log('annostream')")
    with extra_gateway(system, base, ANNOSTREAM_DEV_AUTH="false", ANNOSTREAM_WEB_DIR=str(web)) as url:
        yield url


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json() if resp.content else None


def _task(c: httpx.Client, name: str, **headers: str) -> dict[str, Any]:
    ds = _ok(c.post("/api/v1/datasets", json={"name": name}, headers=headers), 201)
    v = _ok(c.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}, headers=headers), 201)
    body = {"name": name, "dataset_version_id": v["version_id"]}
    task: dict[str, Any] = _ok(c.post("/api/v1/tasks", json=body, headers=headers), 201)
    return task


def _live_path(version_id: str = "ver_x", frame_id: str = "f1") -> str:
    return f"/api/v1/live/versions/{version_id}/frames/{frame_id}"


def _ws(url: str) -> str:
    return url.replace("http://", "ws://", 1)


@pytest.mark.parametrize(("method", "path"), PROTECTED_PATHS)
def test_proxy_mode_answers_401_naming_x_auth_request_user_when_the_proxy_header_is_missing(
    proxied: str, method: str, path: str
) -> None:
    with httpx.Client(base_url=proxied, timeout=30) as c:
        for headers in ({}, {"X-Annostream-User": "mallory"}, {"X-Auth-Request-User": ""}):
            resp = c.request(method, path, headers=headers, json={"name": "x"} if method == "post" else None)
            assert resp.status_code == 401, (headers, resp.text)
            body = resp.json()
            assert body["error"] == "UNAUTHENTICATED" and body["field"] == "X-Auth-Request-User"
            assert "X-Auth-Request-User header is missing" in body["message"]


def test_proxy_mode_takes_the_user_from_x_auth_request_user_and_ignores_x_annostream_user(
    proxied: str, unique: str
) -> None:
    with httpx.Client(base_url=proxied, timeout=30) as c:
        task = _task(c, f"proxy-{unique}", **{"X-Auth-Request-User": f"alice-{unique}", "X-Annostream-User": "mallory"})
        assert task["owner"] == f"alice-{unique}" and task["team"] == "default"
        mine = {"X-Auth-Request-User": f"alice-{unique}"}
        listed = _ok(c.get("/api/v1/tasks", params={"scope": "mine", "status": "all"}, headers=mine))["tasks"]
        assert [t["task_id"] for t in listed] == [task["task_id"]]
        page = c.get("/plain", headers=mine)
        assert page.status_code == 200 and f"alice-{unique}" in page.text
        assert c.delete(f"/api/v1/tasks/{task['task_id']}", headers=mine).status_code == 204  # the owner may


def test_proxy_mode_keeps_health_readiness_and_static_ui_assets_open(proxied: str) -> None:
    with httpx.Client(base_url=proxied, timeout=30) as c:
        assert _ok(c.get("/healthz")) == {"status": "ok"}
        assert _ok(c.get("/readyz"))["ready"] is True
        asset = c.get("/assets/app.js")
        assert asset.status_code == 200 and "annostream" in asset.text
        assert "<title>annostream</title>" in c.get("/").text  # the built UI's index.html, like its routes
        route = c.get("/tasks/some-task/annotate")  # a client-side route of the UI: its index.html
        assert route.status_code == 200 and "<title>annostream</title>" in route.text
        assert c.get("/openapi.json").status_code == 200


def test_proxy_mode_team_is_one_of_the_proxy_groups_and_admin_comes_only_from_the_team_admin_group(
    proxied: str, unique: str
) -> None:
    team = f"vision-{unique}"
    owner = {
        "X-Auth-Request-User": f"alice-{unique}",
        "X-Auth-Request-Groups": f"other, {team}",
        "X-Annostream-Team": team,
    }
    with httpx.Client(base_url=proxied, timeout=30) as c:
        task = _task(c, f"team-{unique}", **owner)
        assert task["team"] == team and task["owner"] == f"alice-{unique}"

        outsider = {
            "X-Auth-Request-User": f"mallory-{unique}",
            "X-Auth-Request-Groups": "other",
            "X-Annostream-Team": team,
        }
        denied = c.get("/api/v1/tasks", headers=outsider)
        assert denied.status_code == 403 and denied.json()["field"] == "X-Annostream-Team", denied.text

        member = {
            "X-Auth-Request-User": f"bob-{unique}",
            "X-Auth-Request-Groups": team,
            "X-Annostream-Team": team,
            "X-Annostream-Role": "admin",  # ignored behind the proxy
        }
        assert [t["task_id"] for t in _ok(c.get("/api/v1/tasks", headers=member))["tasks"]] == [task["task_id"]]
        refused = c.delete(f"/api/v1/tasks/{task['task_id']}", headers=member)
        assert refused.status_code == 403 and refused.json()["field"] == "task_id", refused.text

        admin = {**member, "X-Auth-Request-User": f"carol-{unique}", "X-Auth-Request-Groups": f"{team},{team}:admin"}
        assert c.delete(f"/api/v1/tasks/{task['task_id']}", headers=admin).status_code == 204
        assert c.get(f"/api/v1/tasks/{task['task_id']}", headers=owner).status_code == 404


def test_proxy_mode_refuses_the_live_websocket_with_401_without_the_proxy_header(proxied: str) -> None:
    for headers in ({}, {"X-Annostream-User": "mallory"}):
        with pytest.raises(InvalidStatus) as refused, connect(_ws(proxied) + _live_path(), additional_headers=headers):
            pass
        assert refused.value.response.status_code == 401
        body = json.loads(refused.value.response.body or b"{}")
        assert body["error"] == "UNAUTHENTICATED" and body["field"] == "X-Auth-Request-User"


def test_proxy_mode_opens_the_live_websocket_for_a_signed_in_user(proxied: str, unique: str) -> None:
    alice = {"X-Auth-Request-User": "alice"}
    with httpx.Client(base_url=proxied, timeout=30) as c:
        version = _task(c, f"live-{unique}", **alice)["annotated_version_id"]
    with connect(_ws(proxied) + _live_path(version), additional_headers=alice) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "subscribed"


def test_dev_mode_takes_the_user_from_x_annostream_user_and_ignores_the_proxy_header(
    system: LocalStack, unique: str
) -> None:
    team = {"X-Annostream-Team": f"dev-{unique}"}
    with httpx.Client(base_url=system.url, headers=team, timeout=30) as c:
        task = _task(c, f"dev-{unique}", **{"X-Annostream-User": f"dev-{unique}", "X-Auth-Request-User": "proxy-user"})
        assert task["owner"] == f"dev-{unique}"
        anonymous = _task(c, f"anon-{unique}")  # no user header: "anonymous", as before
        assert anonymous["owner"] == "anonymous"
        admin = {"X-Annostream-User": f"boss-{unique}", "X-Annostream-Role": "admin"}
        assert c.delete(f"/api/v1/tasks/{task['task_id']}", headers=admin).status_code == 204


def test_dev_mode_opens_the_live_websocket_without_identity_headers(system: LocalStack, unique: str) -> None:
    with httpx.Client(base_url=system.url, timeout=30) as c:
        version = _task(c, f"live-{unique}")["annotated_version_id"]
    with connect(_ws(system.url) + _live_path(version)) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "subscribed"


def test_the_gateway_refuses_to_start_with_an_invalid_dev_auth_value(system: LocalStack) -> None:
    env = {**system.env, "ANNOSTREAM_DEV_AUTH": "maybe", "ANNOSTREAM_HTTP_PORT": str(free_port())}
    done = subprocess.run(
        [sys.executable, "-m", "annostream_cli.main", "serve", "gateway"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "dev_auth" in done.stderr and "maybe" in done.stderr, done.stderr[-2000:]


def test_me_tells_the_ui_who_the_proxy_signed_in_and_that_identity_comes_from_the_proxy(
    proxied: str, unique: str
) -> None:
    headers = {"X-Auth-Request-User": f"alice-{unique}", "X-Auth-Request-Groups": "vision,vision:admin"}
    with httpx.Client(base_url=proxied, timeout=30) as c:
        me = _ok(c.get("/api/v1/me", headers={**headers, "X-Annostream-Team": "vision"}))
        assert me == {
            "user": f"alice-{unique}",
            "team": "vision",
            "role": "admin",
            "roles": ["admin", "annotator"],
            "teams": [
                {
                    "team": "vision",
                    "roles": ["admin", "annotator"],
                    "permissions": ["administer", "annotate", "manage", "read", "review"],
                }
            ],
            "dev_auth": False,
            "known_roles": ["annotator", "reviewer", "admin"],
        }
        page = c.get("/plain", headers=headers)
        assert "(via the proxy)" in page.text and "dev mode" not in page.text


def test_me_in_dev_mode_echoes_the_dev_headers(system: LocalStack) -> None:
    with httpx.Client(base_url=system.url, timeout=30) as c:
        me = _ok(c.get("/api/v1/me", headers={"X-Annostream-User": "bob"}))
        assert me == {
            "user": "bob",
            "team": "default",
            "role": "annotator",
            "roles": ["annotator"],
            "teams": [{"team": "default", "roles": ["annotator"], "permissions": ["annotate", "manage", "read"]}],
            "dev_auth": True,
            "known_roles": ["annotator", "reviewer", "admin"],  # the dev-mode role picker's choices
        }
