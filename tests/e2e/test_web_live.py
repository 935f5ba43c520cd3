"""Two annotators in two Chromium contexts on one frame: each sees the other's saves live (WebSocket fed by
NATS), and a same-ROI conflict on save names the other annotator and lets the user keep theirs or take the
other's."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from annostream_cli.stack import LocalStack

from .web_browser import (
    SCENE,
    annotated_dataset,
    drag,
    new_page,
    ok,
    published_dataset,
    wait_until_annotatable,
)

pytestmark = pytest.mark.e2e


def _open(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#frame-id")).to_have_text("f0")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "connected")


def test_two_annotators_see_each_others_saves_live_and_resolve_a_conflict(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": f"alice-{unique}"}, timeout=30)
    _ds, published = published_dataset(api, frames=1)
    body = {"name": f"live {unique}", "dataset_version_id": published["version_id"]}
    task = ok(api.post("/api/v1/tasks", json=body), 201)
    version = task["annotated_version_id"]
    url = f"/tasks/{task['task_id']}/annotate?version={version}&frame=f0"
    alice = new_page(browser, system.url, f"alice-{unique}")
    bob = new_page(browser, system.url, f"bob-{unique}")
    _open(alice, url)
    _open(bob, url)

    alice.click("#mode-rectangle")
    drag(alice, (100, 100), (300, 250))
    alice.click("#save")
    expect(alice.locator("#save-status")).to_have_text("Saved")
    expect(bob.locator("g.roi.roi-rectangle")).to_have_count(1)  # no reload: pushed to bob
    roi_id = bob.locator("g.roi").get_attribute("data-roi-id")

    bob.click("#mode-select")
    drag(bob, (200, 175), (260, 175))  # bob moves it (unsaved) ...
    alice.click("#mode-select")
    drag(alice, (200, 175), (200, 235))  # ... while alice moves it too and saves first
    alice.click("#save")
    expect(alice.locator("#save-status")).to_have_text("Saved")
    expect(bob.locator("#live-notice")).to_contain_text(f"alice-{unique}")
    bob.click("#save")
    expect(bob.locator("#conflict")).to_contain_text(f"alice-{unique}")
    bob.click("#conflict-keep-mine")
    bob.click("#save")
    expect(bob.locator("#save-status")).to_contain_text("Saved")
    expect(alice.locator("#save-status")).to_have_text("Saved")
    state = ok(api.get(f"/api/v1/versions/{version}/frames/f0"))
    history = ok(api.get(f"/api/v1/versions/{version}/frames/f0/events"))["events"]
    assert [(e["type"], e["actor"]) for e in history if e["roi_id"] == roi_id][-2:] == [
        ("RoiMoved", f"alice-{unique}"),
        ("RoiMoved", f"bob-{unique}"),
    ]
    # alice's screen follows bob's save too
    expect(alice.locator("g.roi")).to_have_count(1)
    alice.wait_for_function(
        "x => Math.abs(parseFloat(document.querySelector('g.roi rect').getAttribute('x')) - x) < 1e-6",
        arg=state["rois"][0]["points"][0][0],
    )
    assert alice.errors == [] and bob.errors == []  # type: ignore[attr-defined]
    api.close()


def test_take_theirs_on_a_same_roi_conflict_drops_my_edit_and_shows_the_other_annotators_roi(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": f"alice-{unique}"}, timeout=30)
    box = {"roi_id": "box", "type": "rectangle", "points": [[100, 100], [300, 250]], "labels": ["sign"]}
    src = {"id": "cam", "uri": SCENE, "width": 640, "height": 480}
    _ds, published = annotated_dataset(api, [{"id": "f0", "sources": [src], "rois": [box]}])
    body = {"name": f"theirs {unique}", "dataset_version_id": published["version_id"]}
    task = ok(api.post("/api/v1/tasks", json=body), 201)
    version = task["annotated_version_id"]
    wait_until_annotatable(api, task, 1)
    url = f"/tasks/{task['task_id']}/annotate?version={version}&frame=f0"
    alice = new_page(browser, system.url, f"alice-{unique}")
    bob = new_page(browser, system.url, f"bob-{unique}")
    _open(alice, url)
    _open(bob, url)

    bob.click("#mode-select")
    drag(bob, (200, 175), (300, 175))  # bob moves it right (unsaved) ...
    expect(bob.locator("#save-status")).to_have_text("1 unsaved change(s)")
    alice.click("#mode-select")
    drag(alice, (200, 175), (200, 260))  # ... while alice moves it down and saves first
    alice.click("#save")
    expect(alice.locator("#save-status")).to_have_text("Saved")
    theirs = ok(api.get(f"/api/v1/versions/{version}/frames/f0"))["rois"][0]["points"]
    assert theirs[0][1] > 100 and theirs[0][0] == 100  # alice's move: down only
    bob.click("#save")
    expect(bob.locator("#conflict")).to_contain_text(f"alice-{unique}")
    bob.click("#conflict-take-theirs")
    expect(bob.locator("#conflict")).to_have_count(0)
    expect(bob.locator("#save-status")).to_have_text("Took their version")
    expect(bob.locator("#save")).to_be_disabled()  # nothing of bob's is left to save
    rect = "g.roi rect"
    bob.wait_for_function(
        "([sel, x, y]) => { const r = document.querySelector(sel);"
        " return r && +r.getAttribute('x') === x && +r.getAttribute('y') === y; }",
        arg=[rect, theirs[0][0], theirs[0][1]],
    )
    history = ok(api.get(f"/api/v1/versions/{version}/frames/f0/events"))["events"]
    assert [(e["type"], e["actor"]) for e in history if e["type"] == "RoiMoved"] == [("RoiMoved", f"alice-{unique}")]
    bob.reload()
    _open(bob, url)
    assert float(bob.locator(rect).get_attribute("x") or 0) == theirs[0][0]
    assert float(bob.locator(rect).get_attribute("y") or 0) == theirs[0][1]
    assert alice.errors == [] and bob.errors == []  # type: ignore[attr-defined]
    api.close()
