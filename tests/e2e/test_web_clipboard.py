"""The ROI clipboard in Debian's Chromium lives in localStorage: a copied ROI survives a reload and pastes onto
another frame, and another tab of the same browser sees the copy at once and pastes it too."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect

from annostream_cli.stack import LocalStack

from .web_browser import SCENE, annotated_dataset, new_page, ok, wait_until_annotatable

pytestmark = pytest.mark.e2e


def test_a_copied_roi_survives_a_reload_pastes_on_another_frame_and_in_another_tab(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"clip-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    src = {"id": "cam", "uri": SCENE, "width": 640, "height": 480}
    car = {
        "roi_id": "car1",
        "type": "polygon",
        "points": [[230, 300], [420, 300], [420, 400], [230, 400]],
        "labels": ["car", "red"],
        "metadata": {"make": "mini"},
    }
    frames = [{"id": f"f{i}", "timestamp": i, "sources": [src], "rois": [car] if i == 0 else []} for i in range(3)]
    _ds, published = annotated_dataset(api, frames)
    task = ok(
        api.post("/api/v1/tasks", json={"name": f"clip {unique}", "dataset_version_id": published["version_id"]}), 201
    )
    version = task["annotated_version_id"]
    wait_until_annotatable(api, task, 3)
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")  # leases f0
    expect(page.locator("#frame-id")).to_have_text("f0")
    other = page.context.new_page()  # a second tab of the same browser, open on f2 before anything is copied
    other_errors: list[str] = []
    other.on("pageerror", lambda e: other_errors.append(str(e)))
    other.goto(f"/tasks/{task['task_id']}/annotate?version={version}&frame=f2")
    expect(other.locator("#frame-id")).to_have_text("f2")
    expect(other.locator("#paste")).to_be_disabled()

    page.locator(".roi-item .roi-copy").click()
    expect(other.locator("#paste")).to_be_enabled()  # the other tab learns of the copy (storage event)
    page.reload()
    expect(page.locator("#frame-id")).to_have_text("f0")
    expect(page.locator("#paste")).to_have_attribute("title", "Paste 1 ROI(s) copied from frame f0")
    page.click("#next-frame")
    expect(page.locator("#frame-id")).to_have_text("f1")
    page.click("#paste")
    page.click("#paste")  # repeatable
    expect(page.locator("g.roi.roi-polygon")).to_have_count(2)
    page.click("#save")
    expect(page.locator("#save-status")).to_have_text("Saved")

    other.click("#paste")
    other.click("#save")
    expect(other.locator("#save-status")).to_have_text("Saved")
    for frame_id, n in (("f1", 2), ("f2", 1)):
        rois = ok(api.get(f"/api/v1/versions/{version}/frames/{frame_id}"))["rois"]
        assert [(r["type"], r["points"], r["labels"], r["metadata"]) for r in rois] == [
            ("polygon", car["points"], car["labels"], car["metadata"])
        ] * n
        assert len({r["roi_id"] for r in rois} | {"car1"}) == n + 1  # new ids, never the copied one
    history = ok(api.get(f"/api/v1/versions/{version}/frames/f2/events"))["events"]
    created = next(e for e in history if e["type"] == "RoiCreated")
    origin = {"version_id": version, "frame_id": "f0", "roi_id": "car1"}
    assert created["data"]["copied_from"] == origin  # the paste names where it came from
    assert page.errors == [] and other_errors == []  # type: ignore[attr-defined]
    api.close()
