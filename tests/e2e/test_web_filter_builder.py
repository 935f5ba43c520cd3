"""The + NEW ANNOTATION modal's custom filter builder in Debian's Chromium: ROI rules with count and confidence
ranges, frame rules (metadata key, operator, value) and source rules (id, uri glob, size ranges) become the
iterator's queries and select exactly the matching frames; the advanced mode takes typed queries; API errors
appear next to the field they name."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from annostream_cli.stack import LocalStack

from .web_browser import annotated_dataset, new_page, ok

pytestmark = pytest.mark.e2e


def _frame(fid: str, meta: dict[str, Any], source: str, width: int, confidences: list[float]) -> dict[str, Any]:
    rois = [
        {"roi_id": f"{fid}-{i}", "type": "rectangle", "points": [[1, 1], [9, 9]], "labels": ["car"], "confidence": c}
        for i, c in enumerate(confidences)
    ]
    src = {"id": source, "uri": f"s3://bucket/{fid}.jpg", "width": width, "height": 720}
    return {"id": fid, "timestamp": int(fid[1:]), "metadata": meta, "sources": [src], "rois": rois}


FRAMES = [
    _frame("f0", {"city": "bremen", "speed": 30}, "front", 1280, [0.9, 0.3]),  # the only frame of the builder
    _frame("f1", {"city": "hamburg", "speed": 30}, "front", 1280, [0.9]),  # another city
    _frame("f2", {"city": "bremen", "speed": 45, "lens type": "fisheye"}, "rear", 1280, [0.8]),  # rear camera
    _frame("f3", {"city": "bremen", "speed": 20}, "front", 640, [0.9]),  # too narrow
    _frame("f4", {"city": "bremen", "speed": 20}, "front", 1920, [0.2]),  # car not confident enough
    _frame("f5", {"city": "bremen", "speed": 90}, "front", 1920, [0.9]),  # too fast
]


def _open_modal(page: Page, ds: dict[str, Any], version: dict[str, Any], name: str) -> None:
    page.goto("/")
    page.click("#new-annotation")
    page.fill("#task-name", name)
    page.select_option("#task-dataset", ds["dataset_id"])
    page.select_option("#task-version", version["version_id"])
    page.check('input[name="filter-mode"][value="custom"]')


def _created(page: Page, api: httpx.Client, name: str, frames: int) -> dict[str, Any]:
    """Create, then wait until the iterator planned the task (it must plan exactly `frames` frames)."""
    page.click("#new-task-create")
    card = page.locator(".task-card", has_text=name)
    expect(card).to_be_visible()
    task_id = card.get_attribute("data-task-id")
    deadline = time.monotonic() + 15
    while (p := api.get(f"/api/v1/tasks/{task_id}/progress")).status_code != 200 or p.json()["total"] != frames:
        assert time.monotonic() < deadline, p.text
        time.sleep(0.1)
    return dict(ok(api.get(f"/api/v1/tasks/{task_id}")))


def test_rule_builders_make_the_iterators_queries_and_bad_values_are_shown_at_their_field(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"fb-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    ds, version = annotated_dataset(api, FRAMES)
    page = new_page(browser, system.url, user)
    name = f"bremen cars {unique}"
    _open_modal(page, ds, version, name)

    page.click(".add-roi-rule")
    rule = page.locator(".roi-rule").first
    rule.locator(".rule-labels").fill("car")
    rule.locator(".rule-min-confidence").fill("1.5")  # the iterator refuses: confidence is 0..1
    page.click("#new-task-create")
    field = "selection.filters.0.roi_rules.0.min_confidence"
    expect(page.locator(f'.roi-rule-box .field-error[data-field="{field}"]')).to_contain_text("between 0 and 1")
    expect(rule.locator(".rule-min-confidence")).to_have_attribute("aria-invalid", "true")
    rule.locator(".rule-min-confidence").fill("0.5")
    rule.locator(".rule-max-count").fill("many")  # not a number: the gateway's 422 names it
    page.click("#new-task-create")
    field = "selection.filters.0.roi_rules.0.max_count"
    expect(page.locator(f'.roi-rule-box .field-error[data-field="{field}"]')).to_be_visible()
    expect(rule.locator(".rule-min-confidence")).not_to_have_attribute("aria-invalid", "true")
    rule.locator(".rule-max-count").fill("")
    rule.locator(".rule-min-count").fill("1")

    page.click(".add-frame-rule")
    page.click(".add-frame-rule")
    conds = page.locator(".frame-rule")
    conds.nth(0).locator(".frame-key").fill("city")
    conds.nth(0).locator(".frame-value").fill("bremen")
    conds.nth(1).locator(".frame-key").fill("speed")
    conds.nth(1).locator(".frame-op").select_option("range")
    conds.nth(1).locator(".frame-value").fill("10")
    conds.nth(1).locator(".frame-to").fill("50")
    expect(page.locator(".frame-query-preview")).to_have_text('meta.city:"bremen" AND meta.speed:[10 TO 50]')
    page.fill(".source-id", "front")
    page.fill(".source-uri", "s3://bucket/*.jpg")
    page.fill(".source-min-width", "1000")
    expected_source = 'source.id:"front" AND source.uri:"s3://bucket/*.jpg" AND source.width:[1000 TO *]'
    expect(page.locator(".source-query-preview")).to_have_text(expected_source)

    task = _created(page, api, name, frames=1)
    [flt] = task["selection"]["filters"]
    assert flt["roi_rules"] == [
        {"kind": "include", "label_expression": "car", "min_count": 1, "min_confidence": 0.5},
    ]
    assert flt["frame_query"] == 'meta.city:"bremen" AND meta.speed:[10 TO 50]'
    assert flt["source_query"] == expected_source
    lease = ok(api.post(f"/api/v1/tasks/{task['task_id']}/next-frame", json={}))
    assert lease["frame"]["frame_id"] == "f0"
    card = page.locator(".task-card", has_text=name)
    card.locator(".task-menu-button").click()
    card.locator(".menu-info").click()
    expect(page.locator("#task-info .info-filters")).to_contain_text("include ROI car (count 1..*) (confidence 0.5..*)")
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()


def test_advanced_mode_takes_typed_queries_and_a_syntax_error_names_its_position(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"fa-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    ds, version = annotated_dataset(api, FRAMES)
    page = new_page(browser, system.url, user)
    name = f"fisheye {unique}"
    _open_modal(page, ds, version, name)

    page.click(".add-frame-rule")
    page.locator(".frame-key").fill("lens type")
    page.locator(".frame-op").select_option("exists")
    expect(page.locator(".frame-query-preview")).to_have_text('meta."lens type":*')
    page.check(".filter-advanced")  # the typed queries start from what the builders made
    expect(page.locator(".filter-frame-query")).to_have_value('meta."lens type":*')
    page.fill(".filter-frame-query", 'meta."lens type":fisheye AND meta.speed:[40 TO')
    page.click("#new-task-create")
    error = page.locator('.field-error[data-field="selection.filters.0.frame_query"]')
    expect(error).to_contain_text("position")
    expect(page.locator(".filter-frame-query")).to_have_attribute("aria-invalid", "true")
    page.fill(".filter-frame-query", 'meta."lens type":fisheye AND meta.speed:[40 TO *]')
    page.fill(".filter-source-query", "source.id:rear")

    task = _created(page, api, name, frames=1)
    [flt] = task["selection"]["filters"]
    assert (flt["frame_query"], flt["source_query"]) == (
        'meta."lens type":fisheye AND meta.speed:[40 TO *]',
        "source.id:rear",
    )
    lease = ok(api.post(f"/api/v1/tasks/{task['task_id']}/next-frame", json={}))
    assert lease["frame"]["frame_id"] == "f2"
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()
