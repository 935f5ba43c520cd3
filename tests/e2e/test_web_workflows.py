"""More of the web UI in Chromium: multi-source frames, zoom/pan, hide-all, label colors and removal, label
autocomplete from the dataset, help overlay, closing with unsaved edits; the page's dataset filter, sort and
the modal's custom filter rule builder."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from playwright.sync_api import Browser, expect

from annostream_cli.stack import LocalStack

from .web_browser import SCENE, drag, new_page, ok, wait_until_annotatable

pytestmark = pytest.mark.e2e


def _dataset(api: httpx.Client) -> tuple[dict, dict]:
    """Published version: f0 with two sources and a 'pedestrian' ROI, f1 plain."""
    ds = ok(api.post("/api/v1/datasets", json={"name": f"wf-{uuid.uuid4().hex[:8]}"}), 201)
    v = ok(api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}), 201)
    left = {"id": "left", "uri": "file:///nowhere/l.jpg", "width": 640, "height": 480}
    right = {"id": "right", "uri": SCENE, "width": 640, "height": 480}
    ped = {"roi_id": "p1", "type": "rectangle", "points": [[10, 10], [40, 90]], "labels": ["pedestrian"]}
    frames = [
        {"id": "f0", "timestamp": 0, "sources": [left, right], "rois": [{**ped, "source_id": "left"}]},
        {"id": "f1", "timestamp": 1, "sources": [left]},
    ]
    ok(api.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": frames}))
    return ds, ok(api.post(f"/api/v1/versions/{v['version_id']}/publish"))


def test_editor_sources_zoom_hide_labels_help_and_closing_with_unsaved_edits(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"wf-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    _ds, published = _dataset(api)
    body = {"name": f"wf {unique}", "dataset_version_id": published["version_id"]}
    task = ok(api.post("/api/v1/tasks", json=body), 201)
    frame0 = f"/api/v1/versions/{task['annotated_version_id']}/frames/f0"
    wait_until_annotatable(api, task, 2)
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")

    expect(page.locator("#stage-area")).to_have_attribute("data-layout", "grid")  # side by side by default
    page.click("#source-layout-tabs")
    tabs = page.locator("#source-tabs .source-tab")
    expect(tabs).to_have_count(2)
    expect(page.locator("g.roi")).to_have_count(1)  # the left source's pedestrian
    page.click('.source-tab[data-source-id="right"]')
    expect(page.locator("#stage-svg")).to_have_attribute("data-image", "loaded")
    expect(page.locator("g.roi")).to_have_count(0)
    page.click("#mode-rectangle")
    drag(page, (150, 150), (300, 300))
    item = page.locator(".roi-item")
    expect(item).to_have_count(1)
    # autocomplete offers the dataset's labels
    expect(page.locator('#known-labels option[value="pedestrian"]')).to_have_count(1)
    item.locator(".roi-label-input").fill("bus")
    item.locator(".roi-label-input").press("Enter")
    item.locator(".roi-label-input").fill("truck")
    item.locator(".roi-label-input").press("Enter")
    item.locator('.roi-label[data-label="truck"] .label-remove').click()  # x deletes a label
    item.locator('.roi-label[data-label="bus"] .label-color').fill("#ff0000")
    expect(page.locator("g.roi")).to_have_attribute("style", "--roi-color: #ff0000;")
    page.click("#save")
    expect(page.locator("#save-status")).to_have_text("Saved")
    mine = [r for r in ok(api.get(frame0))["rois"] if r["roi_id"] != "p1"]
    assert [(r["source_id"], r["labels"]) for r in mine] == [("right", ["bus"])]
    page.click('.source-tab[data-source-id="left"]')
    expect(page.locator("g.roi")).to_have_count(1)

    page.click("#zoom-in")
    expect(page.locator("#stage-svg")).to_have_attribute("data-zoom", "1.50")
    page.click("#mode-select")
    before = page.locator("#stage-svg").get_attribute("viewBox")
    drag(page, (450, 350), (350, 250))  # drag the background: pan
    expect(page.locator("#stage-svg")).not_to_have_attribute("viewBox", before or "")
    page.click("#zoom-reset")
    expect(page.locator("#stage-svg")).to_have_attribute("viewBox", "0 0 640 480")

    page.click("#hide-all")
    expect(page.locator("g.roi").first).to_be_hidden()
    expect(page.locator(".roi-item .roi-delete").first).to_be_disabled()
    page.click("#hide-all")
    expect(page.locator("g.roi").first).to_be_visible()

    page.keyboard.press("?")
    expect(page.locator("#help-overlay")).to_contain_text("Ctrl+Z")
    page.locator("#help-overlay").click()
    expect(page.locator("#help-overlay")).to_have_count(0)

    page.locator(".frame-label-input").fill("night")
    page.locator(".frame-label-input").press("Enter")
    page.once("dialog", lambda d: d.accept())  # "Save them before closing?" → yes
    page.click("#close-editor")
    expect(page.locator("#new-annotation")).to_be_visible()
    assert ok(api.get(frame0))["frame_labels"] == ["night"]
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()


def test_the_page_filters_by_dataset_sorts_and_the_modal_builds_custom_filters(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"pg-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    ds, published = _dataset(api)
    for name in (f"aa {unique}", f"zz {unique}"):
        ok(api.post("/api/v1/tasks", json={"name": name, "dataset_version_id": published["version_id"]}), 201)
    page = new_page(browser, system.url, user)
    page.goto("/")
    page.select_option("#dataset-filter", ds["dataset_id"])
    names = page.locator(".task-card .task-name")
    expect(names).to_have_text([f"zz {unique}", f"aa {unique}"])  # RECENT first
    page.click("#sort-toggle [data-value=name]")
    expect(names).to_have_text([f"aa {unique}", f"zz {unique}"])

    page.click("#new-annotation")
    page.fill("#task-name", f"peds {unique}")
    page.select_option("#task-dataset", ds["dataset_id"])
    page.select_option("#task-version", published["version_id"])
    page.check('input[name="filter-mode"][value="custom"]')
    page.click(".add-roi-rule")
    page.locator(".roi-rule input").first.fill("pedestrian")
    page.click("#new-task-create")
    card = page.locator(".task-card", has_text=f"peds {unique}")
    expect(card).to_be_visible()
    task_id = card.get_attribute("data-task-id")
    info = ok(api.get(f"/api/v1/tasks/{task_id}"))
    assert info["selection"]["mode"] == "custom"
    assert info["selection"]["filters"][0]["roi_rules"][0]["label_expression"] == "pedestrian"
    deadline = time.monotonic() + 15
    while (p := api.get(f"/api/v1/tasks/{task_id}/progress")).status_code != 200 or p.json()["total"] != 1:
        assert time.monotonic() < deadline, p.text  # only f0 has a pedestrian
        time.sleep(0.1)
    card.locator(".task-menu-button").click()
    card.locator(".menu-info").click()
    expect(page.locator("#task-info .info-filters")).to_contain_text("include ROI pedestrian")
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()
