"""The web UI in Debian's Chromium: the Annotations page, the + NEW ANNOTATION modal and the frame editor."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect

from annostream_cli.stack import LocalStack

from .web_browser import SCENE, drag, new_page, ok, published_dataset, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def api(system: LocalStack, unique: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=system.url, headers={"X-Annostream-User": f"web-{unique}"}, timeout=30) as c:
        yield c


def test_the_gateway_serves_the_ui_with_an_spa_fallback_and_keeps_its_own_paths(system: LocalStack) -> None:
    with httpx.Client(base_url=system.url, timeout=30) as c:
        home, deep = c.get("/"), c.get("/tasks/abc/annotate")
        assert home.status_code == 200 and '<div id="root">' in home.text and deep.text == home.text
        assert c.get("/healthz").json() == {"status": "ok"} and "paths" in c.get("/openapi.json").json()
        assert c.get("/api/v1/nope").status_code == 404 and c.get("/assets/missing.js").status_code == 404
        assert c.get("/..%2f..%2fpyproject.toml").status_code == 404
        assert c.get("/plain").status_code == 200 and c.get("/docs").status_code == 200


def test_a_task_created_in_the_modal_on_a_published_version_annotates_a_new_child_version(
    browser: Browser, api: httpx.Client, system: LocalStack, unique: str
) -> None:
    ds, published = published_dataset(api)
    page = new_page(browser, system.url, f"web-{unique}")
    page.goto("/")
    page.click("#new-annotation")
    page.click("#new-task-create")  # no name: the API's 4xx names the field, shown next to it
    expect(page.locator('.field-error[data-field="name"]')).to_be_visible()
    page.fill("#task-name", f"street {unique}")
    page.select_option("#task-dataset", ds["dataset_id"])
    page.select_option("#task-version", published["version_id"])
    expect(page.locator("#version-hint")).to_contain_text("child version")
    page.check('input[name="repetition"][value="limit"]')
    page.fill("#task-limit", "x")
    page.click("#new-task-create")
    expect(page.locator('.field-error[data-field="iteration.limit"]')).to_be_visible()
    page.fill("#task-limit", "2")
    page.select_option("#task-order", "random")
    page.fill("#task-seed", "not a number")
    page.click("#new-task-create")
    expect(page.locator('.field-error[data-field="iteration.random_seed"]')).to_be_visible()
    page.fill("#task-seed", "7")
    page.fill("#task-default-labels", "car")
    page.click("#new-task-create")
    expect(page.locator("#new-task-modal")).to_have_count(0)

    card = page.locator(".task-card", has_text=f"street {unique}")
    expect(card).to_be_visible()
    task_id = card.get_attribute("data-task-id")
    task = ok(api.get(f"/api/v1/tasks/{task_id}"))
    child = task["annotated_version"]
    assert child["parent_version_id"] == published["version_id"] and child["status"] == "draft"
    assert child["name"] == f"street {unique}" and task["iteration"] == {
        "order": "random",
        "random_seed": 7,
        "limit": 2,
        "clip_length": 0,
    }
    expect(card.locator(".task-version")).to_contain_text(f"{ds['name']} / street {unique}")
    expect(card.locator(".task-owner")).to_have_text(f"web-{unique}")
    screenshot(page, "annotations.png")
    page.click("#scope-toggle [data-value=mine]")
    expect(page.locator(".task-card")).to_have_count(1)
    assert page.errors == []  # type: ignore[attr-defined]


def test_draw_a_labelled_rectangle_save_reload_and_autosave_on_navigation(
    browser: Browser, api: httpx.Client, system: LocalStack, unique: str
) -> None:
    _ds, published = published_dataset(api, uris=["file:///media/x.jpg", SCENE])
    body = {"name": f"draw {unique}", "dataset_version_id": published["version_id"]}
    task = ok(api.post("/api/v1/tasks", json=body), 201)
    version = task["annotated_version_id"]
    page = new_page(browser, system.url, f"web-{unique}")
    page.goto("/")
    page.locator(".task-card", has_text=f"draw {unique}").click()
    expect(page.locator("#frame-id")).to_have_text("f0")
    # local media outside the gateway's media roots: a blank canvas of the source's size
    expect(page.locator("#stage-svg")).to_have_attribute("data-image", "failed")
    expect(page.locator("#stage-image")).to_be_hidden()
    expect(page.locator("#stage-blank")).to_have_attribute("width", "640")

    page.click("#mode-rectangle")
    drag(page, (120, 90), (250, 190))
    item = page.locator(".roi-item")
    expect(item).to_have_count(1)
    expect(page.locator("g.roi.roi-rectangle")).to_have_count(1)
    item.locator(".roi-label-input").fill("car")
    item.locator(".roi-label-input").press("Enter")
    page.click("#save")
    expect(page.locator("#save-status")).to_have_text("Saved")
    saved = ok(api.get(f"/api/v1/versions/{version}/frames/f0"))
    assert [(r["type"], r["labels"]) for r in saved["rois"]] == [("rectangle", ["car"])]
    (x1, y1), (x2, y2) = saved["rois"][0]["points"]
    assert 0 <= x1 < x2 <= 640 and 0 <= y1 < y2 <= 480

    page.reload()
    expect(page.locator("#frame-id")).to_have_text("f0")
    expect(page.locator('.roi-item .roi-label[data-label="car"]')).to_be_visible()
    expect(page.locator("g.roi.roi-rectangle")).to_have_count(1)

    page.click("#next-frame")
    expect(page.locator("#frame-id")).to_have_text("f1")
    expect(page.locator(".roi-item")).to_have_count(0)
    expect(page.locator("#stage-svg")).to_have_attribute("data-image", "loaded")
    page.click("#mode-rectangle")
    drag(page, (222, 284), (428, 414))  # around the red car
    expect(page.locator(".roi-item")).to_have_count(1)
    item.locator(".roi-label-input").fill("car")
    item.locator(".roi-label-input").press("Enter")
    screenshot(page, "editor.png")
    page.click("#prev-frame")  # autosaves f1 first
    expect(page.locator("#frame-id")).to_have_text("f0")
    assert len(ok(api.get(f"/api/v1/versions/{version}/frames/f1"))["rois"]) == 1
    assert page.errors == []  # type: ignore[attr-defined]
