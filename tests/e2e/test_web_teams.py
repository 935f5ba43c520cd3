"""Teams in the web UI in dev mode: the Team box picks the team whose work the page lists and creates, and the
editor of another team's task loads its local media and live updates (images and the WebSocket carry the dev
identity in cookies, since they cannot send headers)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from playwright.sync_api import Browser, expect

from annostream_cli.stack import LocalStack

from .web_browser import SCENE, new_page, ok, published_dataset, wait_until_annotatable

pytestmark = pytest.mark.e2e


def test_the_team_box_switches_the_listed_work_and_the_editor_loads_the_team_s_media_and_live_updates(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user, team = f"tm-{unique}", f"vision-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user, "X-Annostream-Team": team}, timeout=30)
    media = Path(system.env["ANNOSTREAM_MEDIA_ROOTS"]) / f"team-{unique}.svg"
    media.write_text(unquote(SCENE.removeprefix("data:image/svg+xml,")))
    _ds, published = published_dataset(api, uris=[f"file://{media}"])
    body = {"name": f"team task {unique}", "dataset_version_id": published["version_id"]}
    task = ok(api.post("/api/v1/tasks", json=body), 201)
    wait_until_annotatable(api, task, 1)

    page = new_page(browser, system.url, user)
    page.goto("/")
    expect(page.locator("#team-name")).to_have_value("default")
    page.get_by_role("button", name="My work").click()
    expect(page.locator(".task-card", has_text=f"team task {unique}")).to_have_count(0)  # another team's work
    page.locator("#team-name").fill(team)
    page.locator("#team-name").blur()
    expect(page.locator(".task-card", has_text=f"team task {unique}")).to_have_count(1)

    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#stage-svg")).to_have_attribute("data-image", "loaded")  # via the team's cookie
    expect(page.locator("#live-status")).to_have_attribute("data-state", "connected")
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()
