"""The SDK's exports: streamed to a file that appears
only when complete, with the export's report; `frames(filter=…)` from the JSON-lines stream; an export read back
by `import_frames` gives the same ROIs."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from annostream_cli.stack import LocalStack
from annostream_sdk import Client, InvalidArgument, NewFrame, NewSource, NotFound, ellipse, polygon, rectangle

from ..waiting import eventually
from .sdk_helpers import team_client

pytestmark = pytest.mark.e2e


def _version(client: Client) -> str:
    """A Published version: 30 frames, half in bremen; every third with a car box, frame 0 also an ellipse and a
    polygon."""
    ds = client.create_dataset("exports")
    v = client.create_version(ds.dataset_id, "v1")
    frames = []
    for i in range(30):
        rois = [rectangle(10, 10, 60, 40, labels=["car"], roi_id=f"car{i}", confidence=0.5)] if i % 3 == 0 else []
        if i == 0:
            rois += [
                ellipse(100, 100, 150, 130, labels=["wheel"]),
                polygon([(1, 1), (30, 1), (15, 20)], labels=["sign"]),
            ]
        source = NewSource(uri=f"https://example.com/{i}.jpg", width=320, height=240, id="front")
        frames.append(
            NewFrame(id=f"f{i:03d}", sources=[source], metadata={"city": "bremen" if i < 15 else "oslo"}, rois=rois)
        )
    client.import_frames(v.version_id, frames)
    client.publish_version(v.version_id)
    eventually(lambda: client.get_frame(v.version_id, "f029"))
    return v.version_id


def test_export_version_streams_a_coco_zip_with_its_report(system: LocalStack, tmp_path: Path) -> None:
    with team_client(system.url) as client:
        version_id = _version(client)
        seen: list[int] = []
        result = client.export_version(
            version_id, "coco", tmp_path / "coco.zip", on_progress=lambda b, _f: seen.append(b)
        )
        assert result.path == tmp_path / "coco.zip" and sorted(p.name for p in tmp_path.iterdir()) == ["coco.zip"]
        assert result.bytes == result.path.stat().st_size == seen[-1]
        assert (result.report.frames, result.report.rois, result.report.exported_rois) == (30, 12, 11)
        assert result.report.skipped == {"ellipse: COCO has no ellipses": 1}
        with zipfile.ZipFile(result.path) as z:
            coco = json.loads(z.read("annotations/instances_default.json"))
        assert len(coco["images"]) == 30 and len(coco["annotations"]) == 11


def test_filtered_exports_and_frames_hold_only_the_matching_frames(system: LocalStack, tmp_path: Path) -> None:
    with team_client(system.url) as client:
        version_id = _version(client)
        result = client.export_version(version_id, "jsonl", tmp_path / "bremen.jsonl", filter="meta.city:bremen")
        lines = [json.loads(x) for x in result.path.read_text().splitlines()]
        assert [x["id"] for x in lines] == [f"f{i:03d}" for i in range(15)]
        assert (result.report.frames, result.report.rois) == (15, 7)

        frames = list(client.frames(version_id, filter="meta.city:oslo"))
        assert [f.frame_id for f in frames] == [f"f{i:03d}" for i in range(15, 30)]
        assert [r.roi_id for f in frames for r in f.rois] == ["car15", "car18", "car21", "car24", "car27"]
        assert all(f.version is None and f.metadata == {"city": "oslo"} for f in frames)
        with_cars = [f.frame_id for f in client.frames(version_id, labels="car")]
        assert with_cars == [f"f{i:03d}" for i in range(0, 30, 3)]


def test_an_exported_version_imports_again_with_the_same_rois(system: LocalStack, tmp_path: Path) -> None:
    with team_client(system.url) as client:
        version_id = _version(client)
        exported = client.export_version(version_id, "jsonl", tmp_path / "all.jsonl")
        ds = client.create_dataset("reimported")
        copy = client.create_version(ds.dataset_id, "copy")
        with exported.path.open() as fh:
            outcome = client.import_frames(copy.version_id, (json.loads(line) for line in fh), batch_frames=7)
        assert (outcome.imported, outcome.batches) == (30, 5)
        eventually(lambda: client.get_frame(copy.version_id, "f029"))

        def rois(v: str) -> list[tuple[str, str, list[tuple[float, float]], list[str], float | None]]:
            return [(r.roi_id, r.type, r.points, r.labels, r.confidence) for f in client.frames(v) for r in f.rois]

        assert rois(copy.version_id) == rois(version_id) and len(rois(version_id)) == 12


def test_a_refused_export_raises_typed_and_leaves_no_file(system: LocalStack, tmp_path: Path) -> None:
    with team_client(system.url) as client:
        with pytest.raises(NotFound) as missing:
            client.export_version("nope", "coco", tmp_path / "x.zip")
        assert missing.value.field == "version_id"
        version_id = _version(client)
        with pytest.raises(InvalidArgument) as bad:
            client.export_version(version_id, "jsonl", tmp_path / "x.jsonl", filter="meta.city:(")
        assert bad.value.field is not None
        assert list(tmp_path.iterdir()) == []


def test_export_task_downloads_the_frames_of_the_tasks_plan(system: LocalStack, tmp_path: Path) -> None:
    with team_client(system.url) as client:
        version_id = _version(client)
        selection = {"mode": "custom", "filters": [{"frame_query": "meta.city:oslo"}]}
        task = client.create_task("oslo", version_id, selection=selection)
        result = eventually(lambda: client.export_task(task.task_id, "yolo", tmp_path / "oslo.zip"))
        assert result.report.frames == 15 and result.report.exported_rois == 5
        with zipfile.ZipFile(result.path) as z:
            assert "data.yaml" in z.namelist() and len([n for n in z.namelist() if n.startswith("labels/")]) == 15
