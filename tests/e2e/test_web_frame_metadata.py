"""The editor's FRAME METADATA shows the frame's effective metadata: as imported until someone edits it."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect

from annostream_cli.stack import LocalStack

from .web_browser import new_page, ok, wait_until_annotatable

pytestmark = pytest.mark.e2e


def test_the_editor_opens_the_imported_frame_metadata_and_then_shows_the_edited_one(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"md-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    ds = ok(api.post("/api/v1/datasets", json={"name": f"meta-{unique}"}), 201)
    v = ok(api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}), 201)
    frame = {
        "id": "f0",
        "context_id": "c",
        "sources": [{"id": "cam", "uri": "file:///media/x.jpg", "width": 640, "height": 480}],
        "metadata": {"weather": "fog", "lane": 3},
    }
    ok(api.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [frame]}))
    published = ok(api.post(f"/api/v1/versions/{v['version_id']}/publish"))
    task = ok(
        api.post("/api/v1/tasks", json={"name": f"meta {unique}", "dataset_version_id": published["version_id"]}), 201
    )
    wait_until_annotatable(api, task, 1)
    frame_url = f"/api/v1/versions/{task['annotated_version_id']}/frames/f0"
    assert ok(api.get(frame_url))["metadata"]["weather"] == "fog"  # the API's `metadata` is the effective one

    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")
    expect(page.locator("#frame-metadata")).to_contain_text('"weather": "fog"')
    expect(page.locator("#frame-metadata")).to_contain_text('"lane": 3')
    assert '"lane": 3.0' not in page.locator("#frame-metadata").inner_text()  # whole numbers stay integers
    lane = ok(api.get(frame_url))["metadata"]["lane"]
    assert lane == 3 and isinstance(lane, int)
    page.click("#frame-metadata-edit")
    page.fill("#json-text", '{"weather": "sun", "lane": 3}')
    page.click("#json-save")
    page.click("#save")
    expect(page.locator("#save-status")).to_have_text("Saved")
    assert ok(api.get(frame_url))["metadata"]["weather"] == "sun"
    page.reload()
    expect(page.locator("#frame-metadata")).to_contain_text('"weather": "sun"')
    expect(page.locator("#frame-metadata")).not_to_contain_text("fog")
