"""Export from the web UI in Debian's Chromium: the task card menu's Export downloads the task's frames as COCO
(loaded by pycocotools), and the task info's Export downloads the annotated version as JSON lines."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect
from pycocotools.coco import COCO

from annostream_cli.stack import LocalStack

from .web_browser import new_page, ok, published_dataset, screenshot

pytestmark = pytest.mark.e2e


def test_export_on_a_task_card_downloads_its_frames_as_coco_and_info_exports_the_version(
    browser: Browser, system: LocalStack, unique: str, tmp_path: Path
) -> None:
    user = f"exp-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    ds, published = published_dataset(api, frames=3)
    task = ok(
        api.post("/api/v1/tasks", json={"dataset_version_id": published["version_id"], "name": f"exp {unique}"}), 201
    )
    child = task["annotated_version_id"]
    roi = {"roi_id": "r1", "type": "rectangle", "points": [[10, 20], [110, 70]], "labels": ["car"]}
    for _ in range(200):  # the annotation service learns of the child version from events
        saved = api.post(
            f"/api/v1/versions/{child}/frames/f1/save",
            json={"expected_version": 0, "commands": [{"create_roi": {"roi": roi}}]},
        )
        if saved.status_code == 200:
            break
    ok(saved)
    for _ in range(200):  # and the iterator plans the task
        r = api.get(f"/api/v1/tasks/{task['task_id']}/export", params={"format": "jsonl"})
        if r.status_code == 200 and len(r.text.splitlines()) == 3:
            break
    page = new_page(browser, system.url, user)
    page.goto("/")
    page.select_option("#dataset-filter", ds["dataset_id"])
    card = page.locator(f'.task-card[data-task-id="{task["task_id"]}"]')
    card.locator(".task-menu-button").click()
    card.locator(".menu-export").click()
    expect(page.locator("#export-dialog")).to_be_visible()
    page.select_option("#export-format", "coco")
    screenshot(page, "export.png")
    with page.expect_download() as dl:
        page.click("#export-download")
    assert dl.value.suggested_filename == f"{task['task_id']}-coco.zip"
    path = tmp_path / "coco.zip"
    dl.value.save_as(path)
    with zipfile.ZipFile(path) as z:
        z.extractall(tmp_path)
        report = json.loads(z.read("export_report.json"))
    coco = COCO(str(tmp_path / "annotations/instances_default.json"))
    assert len(coco.getImgIds()) == 3 and report["exported_rois"] == 1
    (ann,) = coco.loadAnns(coco.getAnnIds())
    assert ann["bbox"] == [10, 20, 100, 50] and coco.loadCats(ann["category_id"])[0]["name"] == "car"
    expect(page.locator("#export-dialog")).to_have_count(0)
    card.locator(".task-menu-button").click()
    card.locator(".menu-info").click()
    page.click("#info-export-version")
    page.select_option("#export-format", "jsonl")
    with page.expect_download() as dl2:
        page.click("#export-download")
    lines = [json.loads(x) for x in io.BytesIO(Path(dl2.value.path()).read_bytes()).read().decode().splitlines()]
    assert [x["id"] for x in lines] == ["f0", "f1", "f2"] and lines[1]["rois"][0]["roi_id"] == "r1"
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()
