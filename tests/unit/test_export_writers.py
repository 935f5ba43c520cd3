"""The export writers and import readers on their own (no servers): names, escaping, what is skipped and why."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest

from annostream_cli.formats.common import Skipped, frame_of
from annostream_cli.formats.voc import read as read_voc
from annostream_gateway.exports.archive import ZipStream
from annostream_gateway.exports.coco import CocoWriter
from annostream_gateway.exports.model import Frame, Report, extension
from annostream_gateway.exports.voc import VocWriter
from annostream_gateway.exports.yolo import YoloWriter


def _frame(fid: str, rois: list[dict[str, Any]], sources: list[dict[str, Any]] | None = None) -> Frame:
    base = {
        "frame_id": fid,
        "sources": sources or [{"id": "cam", "uri": "s3://b/x.png?v=2", "width": 100, "height": 50}],
    }
    full = [{"roi_id": f"r{i}", "labels": ["a"], "metadata": {}, "source_id": "", **r} for i, r in enumerate(rois)]
    return Frame.parse(fid, json.dumps(base), json.dumps({"rois": full, "frame_labels": [], "metadata": {}}))


def _archive(write: Any) -> dict[str, bytes]:
    z, out = ZipStream(), io.BytesIO()
    write(z)
    out.write(z.take())
    out.write(z.close())
    with zipfile.ZipFile(out) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_image_names_encode_frame_ids_and_name_the_source_when_there_are_several() -> None:
    two = [{"id": "l/1", "uri": "a.JPG", "width": 1, "height": 1}, {"id": "r", "uri": "b", "width": 1, "height": 1}]
    assert [s for s, _ in _frame("cam/01 x", [], two).images()] == ["cam%2F01%20x@l%2F1", "cam%2F01%20x@r"]
    assert [s for s, _ in _frame("ä", []).images()] == ["%C3%A4"]
    assert (extension("s3://b/x.png?v=2"), extension("http://h/p/a.JPG#f"), extension("s3://b/noext")) == (
        ".png",
        ".jpg",
        ".jpg",
    )
    assert frame_of("cam%2F01%20x@l%2F1") == ("cam/01 x", "l/1") and frame_of("plain.name") == ("plain.name", "")


def test_coco_key_points_keep_one_count_per_label_and_the_rest_is_counted_as_skipped() -> None:
    rep = Report("coco")
    kp = {"type": "keypoints", "points": [[1, 1], [2, 2]], "labels": ["p"], "metadata": {"skeleton": [[1, 2.0]]}}

    def write(z: ZipStream) -> None:
        w = CocoWriter(z, rep)
        w.frame(
            _frame(
                "f", [kp, {**kp, "points": [[1, 1], [2, 2], [3, 3]]}, {"type": "ellipse", "points": [[1, 1], [5, 5]]}]
            )
        )
        w.close(z)

    doc = json.loads(_archive(write)["annotations/instances_default.json"])
    assert [c["skeleton"] for c in doc["categories"]] == [[[1, 2]]] and doc["categories"][0]["keypoints"] == ["1", "2"]
    assert len(doc["annotations"]) == 1 and rep.exported == 1
    assert rep.skipped == {
        "keypoints: key point count differs from the label's first (2)": 1,
        "ellipse: COCO has no ellipses": 1,
    }


def test_voc_escapes_names_and_yolo_pose_keeps_one_kpt_shape(tmp_path: Path) -> None:
    rep = Report("voc")

    def voc(z: ZipStream) -> None:
        w = VocWriter(z, rep)
        w.frame(_frame("f", [{"type": "rectangle", "points": [[1, 2], [3.5, 4]], "labels": ["a<&>b", "x"]}]))
        w.close(z)

    files = _archive(voc)
    obj = ET.fromstring(files["Annotations/f.xml"]).find("object")
    assert obj is not None and obj.findtext("name") == "a<&>b" and obj.findtext("bndbox/xmax") == "3.5"
    assert rep.skipped == {"labels after the first (VOC objects have one name)": 1}
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    (item,) = read_voc(tmp_path, None, Skipped())
    assert item.frame["rois"] == [{"type": "rectangle", "points": [[1.0, 2.0], [3.5, 4.0]], "labels": ["a<&>b"]}]
    pose = Report("yolo-pose")

    def yolo(z: ZipStream) -> None:
        w = YoloWriter(z, pose, "pose")
        three = {"type": "keypoints", "points": [[10, 10], [20, 20], [30, 30]], "metadata": {"visibility": [2, 0, 1]}}
        w.frame(_frame("f", [three, {**three, "points": [[1, 1]], "metadata": {}}]))
        w.close(z)

    out = _archive(yolo)
    assert "kpt_shape: [3, 3]" in out["data.yaml"].decode()
    assert out["labels/f.txt"].decode().split()[5:] == [
        "0.100000",
        "0.200000",
        "2",
        "0.200000",
        "0.400000",
        "0",
        "0.300000",
        "0.600000",
        "1",
    ]
    assert pose.skipped == {"keypoints: key point count differs from the export's kpt_shape (3)": 1}


@pytest.mark.parametrize("fmt", ["yolo", "yolo-segment"])
def test_yolo_leaves_out_rois_of_sources_without_a_size(fmt: str) -> None:
    rep = Report(fmt)
    sized = [{"id": "cam", "uri": "x.jpg", "width": 0, "height": 0}]

    def write(z: ZipStream) -> None:
        w = YoloWriter(z, rep, "detect" if fmt == "yolo" else "segment")
        w.frame(_frame("f", [{"type": "rectangle", "points": [[1, 1], [2, 2]]}], sized))
        w.close(z)

    assert _archive(write)["labels/f.txt"] == b""
    assert rep.skipped == {"rectangle: its source has no size to normalise by": 1}
