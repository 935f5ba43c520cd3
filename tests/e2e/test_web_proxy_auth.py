"""The web UI behind an authenticating proxy (ANNOSTREAM_DEV_AUTH=false): it shows who the proxy signed in and
acts as that user, with no dev "User" box."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def proxied_ui(proxy_gateway: str) -> str:
    """The session's gateway with ANNOSTREAM_DEV_AUTH=false (tests/e2e/conftest.py), serving the real built UI."""
    return proxy_gateway


def test_behind_the_proxy_the_ui_shows_the_signed_in_user_and_lists_their_own_work(
    browser: Browser, proxied_ui: str, unique: str
) -> None:
    user = f"carol-{unique}"
    headers = {"X-Auth-Request-User": user}
    with httpx.Client(base_url=proxied_ui, headers=headers, timeout=30) as api:
        ds = api.post("/api/v1/datasets", json={"name": f"proxy-ui-{unique}"}).json()
        v = api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}).json()
        task = api.post("/api/v1/tasks", json={"name": f"proxied {unique}", "dataset_version_id": v["version_id"]})
        assert task.status_code == 201, task.text

    ctx = browser.new_context(base_url=proxied_ui, extra_http_headers=headers)  # what the proxy adds
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/")
    expect(page.locator("#signed-in-as")).to_have_text(f"Signed in as {user}")
    expect(page.locator("#user-name")).to_have_count(0)  # no dev identity box behind a proxy
    page.get_by_role("button", name="My work").click()
    expect(page.locator(".task-card", has_text=f"proxied {unique}")).to_have_count(1)
    assert errors == []
    ctx.close()


def _task_in(api: httpx.Client, team: str, name: str, **caller: str) -> None:
    headers = {"X-Annostream-Team": team, **caller}
    ds = api.post("/api/v1/datasets", json={"name": name}, headers=headers).json()
    v = api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}, headers=headers).json()
    task = api.post("/api/v1/tasks", json={"name": name, "dataset_version_id": v["version_id"]}, headers=headers)
    assert task.status_code == 201, task.text


def test_a_user_in_several_teams_switches_team_and_sees_only_that_team_s_work(
    browser: Browser, proxied_ui: str, unique: str
) -> None:
    alpha, beta, gamma = f"alpha-{unique}", f"beta-{unique}", f"gamma-{unique}"
    headers = {"X-Auth-Request-User": f"dana-{unique}", "X-Auth-Request-Groups": f"{alpha},{beta}:admin"}
    with httpx.Client(base_url=proxied_ui, headers=headers, timeout=30) as api:
        _task_in(api, alpha, f"task of {alpha}")
        _task_in(api, beta, f"task of {beta}")
    with httpx.Client(base_url=proxied_ui, timeout=30) as api:  # a team dana is not in
        outsider = {"X-Auth-Request-User": f"erin-{unique}", "X-Auth-Request-Groups": gamma}
        _task_in(api, gamma, f"task of {gamma}", **outsider)

    ctx = browser.new_context(base_url=proxied_ui, extra_http_headers=headers)
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    page.goto("/")
    switcher = page.locator("#team-switcher")
    expect(switcher).to_have_value(alpha)  # the first of the user's teams by name
    expect(switcher.locator("option")).to_have_text([alpha, f"{beta} (admin)"])
    expect(page.locator(".task-card")).to_have_count(1)
    expect(page.locator(".task-card", has_text=f"task of {alpha}")).to_have_count(1)
    switcher.select_option(beta)
    expect(page.locator(".task-card", has_text=f"task of {beta}")).to_have_count(1)
    expect(page.locator(".task-card", has_text=f"task of {alpha}")).to_have_count(0)
    page.reload()  # the choice is remembered
    expect(page.locator("#team-switcher")).to_have_value(beta)
    expect(page.locator(".task-card", has_text=f"task of {beta}")).to_have_count(1)
    expect(page.locator(".task-card", has_text=f"task of {gamma}")).to_have_count(0)
    ctx.close()


def test_one_team_behind_the_proxy_shows_no_team_switcher(browser: Browser, proxied_ui: str, unique: str) -> None:
    ctx = browser.new_context(
        base_url=proxied_ui,
        extra_http_headers={"X-Auth-Request-User": f"fay-{unique}", "X-Auth-Request-Groups": "solo"},
    )
    page = ctx.new_page()
    page.goto("/")
    expect(page.locator("#signed-in-as")).to_be_visible()
    expect(page.locator("#team-switcher")).to_have_count(0)
    ctx.close()
