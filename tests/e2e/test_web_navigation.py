"""Editor navigation and history in Chromium: next/previous annotated frame, jumps (buttons and Ctrl+arrows),
lock all, Esc cancelling key points, and undo/redo of a saved edit through the annotation service."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import Browser, expect

from annostream_cli.stack import LocalStack

from .web_browser import drag, new_page, ok, stage_point, wait_until_annotatable

pytestmark = pytest.mark.e2e


def test_annotated_and_jump_navigation_lock_all_escape_and_server_undo_redo(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"nav-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    ds = ok(api.post("/api/v1/datasets", json={"name": f"nav-{uuid.uuid4().hex[:8]}"}), 201)
    v = ok(api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}), 201)
    src = [{"id": "cam", "uri": "file:///none.jpg", "width": 640, "height": 480}]
    roi = {"roi_id": "r3", "type": "rectangle", "points": [[10, 10], [100, 100]], "labels": ["car"]}
    frames = [
        {"id": f"f{i}", "context_id": "c", "timestamp": i, "sources": src, "rois": [roi] if i == 3 else []}
        for i in range(5)
    ]
    ok(api.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": frames}))
    task = ok(api.post("/api/v1/tasks", json={"name": f"nav {unique}", "dataset_version_id": v["version_id"]}), 201)
    wait_until_annotatable(api, task, 5)
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    frame_id, position = page.locator("#frame-id"), page.locator("#frame-position")
    expect(frame_id).to_have_text("f0")
    expect(position).to_have_text("1/5")

    page.click("#next-annotated")
    expect(frame_id).to_have_text("f3")
    expect(page.locator("g.roi")).to_have_count(1)
    page.locator("#editor-title").click()
    page.keyboard.press("Control+ArrowLeft")  # jump back 10: clamps to the first frame
    expect(frame_id).to_have_text("f0")
    page.click("#jump-forward")
    expect(frame_id).to_have_text("f4")
    expect(position).to_have_text("5/5")
    page.click("#prev-annotated")
    expect(frame_id).to_have_text("f3")

    page.click("#lock-all")
    expect(page.locator(".roi-item.locked")).to_have_count(1)
    page.click("#mode-select")
    drag(page, (50, 50), (150, 150))
    expect(page.locator("#save-status")).to_contain_text("is locked")
    page.click("#unlock-all")
    expect(page.locator(".roi-item.locked")).to_have_count(0)

    page.click("#mode-keypoints")
    page.mouse.click(*stage_point(page, 300, 300))
    page.mouse.click(*stage_point(page, 320, 320))
    page.keyboard.press("Escape")  # cancels the key points being placed
    expect(page.locator("#stage-draft > *")).to_have_count(0)
    expect(page.locator("g.roi")).to_have_count(1)

    page.click("#mode-rectangle")
    drag(page, (300, 300), (450, 400))
    page.click("#save")
    expect(page.locator("#save-status")).to_have_text("Saved")
    url = f"/api/v1/versions/{task['annotated_version_id']}/frames/f3"
    assert len(ok(api.get(url))["rois"]) == 2 and ok(api.get(url))["rois"][0]["locked"] is False
    page.click("#undo")  # nothing pending: undoes my last save on the server
    expect(page.locator("g.roi")).to_have_count(1)
    assert len(ok(api.get(url))["rois"]) == 1
    page.click("#redo")
    expect(page.locator("g.roi")).to_have_count(2)
    assert len(ok(api.get(url))["rois"]) == 2
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()
