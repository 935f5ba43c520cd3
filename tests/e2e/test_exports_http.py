"""Exports over HTTP, each archive loaded by a reader that is not ours: pycocotools (COCO), an XML parser against
the VOC layout and globox (VOC, YOLO detect), the Ultralytics line layout (YOLO segment/pose), JSON (lines)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from globox import AnnotationSet
from pycocotools.coco import COCO

from annostream_cli.stack import LocalStack

from .export_helpers import H, W, new_version, png, sample_frames, src, unzip

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def exported(system: LocalStack) -> Iterator[tuple[httpx.Client, str, list[dict[str, Any]]]]:
    c = httpx.Client(
        base_url=system.url, headers={"X-Annostream-User": "exporter", "X-Annostream-Team": "exp"}, timeout=60
    )
    frames = sample_frames()
    _, version_id = new_version(c, frames)
    yield c, version_id, frames
    c.close()


def _get(c: httpx.Client, version_id: str, fmt: str, **params: str) -> httpx.Response:
    r = c.get(f"/api/v1/versions/{version_id}/export", params={"format": fmt, **params})
    assert r.status_code == 200, r.text
    return r


def test_coco_export_loads_in_pycocotools_with_boxes_polygons_keypoints_and_reports_skipped_shapes(
    exported: tuple[httpx.Client, str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    c, version_id, _ = exported
    r = _get(c, version_id, "coco")
    assert r.headers["content-type"] == "application/zip"
    files = unzip(r.content, tmp_path)
    coco = COCO(str(tmp_path / "annotations/instances_default.json"))
    assert len(coco.getImgIds()) == 1 + 2 + 3  # the two-source frame is two images
    names = {cat["name"]: cat for cat in coco.loadCats(coco.getCatIds())}
    assert set(names) == {"car", "sign", "person"}
    assert names["person"]["keypoints"] == ["head", "hand", "foot"] and names["person"]["skeleton"] == [[1, 2], [2, 3]]
    shapes = next(i for i in coco.loadImgs(coco.getImgIds()) if i["frame_id"] == "f-shapes")
    assert (shapes["width"], shapes["height"], shapes["file_name"]) == (W, H, "f-shapes.png")
    anns = {a["attributes"]["roi_id"]: a for a in coco.loadAnns(coco.getAnnIds(imgIds=[shapes["id"]]))}
    assert set(anns) == {"r1", "r2", "r3", "r6"}
    assert anns["r1"]["bbox"] == [10, 20, 100, 50] and anns["r1"]["attributes"]["labels"] == ["car", "red"]
    assert anns["r2"]["segmentation"] == [[200, 200, 300, 200, 250, 280]] and anns["r2"]["area"] == 4000
    assert anns["r3"]["keypoints"] == [400, 100, 2, 420, 150, 1, 0, 0, 0] and anns["r3"]["num_keypoints"] == 2
    assert anns["r6"]["score"] == 0.75 and anns["r6"]["attributes"]["metadata"] == {"note": "parked"}
    assert coco.annToMask(anns["r2"]).sum() > 0  # pycocotools rasterises the polygon
    two = [i for i in coco.loadImgs(coco.getImgIds()) if i["frame_id"] == "f-two:sources"]
    assert sorted(i["file_name"] for i in two) == ["f-two%3Asources@left.jpg", "f-two%3Asources@right.jpg"]
    report = json.loads(files["export_report.json"])
    assert report["frames"] == 5 and report["images"] == 6 and report["exported_rois"] == 6
    assert report["skipped"] == {
        "ellipse: COCO has no ellipses": 1,
        "rectangle: no label (a COCO annotation needs a category)": 1,
    }


def test_voc_export_follows_the_voc_layout_and_globox_reads_it(
    exported: tuple[httpx.Client, str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    c, version_id, _ = exported
    files = unzip(_get(c, version_id, "voc").content, tmp_path)
    root = ET.fromstring(files["Annotations/f-shapes.xml"])
    assert root.tag == "annotation" and root.findtext("filename") == "f-shapes.png"
    assert (root.findtext("size/width"), root.findtext("size/height")) == (str(W), str(H))
    objects = [
        (o.findtext("name"), [float(o.findtext(f"bndbox/{k}") or "nan") for k in ("xmin", "ymin", "xmax", "ymax")])
        for o in root.iter("object")
    ]
    assert objects == [("car", [10, 20, 110, 70]), ("car", [300.5, 10, 350, 60.75])]
    assert files["ImageSets/Main/default.txt"].decode().split() == sorted(
        ["f-shapes", "f-two%3Asources@left", "f-two%3Asources@right", "plain-0", "plain-1", "plain-2"]
    )
    boxes = AnnotationSet.from_pascal_voc(tmp_path / "Annotations")
    assert len(boxes) == 6 and sum(len(a.boxes) for a in boxes) == 3  # r1, r6 and the left source's box
    report = json.loads(files["export_report.json"])
    assert report["skipped"]["polygon: VOC detection holds boxes only"] == 2
    assert report["skipped"]["keypoints: VOC detection holds boxes only"] == 1


def _datumaro_voc_labels(root: Path) -> list[str]:
    """The labels a Datumaro VOC import reads (its voc/format.py): dataset_meta.json's list when present, else
    labelmap.txt, every line stripped, '#' lines skipped, exactly four ':' fields, the first the name."""
    if (root / "dataset_meta.json").is_file():
        return list(json.loads((root / "dataset_meta.json").read_text(encoding="utf-8"))["labels"])
    return _labelmap_names(root / "labelmap.txt")


def _labelmap_names(path: Path) -> list[str]:
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not (line := line.strip()) or line[0] == "#":
            continue
        fields = line.split(":")
        assert len(fields) == 4, f"labelmap.txt line {line!r} has {len(fields)} ':' fields, not 4"
        names.append(fields[0])
    return names


def test_voc_label_map_reads_back_labels_holding_a_colon_or_starting_with_a_hash(
    system: LocalStack, tmp_path: Path
) -> None:
    # labelmap.txt (label:color:parts:actions, no escape) wrote 'vehicle:car:::', which Datumaro refuses (5 fields)
    # and a naive reader takes as the label 'vehicle'; '#night' was read as a comment. Such labels now stay out of
    # labelmap.txt (every line of which reads back as written) and are in dataset_meta.json, Datumaro's label list.
    with httpx.Client(base_url=system.url, headers={"X-Annostream-User": "exporter"}, timeout=60) as c:
        labels = ["car", "vehicle:car", "#night", "a:b:c:d"]
        rois = [
            {"roi_id": f"r{i}", "type": "rectangle", "points": [[i, i], [i + 9, i + 9]], "labels": [label]}
            for i, label in enumerate(labels)
        ]
        frame = {"id": "f", "sources": [src("file:///f.png")], "rois": rois}
        _, version_id = new_version(c, [frame], "colon")
        files = unzip(_get(c, version_id, "voc").content, tmp_path)
    names = [o.findtext("name") for o in ET.fromstring(files["Annotations/f.xml"]).iter("object")]
    assert names == labels
    assert _datumaro_voc_labels(tmp_path) == labels
    assert _labelmap_names(tmp_path / "labelmap.txt") == ["car"]  # every line it has reads back as written


def _images_for(tmp_path: Path, train_list: bytes) -> None:
    for rel in train_list.decode().split():  # globox finds images by one extension: every image as .jpg
        png((tmp_path / rel).with_suffix(".jpg"))


def test_yolo_detect_export_reads_back_in_globox_with_pixel_boxes(
    exported: tuple[httpx.Client, str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    c, version_id, _ = exported
    files = unzip(_get(c, version_id, "yolo").content, tmp_path)
    data = files["data.yaml"].decode()
    assert "train: train.txt" in data and "nc: 1" in data and '0: "car"' in data
    _images_for(tmp_path, files["train.txt"])
    sets = AnnotationSet.from_yolo_v5(tmp_path / "labels", image_folder=tmp_path / "images", image_extension=".jpg")
    assert len(sets) == 6
    got = sets["f-shapes.jpg"].boxes
    assert sorted((round(b.xmin, 2), round(b.ymin, 2), round(b.xmax, 2), round(b.ymax, 2)) for b in got) == [
        (10.0, 20.0, 110.0, 70.0),
        (300.5, 10.0, 350.0, 60.75),
    ]
    assert "image,frame_id,source_id,uri,width,height" in files["sources.csv"].decode()


def _lines(files: dict[str, bytes], stem: str) -> list[list[float]]:
    return [[float(v) for v in ln.split()] for ln in files[f"labels/{stem}.txt"].decode().splitlines()]


def test_yolo_segment_and_pose_exports_follow_the_ultralytics_line_layout(
    exported: tuple[httpx.Client, str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    c, version_id, _ = exported
    seg = unzip(_get(c, version_id, "yolo-segment").content, tmp_path / "seg")
    lines = _lines(seg, "f-shapes")
    polygons = [[(round(ln[i] * W, 2), round(ln[i + 1] * H, 2)) for i in range(1, len(ln), 2)] for ln in lines]
    assert [(200.0, 200.0), (300.0, 200.0), (250.0, 280.0)] in polygons
    assert [(10.0, 20.0), (110.0, 20.0), (110.0, 70.0), (10.0, 70.0)] in polygons  # a box as its corners
    pose = unzip(_get(c, version_id, "yolo-pose").content, tmp_path / "pose")
    assert "kpt_shape: [3, 3]" in pose["data.yaml"].decode()
    (line,) = _lines(pose, "f-shapes")
    cls, cx, cy, bw, bh, *kps = line
    assert cls == 0 and (round((cx - bw / 2) * W, 2), round((cy - bh / 2) * H, 2)) == (400.0, 100.0)
    assert [round(k, 4) for k in kps] == [
        round(400 / W, 4),
        round(100 / H, 4),
        2,
        round(420 / W, 4),
        round(150 / H, 4),
        1,
        0,
        0,
        0,
    ]


def test_jsonl_export_is_lossless_and_streams_as_ndjson(
    exported: tuple[httpx.Client, str, list[dict[str, Any]]],
) -> None:
    c, version_id, frames = exported
    r = _get(c, version_id, "jsonl")
    assert r.headers["content-type"] == "application/x-ndjson"
    got = {x["id"]: x for x in map(json.loads, r.text.splitlines())}
    assert list(got) == sorted(got)  # frame id order
    for f in frames:
        line = got[f["id"]]
        assert line["metadata"] == f.get("metadata", {}) and line["frame_labels"] == f.get("frame_labels", [])
        assert [(s["id"], s["uri"], s["width"]) for s in line["sources"]] == [
            (s["id"], s["uri"], s["width"]) for s in f["sources"]
        ]
        rois = {x["roi_id"]: x for x in line["rois"]}
        for want in f.get("rois", []):
            have = rois[want["roi_id"]]
            assert (
                have["type"] == want["type"] and have["points"] == want["points"] and have["labels"] == want["labels"]
            )
            assert have["metadata"] == want.get("metadata", {}) and have["locked"] == want.get("locked", False)
            assert have["confidence"] == want.get("confidence")
    assert got["f-two:sources"]["timestamp"] == 1700000000123 and got["f-two:sources"]["context_id"] == "clip-1"


def test_filtered_export_keeps_only_matching_frames(exported: tuple[httpx.Client, str, list[dict[str, Any]]]) -> None:
    c, version_id, _ = exported
    by_meta = _get(c, version_id, "jsonl", filter="meta.city:bremen OR meta.i:1").text.splitlines()
    assert [json.loads(x)["id"] for x in by_meta] == ["f-shapes", "plain-1"]
    by_label = _get(c, version_id, "jsonl", labels="sign", source_filter="source.id:right").text.splitlines()
    assert [json.loads(x)["id"] for x in by_label] == ["f-two:sources"]


def test_task_export_holds_the_frames_of_its_plan(exported: tuple[httpx.Client, str, list[dict[str, Any]]]) -> None:
    c, version_id, _ = exported
    body = {
        "name": "export task",
        "dataset_version_id": version_id,
        "selection": {"mode": "custom", "filters": [{"frame_query": "meta.i:[0 TO 1]"}]},
    }
    task = c.post("/api/v1/tasks", json=body)
    assert task.status_code in (200, 201), task.text
    task_id = task.json()["task_id"]
    for _ in range(200):
        r = c.get(f"/api/v1/tasks/{task_id}/export", params={"format": "jsonl"})
        if r.status_code == 200 and len(r.text.splitlines()) == 2:
            break
    assert [json.loads(x)["id"] for x in r.text.splitlines()] == ["plain-0", "plain-1"]
    zipped = c.get(f"/api/v1/tasks/{task_id}/export", params={"format": "coco"})
    assert zipped.status_code == 200 and zipped.headers["content-disposition"].endswith(f'{task_id}-coco.zip"')


def test_export_refusals_are_4xx_naming_the_field(
    system: LocalStack, exported: tuple[httpx.Client, str, list[dict[str, Any]]]
) -> None:
    c, version_id, _ = exported
    missing = c.get("/api/v1/versions/ver_nope/export", params={"format": "coco"})
    assert missing.status_code == 404 and missing.json()["field"] == "version_id"
    assert c.get(f"/api/v1/versions/{version_id}/export", params={"format": "pdf"}).status_code == 422
    bad = c.get(f"/api/v1/versions/{version_id}/export", params={"format": "coco", "filter": "meta.speed:[10 TO"})
    assert bad.status_code == 400 and bad.json()["field"] == "filter", bad.text  # the query parameter sent
    other = httpx.get(
        f"{system.url}/api/v1/versions/{version_id}/export",
        params={"format": "jsonl"},
        headers={"X-Annostream-User": "mallory", "X-Annostream-Team": "other"},
    )
    assert other.status_code == 404 and other.json() == missing.json() | {"message": other.json()["message"]}
