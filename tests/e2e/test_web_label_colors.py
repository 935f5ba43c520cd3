"""Label colors are the team's, not the browser's: a color one annotator picks in Chromium is stored with the task
and another annotator (another browser context) sees it live, after a reload and when opening the task fresh."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from annostream_cli.stack import LocalStack

from .web_browser import SCENE, annotated_dataset, new_page, ok, wait_until_annotatable

pytestmark = pytest.mark.e2e

RED = "--roi-color: #d62828;"


def _open(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#frame-id")).to_have_text("f0")
    expect(page.locator("g.roi")).to_have_count(1)


def test_a_label_color_picked_by_one_annotator_shows_for_another_live_and_after_reload(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": f"alice-{unique}"}, timeout=30)
    car = {"roi_id": "c1", "type": "rectangle", "points": [[230, 290], [420, 400]], "labels": ["car"]}
    src = {"id": "cam", "uri": SCENE, "width": 640, "height": 480}
    _ds, published = annotated_dataset(api, [{"id": "f0", "sources": [src], "rois": [car]}])
    task = ok(
        api.post("/api/v1/tasks", json={"name": f"colors {unique}", "dataset_version_id": published["version_id"]}), 201
    )
    wait_until_annotatable(api, task, 1)
    url = f"/tasks/{task['task_id']}/annotate?version={task['annotated_version_id']}&frame=f0"
    alice = new_page(browser, system.url, f"alice-{unique}")
    bob = new_page(browser, system.url, f"bob-{unique}")
    _open(alice, url)
    _open(bob, url)
    expect(bob.locator("#live-status")).to_have_attribute("data-state", "connected")
    before = bob.locator("g.roi").get_attribute("style")
    assert before != RED

    with alice.expect_response(lambda r: r.url.endswith("/label-colors") and r.request.method == "PUT") as put:
        alice.locator('.roi-item .roi-label[data-label="car"] .label-color').fill("#d62828")
    assert put.value.status == 200
    expect(alice.locator("g.roi")).to_have_attribute("style", RED)
    assert ok(api.get(f"/api/v1/tasks/{task['task_id']}"))["label_colors"] == {"car": "#d62828"}

    expect(bob.locator("g.roi")).to_have_attribute("style", RED)  # pushed to bob's open editor (LabelColorSet)
    expect(bob.locator('.roi-item .roi-label[data-label="car"] .label-color')).to_have_value("#d62828")
    bob.reload()
    _open(bob, url)
    expect(bob.locator("g.roi")).to_have_attribute("style", RED)
    carol = new_page(browser, system.url, f"carol-{unique}")  # a browser that never saw the pick
    _open(carol, url)
    expect(carol.locator("g.roi")).to_have_attribute("style", RED)
    assert carol.evaluate("Object.keys(localStorage).filter(k => k.includes('olor'))") == []
    assert alice.errors == [] and bob.errors == [] and carol.errors == []  # type: ignore[attr-defined]
    api.close()
